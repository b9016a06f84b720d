// A load run: publishers join at the join rate, then subscribers (each to
// every publisher up), then the load is held for the set time — with churn
// when asked — and measured over that hold. A progress line each second and a
// JSON summary at the end. One thread: the default GMainContext, shared with
// libnice, libsoup and the peers.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/loadgen/dpdk_media.hpp"
#include "tools/loadgen/http_client.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/peer.hpp"
#include "tools/loadgen/target.hpp"

namespace edgesfu::loadgen {

class Runner {
 public:
  static Result<std::unique_ptr<Runner>> create(const Options& o);
  ~Runner();
  // Runs the load to its end; the exit status (0 ran, 1 nothing came up).
  int run();
  // SIGINT/SIGTERM: ends the hold now (or the join phases), still summarises.
  void stop();

 private:
  // kLinger: the summary is out; media flows one more second (so that a probe
  // of the SFU started on the summary line still sees the load), then kClosing.
  enum class Phase { kOpen, kPublishers, kSubscribers, kHold, kLinger, kClosing, kDone };
  struct Session {
    uint64_t id = 0;
    bool publisher = false;
    bool video = false;
    int room = 0;  // index: room_name(o_, room)
    std::unique_ptr<Peer> peer;
    uint64_t started_ns = 0;
    bool join_recorded = false;
  };
  struct Sums {  // over live sessions and those that ended
    uint64_t expected = 0, unique = 0, duplicates = 0;
  };

  Runner() = default;
  static gboolean on_tick(gpointer self);
  static gboolean on_second(gpointer self);
  void tick();
  void second();
  void launch(bool publisher, int room);
  void fail_session(uint64_t id, const std::string& why);
  void end_session(uint64_t id);
  void enter(Phase p);
  void churn_step(uint64_t now);
  // Starts a measured window (the hold, or a ramp step) at `packet_rate`.
  void open_window(int packet_rate);
  // --ramp: the window that ended; true when the ramp goes on.
  bool ramp_step(uint64_t now);
  void finish();
  void teardown();
  Sums sums() const;
  // A publisher is ready once up (DTLS done), a subscriber once media arrives.
  static bool ready(const Session& s);
  std::pair<int, int> up_counts() const;  // publishers up, subscribers receiving
  nlohmann::json summary(uint64_t now) const;
  // Every received stream with its session: the peers' own (kernel sockets),
  // or --dpdk's last full report.
  std::vector<std::pair<const Session*, const StreamReceive*>> stream_list() const;
  // --dpdk: takes the media lcore's figures into totals_ (and the sessions'
  // first media); `full` also their streams, `clear_total` restarts the
  // latency histogram of the hold.
  void refresh(bool full, bool clear_total);

  Options o_;
  std::unique_ptr<DpdkMedia> dpdk_;  // --dpdk; outlives the sessions (see ~Runner)
  MediaReport media_;                // --dpdk: its last report
  MediaCounters media_base_;         // --dpdk: at the start of the hold
  std::size_t ramp_i_ = 0;           // --ramp: the step being held
  uint64_t settle_until_ = 0;        // --ramp: the step's window opens then
  int attempt_ = 0;                  // --ramp: holds of this step before the current one
  nlohmann::json steps_ = nlohmann::json::array();
  uint64_t last_refresh_ns_ = 0;
  GMainLoop* loop_ = nullptr;
  guint tick_src_ = 0, second_src_ = 0;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<Target> target_;
  OpusLoop opus_;
  std::shared_ptr<sp::dtls::Certificate> cert_;
  Totals totals_;
  std::map<uint64_t, Session> sessions_;
  uint64_t next_id_ = 1;
  uint32_t next_publisher_ = 0;
  Phase phase_ = Phase::kOpen;
  uint64_t start_ns_ = 0, phase_ns_ = 0, ready_ns_ = 0;
  int launched_pubs_ = 0, launched_subs_ = 0, launched_video_ = 0;
  std::vector<double> join_ms_pub_, join_ms_sub_;
  std::map<std::string, int> failures_;
  int failed_pubs_ = 0, failed_subs_ = 0;
  int failed_mark_ = 0;  // --ramp: failures before the step being held
  Sums retired_;
  // The measured window (the hold) and the last progress line.
  uint64_t window_ns_ = 0, base_sent_ = 0, base_recv_ = 0, base_srtp_err_ = 0, base_bad_ = 0;
  Sums base_;
  uint64_t last_ns_ = 0, last_sent_ = 0, last_recv_ = 0;
  Sums last_;
  uint64_t churned_ = 0;
  nlohmann::json series_ = nlohmann::json::array();
  nlohmann::json result_;
  int exit_status_ = 0;
  bool stop_ = false;
  uint64_t rng_ = 0x5eed;
};

}  // namespace edgesfu::loadgen
