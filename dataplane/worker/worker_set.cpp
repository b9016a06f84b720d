#include "dataplane/worker/worker_set.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <new>
#include <string>

#include "dataplane/control/command.hpp"
#include "dataplane/mem/node_memory.hpp"

namespace edgesfu::dp {

namespace {
// Per-source buckets per worker (hashed; sources that collide share one).
constexpr uint32_t kLimiterBuckets = 16384;
}  // namespace

Result<std::unique_ptr<WorkerSet>> WorkerSet::create(const WorkerSetParams& p) {
  if (p.lcores.empty() || p.lcores.size() > kMaxWorkers) {
    return make_error("workers: need 1-" + std::to_string(kMaxWorkers) + " worker lcores");
  }
  std::unique_ptr<WorkerSet> set(new WorkerSet());
  const auto nworkers = static_cast<uint32_t>(p.lcores.size());
  const int socket = static_cast<int>(rte_lcore_to_socket_id(p.lcores.front()));
  if (p.engine != nullptr) {
    auto flows = flow::FlowTable::create("esfu_flows", p.flow_capacity, socket, nworkers);
    if (!flows) return flows.error();
    set->flows_ = std::move(flows).value();
  }
  if (p.media_port_first != 0 && p.media_port_last >= p.media_port_first) {
    set->guard_ = std::make_unique<punt::PortGuard>(p.media_port_first, p.media_port_last);
  }
  for (uint16_t i = 0; i < nworkers; ++i) {
    const unsigned lcore = p.lcores[i];
    const int wsock = static_cast<int>(rte_lcore_to_socket_id(lcore));
    void* mem = rte_zmalloc_socket("esfu_worker", sizeof(Worker), RTE_CACHE_LINE_SIZE, wsock);
    if (mem == nullptr)
      return make_error("workers: cannot allocate state for lcore " + std::to_string(lcore));
    Worker* w = new (mem) Worker();
    set->workers_.push_back(w);
    w->lcore = lcore;
    w->index = i;
    w->wire_port = p.wire_port;
    w->exception_port = p.exception_port;
    w->queue = i;
    w->burst = p.burst;
    w->idle_sleep_us = p.idle_sleep_us;
    w->tsc_hz = rte_get_tsc_hz();
    w->stop = &set->stop_;
    w->tx.port = p.wire_port;
    w->tx.queue = i;
    w->tx.stats = &w->stats.fastpath_to_wire;
    w->tx.full = &w->stats.drops[static_cast<std::size_t>(DropReason::kWireTxFull)];
    w->workers = static_cast<uint16_t>(nworkers);
    if (p.punt_rate != 0) {
      set->limiters_.push_back(std::make_unique<punt::SourceLimiter>(
          kLimiterBuckets, p.punt_rate, p.punt_burst, w->tsc_hz, rte_rdtsc()));
      w->limiter = set->limiters_.back().get();
      set->limiters_.push_back(std::make_unique<punt::SourceLimiter>(
          kLimiterBuckets, p.punt_syn_rate, p.punt_syn_burst, w->tsc_hz, rte_rdtsc()));
      w->syn_limiter = set->limiters_.back().get();
    }
    if (p.punt_flow_rate != 0) {
      set->limiters_.push_back(std::make_unique<punt::SourceLimiter>(
          kLimiterBuckets, p.punt_flow_rate, std::max(1u, p.punt_flow_rate / 5), w->tsc_hz,
          rte_rdtsc()));
      w->flow_limiter = set->limiters_.back().get();
    }
    if (p.punt_flow_budget != 0) {
      w->flow_budget = punt::TokenBucket(p.punt_flow_budget, std::max(1u, p.punt_flow_budget / 10),
                                         w->tsc_hz, rte_rdtsc());
      w->flow_budget_enabled = true;
    }
    w->rules = p.rules;
    // Without a fast path every packet is the kernel's: nothing to guard.
    w->rules.guard = p.engine != nullptr ? set->guard_.get() : nullptr;
    if (p.punt_budget != 0) {
      w->budget = punt::PuntBudget(p.punt_budget, p.punt_budget_burst, w->tsc_hz, rte_rdtsc());
      w->budget_enabled = true;
    }
    if (p.engine == nullptr) continue;
    const std::string n = std::to_string(i);
    // Commands: one producer (the control thread), one consumer (this lcore).
    rte_ring* cmd = rte_ring_create_elem(("esfu_cmd" + n).c_str(), sizeof(control::Command),
                                         p.command_ring, wsock, RING_F_SP_ENQ | RING_F_SC_DEQ);
    // Events: this lcore produces, the control thread consumes. Room for every
    // session the lcore could release at once, and for a few report intervals
    // of telemetry (a quality report per participant, level windows per track).
    const uint32_t nev = rte_align32pow2(fanout::event_release_reserve(p.limits) +
                                         4u * (p.limits.max_participants + p.limits.max_tracks));
    rte_ring* ev = rte_ring_create_elem(("esfu_ev" + n).c_str(), sizeof(control::Event), nev, wsock,
                                        RING_F_SP_ENQ | RING_F_SC_DEQ);
    // Hand-off: any worker may produce, this one consumes.
    rte_ring* ho = rte_ring_create(("esfu_ho" + n).c_str(), 4096, wsock, RING_F_SC_DEQ);
    if (cmd != nullptr) set->commands_.push_back(cmd);
    if (ev != nullptr) set->events_.push_back(ev);
    if (ho != nullptr) set->handoffs_.push_back(ho);
    if (cmd == nullptr || ev == nullptr || ho == nullptr) {
      return make_error("workers: cannot create rings for worker " + n + ": " +
                        rte_strerror(rte_errno));
    }
    w->commands = cmd;
    w->flows = set->flows_.get();
    // The tables on the lcore's node (DPDK's socket id is the NUMA node).
    auto fp = fanout::Fastpath::create(p.limits, p.engine, p.pool, ev, &w->stats,
                                       mem::usable_node(wsock));
    if (!fp) return fp.error();
    w->fastpath = fp->get();
    set->fastpaths_.push_back(std::move(fp).value());
  }
  // Every worker knows every hand-off ring.
  if (p.engine != nullptr) {
    for (Worker* w : set->workers_) {
      for (uint16_t j = 0; j < nworkers; ++j) w->handoff[j] = set->handoffs_[j];
    }
  }
  return set;
}

Status WorkerSet::launch() {
  for (Worker* w : workers_) {
    if (int rc = rte_eal_remote_launch(worker_main, w, w->lcore); rc != 0) {
      stop();
      return make_error("cannot launch worker on lcore " + std::to_string(w->lcore) + ": " +
                        rte_strerror(-rc));
    }
    launched_ = true;
  }
  return ok_status();
}

void WorkerSet::stop() {
  stop_.store(true, std::memory_order_release);
  if (launched_) {
    for (Worker* w : workers_) {
      rte_eal_wait_lcore(w->lcore);
      // Always true once joined; the acquire pairs with the lcore's release.
      while (!w->exited.load(std::memory_order_acquire)) rte_pause();
    }
    launched_ = false;
  }
}

WorkerSet::~WorkerSet() {
  stop();
  // After the join: the fast paths release their rings' mbufs; packets still
  // in hand-off rings are freed; SRTP sessions belong to the control side.
  fastpaths_.clear();
  for (rte_ring* r : handoffs_) {
    void* m = nullptr;
    while (rte_ring_sc_dequeue(r, &m) == 0) rte_pktmbuf_free(untag(m));
  }
  for (auto* v : {&commands_, &events_, &handoffs_}) {
    for (rte_ring* r : *v) rte_ring_free(r);
  }
  for (Worker* w : workers_) {
    w->~Worker();
    rte_free(w);
  }
}

}  // namespace edgesfu::dp
