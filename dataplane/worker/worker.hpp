// The worker lcore loop (DESIGN.md §1): poll the wire and the exception port in
// bursts and move packets between them, run to completion, no locks, no
// allocation. Until flows are installed every packet takes the exception path.
#pragma once

#include <atomic>
#include <cstdint>

#include "dataplane/stats/lcore_stats.hpp"

namespace edgesfu::dp {

inline constexpr uint16_t kMaxBurst = 512;

// Everything one worker lcore owns. Created by the main thread before launch,
// then touched only by its lcore (stats are read by the main thread).
struct alignas(64) Worker {
  unsigned lcore = 0;
  uint16_t wire_port = 0;
  uint16_t exception_port = 0;
  uint16_t queue = 0;  // this worker's RX/TX queue on both ports
  uint16_t burst = 32;
  // Set by the main thread to end the loop. Relaxed is enough: the flag carries
  // no data, and the main thread joins the lcore (rte_eal_wait_lcore) afterwards,
  // which orders everything else.
  const std::atomic<bool>* stop = nullptr;
  LcoreStats stats;
};

// lcore_function_t for rte_eal_remote_launch; `arg` is a Worker*. Returns 0
// when `stop` is set.
int worker_main(void* arg);

// One iteration of the loop: both directions once. Returns packets received.
// Exposed for tests and benchmarks that drive a worker without launching it.
uint16_t worker_poll_once(Worker& w);

}  // namespace edgesfu::dp
