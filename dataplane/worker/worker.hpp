// The worker lcore loop (DESIGN.md §1): run to completion, in bursts.
//  * wire RX -> parse -> flow lookup (lock-free) -> RTP/RTCP of flows this
//    lcore owns go to the fast path; flows owned by another lcore are handed
//    to its ring; the rest is judged by the punt policy (punt/punt_policy:
//    dropped when the slow path would discard it) and goes to the exception
//    port through the per-source limiter and this lcore's punt budget;
//  * commands from the control thread are applied between bursts, a bounded
//    number per loop; RTCP reports are sent when due;
//  * fast-path output is staged and flushed to the wire at the end of every
//    iteration that produced any (added latency matters as much as rate);
//  * exception RX (the kernel's replies) -> wire; a frame to a live flow
//    first teaches the flow's owner the path (handed over when another
//    lcore owns it).
// No locks, no allocation, no exceptions, no logging in the loop.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>

#include "dataplane/fanout/fastpath.hpp"
#include "dataplane/flow/flow_table.hpp"
#include "dataplane/punt/punt_policy.hpp"
#include "dataplane/punt/source_limiter.hpp"
#include "dataplane/stats/lcore_stats.hpp"

namespace edgesfu::dp {

inline constexpr uint16_t kMaxBurst = 512;
inline constexpr uint16_t kMaxWorkers = 64;
inline constexpr unsigned kCommandsPerLoop = 32;

// Everything one worker lcore owns. Created by the main thread before launch,
// then touched only by its lcore (stats are read by the main thread).
struct alignas(64) Worker {
  unsigned lcore = 0;
  uint16_t index = 0;  // 0..workers-1: RCU reader id and hand-off ring index
  uint16_t wire_port = 0;
  uint16_t exception_port = 0;
  uint16_t queue = 0;  // this worker's RX/TX queue on both ports
  uint16_t burst = 32;
  uint32_t idle_sleep_us = 0;  // see WorkerSetParams
  uint64_t tsc_hz = 1;
  // Set by the main thread to end the loop. Relaxed is enough: the flag carries
  // no data, and the main thread joins the lcore (rte_eal_wait_lcore) afterwards,
  // which orders everything else.
  const std::atomic<bool>* stop = nullptr;
  // Set by the lcore as its last act (release), read by the main thread
  // after the join (acquire): DPDK's join orders the lcore's writes before
  // the main thread's teardown, but inside librte_eal, where neither the C++
  // memory model nor ThreadSanitizer can see it; this pair says it in code.
  std::atomic<bool> exited{false};

  // The fast path; all null when the appliance runs without one (every packet
  // then takes the exception path).
  flow::FlowTable* flows = nullptr;
  fanout::Fastpath* fastpath = nullptr;
  rte_ring* commands = nullptr;         // SP/SC, control::Command elements
  rte_ring* handoff[kMaxWorkers] = {};  // MP/SC mbuf rings, by worker index
  uint16_t workers = 1;
  punt::SourceLimiter* limiter = nullptr;       // per address, port, priority
  punt::SourceLimiter* syn_limiter = nullptr;   // SYNs to the signalling port, per address
  punt::SourceLimiter* flow_limiter = nullptr;  // live participants' DTLS, per flow
  punt::PuntRules rules;                        // what is ours and what the slow path would take
  punt::PuntBudget budget;                      // this lcore's punts per second, by priority
  bool budget_enabled = false;
  punt::TokenBucket flow_budget;  // live participants' DTLS, all flows of this lcore
  bool flow_budget_enabled = false;

  TxStage tx;
  LcoreStats stats;
};

// Kernel frames handed to the owning lcore (to learn a flow's path from, then
// send) are tagged in the pointer's low bit (an mbuf is cache-line aligned),
// so the hand-off ring needs no second kind of element. Whoever drains a
// hand-off ring untags what it frees.
inline void* tag_kernel(rte_mbuf* m) {
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(m) | 1u);
}
inline bool is_kernel_tagged(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 1u) != 0; }
inline rte_mbuf* untag(void* p) {
  return reinterpret_cast<rte_mbuf*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t{1});
}

// lcore_function_t for rte_eal_remote_launch; `arg` is a Worker*. Returns 0
// when `stop` is set.
int worker_main(void* arg);

// One iteration of the loop. Returns packets received (wire, hand-off and
// exception). Exposed for tests and benchmarks that drive a worker without
// launching it.
uint16_t worker_poll_once(Worker& w);

}  // namespace edgesfu::dp
