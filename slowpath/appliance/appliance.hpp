// The appliance's lifecycle on the main thread: EAL, mempool, ports, worker
// lcores, then the slow path's GLib main loop until SIGINT/SIGTERM, then an
// orderly stop (workers joined, ports closed, EAL cleaned up).
#pragma once

#include <glib.h>
#include <rte_mempool.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "dataplane/eal/eal.hpp"
#include "dataplane/port/port.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "dataplane/stats/lcore_stats.hpp"
#include "dataplane/worker/worker_set.hpp"
#include "slowpath/dp_control/dp_control.hpp"

namespace edgesfu::sp {

namespace webhook {
class Notifier;
}
namespace rooms {
class Rooms;
}
namespace livekit {
class RtcServer;
}
namespace metrics {
struct SessionMetrics;
}
struct MetricsInput;

// All counters of the appliance at one moment.
struct CountersSnapshot {
  struct PortLine {
    std::string role;
    dp::PortCounters c;
  };
  struct LcoreLine {
    unsigned lcore = 0;
    dp::LcoreStatsSnapshot s;
  };
  std::vector<PortLine> ports;
  std::vector<LcoreLine> lcores;
};

// "port=wire rx_pkts=.. ... | lcore=1 ..." on one line.
std::string format_counters(const CountersSnapshot& s);

class Appliance {
 public:
  explicit Appliance(config::Config cfg);
  Appliance(const Appliance&) = delete;
  Appliance& operator=(const Appliance&) = delete;
  ~Appliance();

  // Brings up everything; on error, what was brought up is torn down again.
  Status start();
  // Runs the slow path's thread (GLib main loop, in the exception namespace:
  // WHIP/WHEP, ICE, DTLS) until SIGINT or SIGTERM, and joins it. An error
  // when the slow path could not start.
  Status run();
  // Stops workers, reads the final counters, closes ports, cleans up the EAL.
  // Returns the counters as they were when the workers had stopped.
  CountersSnapshot stop();

  CountersSnapshot counters() const;
  // What /metrics shows (appliance_metrics.hpp), on the slow path's thread.
  MetricsInput metrics_input(const rooms::Rooms* rooms, const livekit::RtcServer* rtc,
                             const metrics::SessionMetrics* sessions) const;
  // The control API of the fast path (valid between start() and stop()).
  DpControl* dp_control() { return dp_control_.get(); }

 private:
  Status start_ports();
  Status launch_workers();
  Status run_main_loop();
  static gboolean on_signal(gpointer self);
  static gboolean on_stats_tick(gpointer self);
  static gboolean on_heap_tick(gpointer self);
  static gboolean on_events_tick(gpointer self);

  config::Config cfg_;
  dp::Eal eal_;
  rte_mempool* pool_ = nullptr;
  std::optional<dp::Port> wire_;
  std::optional<dp::Port> exception_;
  std::unique_ptr<dp::srtp::Engine> srtp_;
  std::unique_ptr<dp::WorkerSet> workers_;
  std::unique_ptr<DpControl> dp_control_;
  GMainLoop* loop_ = nullptr;
  CountersSnapshot last_tick_;
  uint64_t last_tick_us_ = 0;
  const webhook::Notifier* webhooks_ = nullptr;  // the LiveKit door's, while it runs
  uint64_t heap_trims_ = 0;                      // trims that released memory
};

}  // namespace edgesfu::sp
