// The set of worker lcores with everything they share or own: the flow table,
// each worker's command, event and hand-off rings, its fast path, punt
// limiters and budget, and the media ports' guard. Built and torn down by the main thread; launched
// with the EAL.
#pragma once

#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <memory>
#include <vector>

#include "base/result.hpp"
#include "dataplane/fanout/fastpath.hpp"
#include "dataplane/flow/flow_table.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "dataplane/worker/worker.hpp"

namespace edgesfu::dp {

struct WorkerSetParams {
  std::vector<unsigned> lcores;
  uint16_t wire_port = 0;
  uint16_t exception_port = 0;
  uint16_t burst = 32;
  // After 64 loops in a row with nothing to do, sleep this long (0: never).
  uint32_t idle_sleep_us = 0;
  rte_mempool* pool = nullptr;
  // The fast path; without an engine, every packet takes the exception path.
  srtp::Engine* engine = nullptr;
  fanout::FastpathLimits limits;
  uint32_t flow_capacity = 4096;
  // Per source (address, port and priority; SYNs per address): packets/s
  // to the exception path; 0: no limiter.
  uint32_t punt_rate = 10000;
  uint32_t punt_burst = 1000;
  uint32_t punt_syn_rate = 20;
  uint32_t punt_syn_burst = 40;
  // Per worker, all sources: packets/s to the exception path; 0: no budget.
  uint32_t punt_budget = 20000;
  uint32_t punt_budget_burst = 2000;
  // Live participants' DTLS (data channels): packets/s per flow, and per
  // worker for all flows; 0: no limit. Bursts are a fifth and a tenth.
  uint32_t punt_flow_rate = 20000;
  uint32_t punt_flow_budget = 50000;
  // The appliance on the wire (destination checks; empty: not checked), its
  // signalling TCP port and its media UDP ports (0, 0: no port guard).
  punt::PuntRules rules;
  uint16_t media_port_first = 0, media_port_last = 0;
  uint32_t command_ring = 1024;
};

class WorkerSet {
 public:
  static Result<std::unique_ptr<WorkerSet>> create(const WorkerSetParams& p);
  ~WorkerSet();
  WorkerSet(const WorkerSet&) = delete;
  WorkerSet& operator=(const WorkerSet&) = delete;

  Status launch();
  // Sets the stop flag and waits for every launched lcore. Idempotent.
  void stop();

  std::size_t size() const { return workers_.size(); }
  Worker& worker(std::size_t i) { return *workers_[i]; }
  const Worker& worker(std::size_t i) const { return *workers_[i]; }
  flow::FlowTable* flows() { return flows_.get(); }
  rte_ring* commands(std::size_t i) { return workers_[i]->commands; }
  rte_ring* events(std::size_t i) { return events_[i]; }
  bool has_fastpath() const { return flows_ != nullptr; }
  // The media ports' guard (control thread writes; null without media ports).
  punt::PortGuard* guard() { return guard_.get(); }

 private:
  WorkerSet() = default;
  std::vector<Worker*> workers_;  // rte_zmalloc'd on each lcore's socket
  std::vector<std::unique_ptr<fanout::Fastpath>> fastpaths_;
  std::vector<std::unique_ptr<punt::SourceLimiter>> limiters_;
  std::unique_ptr<punt::PortGuard> guard_;
  std::vector<rte_ring*> commands_, events_, handoffs_;  // by worker index
  std::unique_ptr<flow::FlowTable> flows_;
  std::atomic<bool> stop_{false};
  bool launched_ = false;
};

}  // namespace edgesfu::dp
