// The appliance's figures as Prometheus metrics (/metrics on
// prometheus_port; names follow Prometheus' conventions: base units,
// counters in _total, one family per kind of thing with labels for lcore,
// port, reason). Pure: the appliance gathers MetricsInput on the slow path's
// thread; unit-tested with made-up input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "slowpath/appliance/appliance.hpp"
#include "slowpath/metrics/session_metrics.hpp"
#include "slowpath/signalling/livekit/data_relay.hpp"
#include "slowpath/webhook/outbox.hpp"

namespace edgesfu::sp {

struct MetricsInput {
  CountersSnapshot counters;
  double tsc_hz = 0;  // cycles -> seconds
  struct Pool {
    std::string name;
    uint64_t in_use = 0, size = 0;
  };
  std::vector<Pool> pools;
  // The C heap (slowpath/appliance/heap.hpp).
  uint64_t heap_in_use = 0, heap_free = 0, heap_trims = 0;
  // The dataplane as the control thread holds it.
  std::size_t flows = 0, tracks = 0, subscriptions = 0, srtp_sessions = 0;
  std::size_t commands_queued = 0;  // in the command rings and the backlog
  uint64_t commands_deferred = 0;   // that found a ring full
  // Rooms.
  std::size_t rooms = 0, participants = 0, published_tracks = 0;
  const metrics::SessionMetrics* sessions = nullptr;
  const livekit::DataCounters* data = nullptr;  // null: no LiveKit door
  bool webhooks = false;                        // configured
  std::size_t webhook_queue = 0;
  webhook::OutboxCounters webhook;
};

std::string render_metrics(const MetricsInput& in);

}  // namespace edgesfu::sp
