#include "tools/loadgen/runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include "config/config.hpp"

namespace edgesfu::loadgen {

using json = nlohmann::json;  // NOLINT(readability-identifier-naming): the library's spelling

namespace {

constexpr guint kTickMs = 1;  // media pacing: a frame leaves within 1 ms of its time
// --dpdk: the lcore paces the media; the tick only runs DTLS timers and the
// phases, and wakes the CPU the lcores share ten times less often.
constexpr guint kDpdkTickMs = 10;
constexpr uint64_t kSettleNs = 500'000'000;    // publishers up -> subscribers start
constexpr uint64_t kSilentNs = 1'000'000'000;  // a stream quiet this long is dark

double ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }
double secs(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

json latency_json(const LatencyHistogram& h) {
  return {{"p50", ms(h.quantile(0.5))},
          {"p90", ms(h.quantile(0.9))},
          {"p99", ms(h.quantile(0.99))},
          {"max", ms(h.max())},
          {"samples", h.count()}};
}

// The media lcore's share of loops that did work between two reports.
double busy_ratio(const MediaCounters& c, const MediaCounters& before) {
  return c.cycles > before.cycles ? static_cast<double>(c.busy_cycles - before.busy_cycles) /
                                        static_cast<double>(c.cycles - before.cycles)
                                  : 0.0;
}

json quantiles_ms(std::vector<double> v) {
  json j = {{"n", v.size()}};
  if (v.empty()) return j;
  std::sort(v.begin(), v.end());
  auto q = [&](double f) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(f * static_cast<double>(v.size())))];
  };
  j["p50"] = q(0.5);
  j["p99"] = q(0.99);
  j["max"] = v.back();
  return j;
}

}  // namespace

Result<std::unique_ptr<Runner>> Runner::create(const Options& o) {
  std::unique_ptr<Runner> r(new Runner());
  r->o_ = o;
  // One socket per session: lift the descriptor limit as far as allowed.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (srtp_init() != srtp_err_status_ok) return make_error("loadgen: srtp_init failed");
  auto opus = OpusLoop::encode(o.opus_kbps * 1000);
  if (!opus) return opus.error();
  r->opus_ = std::move(opus.value());
  auto cert = sp::dtls::Certificate::generate("edgesfu-loadgen");
  if (!cert) return cert.error();
  r->cert_ = cert.value();
  if (o.dpdk()) {
    // First: the TAP must hold the local address before any socket binds it.
    DpdkOptions d;
    d.memif_socket = o.dpdk_memif;
    d.pci = o.dpdk_pci;
    d.tap_iface = o.dpdk_tap;
    d.tap_mac = o.dpdk_tap_mac;
    d.tap_address = o.dpdk_tap_address;
    d.lcores = o.dpdk_lcores;
    d.queues = static_cast<uint16_t>(o.dpdk_queues);
    d.idle_sleep_us = static_cast<uint32_t>(o.dpdk_idle_sleep_us);
    d.file_prefix = o.dpdk_prefix;
    d.srtp_engine = o.srtp_engine;
    d.video_kbps = o.video_publishers > 0 ? o.video_kbps : 0;
    auto dm = DpdkMedia::create(d, &r->opus_);
    if (!dm) return make_error("loadgen --dpdk: " + dm.error().message);
    r->dpdk_ = std::move(dm.value());
    if (!o.quiet)
      std::printf("loadgen: media on DPDK; SRTP %s\n", r->dpdk_->engine_description().c_str());
  }
  r->http_ = std::make_unique<HttpClient>(256);
  if (o.target == Options::Target::kJanus) {
    JanusParams jp;
    jp.url = o.url;
    jp.room = std::stoull(o.room);
    jp.max_publishers = o.publishers + 16;
    r->target_ = make_janus_target(jp, *r->http_);
  } else {
    WhipParams wp;
    wp.url = o.url;
    wp.api_key = o.api_key;
    wp.api_secret = o.api_secret;
    if (!o.config.empty()) {
      auto cfg = config::load_config_file(o.config);
      if (!cfg) return make_error("loadgen: " + o.config + ": " + cfg.error().message);
      if (cfg.value().keys.empty()) return make_error("loadgen: " + o.config + " has no API keys");
      if (wp.api_key.empty()) wp.api_key = cfg.value().keys.begin()->first;
      auto it = cfg.value().keys.find(wp.api_key);
      if (it == cfg.value().keys.end())
        return make_error("loadgen: no key " + wp.api_key + " in " + o.config);
      wp.api_secret = it->second;
    }
    r->target_ = make_whip_target(wp, *r->http_);
  }
  Runner* self = r.get();
  r->target_->on_candidates([self](uint64_t sid, const std::vector<std::string>& lines) {
    auto it = self->sessions_.find(sid);
    if (it == self->sessions_.end()) return;
    if (auto s = it->second.peer->add_remote_candidates(lines); !s)
      self->fail_session(sid, s.error().message);
  });
  r->target_->on_ended(
      [self](uint64_t sid, const std::string& why) { self->fail_session(sid, why); });
  return r;
}

Runner::~Runner() {
  if (tick_src_ != 0) g_source_remove(tick_src_);
  if (second_src_ != 0) g_source_remove(second_src_);
  sessions_.clear();
  target_.reset();
  http_.reset();
  if (loop_ != nullptr) g_main_loop_unref(loop_);
  dpdk_.reset();  // after the peers, which remove their sessions from it
}

int Runner::run() {
  loop_ = g_main_loop_new(nullptr, FALSE);
  start_ns_ = last_ns_ = now_ns();
  target_->open([this](Status s) {
    if (!s) {
      std::fprintf(stderr, "loadgen: %s\n", s.error().message.c_str());
      exit_status_ = 1;
      enter(Phase::kDone);
      return;
    }
    enter(Phase::kPublishers);
  });
  tick_src_ = g_timeout_add(dpdk_ ? kDpdkTickMs : kTickMs, &Runner::on_tick, this);
  second_src_ = g_timeout_add(1000, &Runner::on_second, this);
  if (phase_ != Phase::kDone) g_main_loop_run(loop_);
  if (!o_.json.empty() && !result_.is_null()) {
    std::ofstream f(o_.json);
    f << result_.dump(1) << "\n";
    if (!f) {
      std::fprintf(stderr, "loadgen: cannot write %s\n", o_.json.c_str());
      return 1;
    }
  }
  return exit_status_;
}

void Runner::stop() { stop_ = true; }

gboolean Runner::on_tick(gpointer p) {
  static_cast<Runner*>(p)->tick();
  return G_SOURCE_CONTINUE;
}

gboolean Runner::on_second(gpointer p) {
  static_cast<Runner*>(p)->second();
  return G_SOURCE_CONTINUE;
}

void Runner::enter(Phase p) {
  phase_ = p;
  phase_ns_ = now_ns();
  ready_ns_ = 0;
  if (p == Phase::kHold) {
    failed_mark_ = failed_pubs_ + failed_subs_;
    if (o_.ramp.empty()) {
      open_window(o_.packet_rate);
    } else {
      dpdk_->set_packet_rate(static_cast<uint32_t>(o_.packet_rate));
      settle_until_ =
          phase_ns_ + static_cast<uint64_t>(std::max(o_.ramp_settle, o_.ramp_warmup) * 1e9);
    }
    // Always printed: bench/compare samples the SFU on this line.
    std::printf("loadgen: all up; holding for %.0f s\n", o_.seconds);
    std::fflush(stdout);
  }
  if (p == Phase::kDone && loop_ != nullptr) g_main_loop_quit(loop_);
}

void Runner::open_window(int packet_rate) {
  if (dpdk_) {
    dpdk_->set_packet_rate(static_cast<uint32_t>(packet_rate));
    refresh(false, true);
    media_base_ = media_.c;
  }
  window_ns_ = now_ns();
  base_sent_ = totals_.sent_pkts;
  base_recv_ = totals_.recv_pkts;
  base_srtp_err_ = totals_.srtp_errors;
  base_bad_ = totals_.bad_packets;
  base_ = sums();
  totals_.latency.clear();
  for (auto& [id, sess] : sessions_) sess.peer->reset_silence(window_ns_);
}

bool Runner::ramp_step(uint64_t now) {
  refresh(false, false);
  const double window = std::max(1e-9, secs(now - window_ns_));
  const Sums s = sums();
  const uint64_t exp = s.expected - base_.expected, uniq = s.unique - base_.unique;
  const double loss =
      exp > 0 && exp > uniq ? static_cast<double>(exp - uniq) / static_cast<double>(exp) : 0.0;
  const double p99 = ms(totals_.latency.quantile(0.99));
  const MediaCounters& c = media_.c;
  const MediaCounters& b = media_base_;
  const int rate = o_.ramp[ramp_i_];
  // A step that delivered nothing fails too; one in which sessions failed
  // (consent lost under overload) fails and ends the ramp: later steps would
  // measure fewer sessions than asked for.
  const bool delivered = exp > 0 && totals_.recv_pkts > base_recv_;
  const int lost_sessions = failed_pubs_ + failed_subs_ - failed_mark_;
  failed_mark_ = failed_pubs_ + failed_subs_;
  const bool pass =
      delivered && lost_sessions == 0 && loss <= o_.ramp_loss && p99 <= o_.ramp_p99_ms;
  json st = {{"packet_rate", rate},
             {"window_s", window},
             {"sent_pps", static_cast<double>(totals_.sent_pkts - base_sent_) / window},
             {"recv_pps", static_cast<double>(totals_.recv_pkts - base_recv_) / window},
             {"expected_pkts", exp},
             {"lost_pkts", exp > uniq ? exp - uniq : 0},
             {"loss_ratio", loss},
             {"latency_ms", latency_json(totals_.latency)},
             {"wire_drops", c.wire_drops - b.wire_drops},
             {"send_errors", c.send_errors - b.send_errors},
             {"srtp_errors", c.srtp_errors - b.srtp_errors},
             {"lcore_busy_ratio", busy_ratio(c, b)},
             {"sessions_failed", lost_sessions},
             {"pass", pass},
             {"attempt", attempt_ + 1}};
  // CLOCK_MONOTONIC seconds, as Python's time.monotonic() (bench/capacity's samples).
  st["mono_start"] = secs(window_ns_);
  st["mono_end"] = secs(now);
  const bool retry = !pass && lost_sessions == 0 && attempt_ < o_.ramp_retries;
  std::printf(
      "loadgen: step %zu rate %d: sent %.0f pps, received %.0f pps, loss %.4f%%, latency p99 "
      "%.2f ms: %s%s\n",
      ramp_i_ + 1, rate, st["sent_pps"].get<double>(), st["recv_pps"].get<double>(), 100 * loss,
      p99,
      pass    ? "pass"
      : retry ? "fail, held again"
              : "fail",
      !delivered          ? " (nothing delivered)"
      : lost_sessions > 0 ? " (sessions failed)"
                          : "");
  std::fflush(stdout);
  steps_.push_back(std::move(st));
  if (retry) {
    ++attempt_;
  } else {
    attempt_ = 0;
    if (!pass || ramp_i_ + 1 >= o_.ramp.size()) return false;
    dpdk_->set_packet_rate(static_cast<uint32_t>(o_.ramp[++ramp_i_]));
  }
  settle_until_ = now + static_cast<uint64_t>(o_.ramp_settle * 1e9);
  return true;
}

void Runner::launch(bool publisher, int room) {
  const uint64_t id = next_id_++;
  PeerParams pp;
  pp.context = g_main_context_default();
  pp.local_address = o_.local_address;
  pp.cert = cert_;
  pp.opus = &opus_;
  pp.totals = &totals_;
  pp.seed = splitmix64(rng_);
  pp.media = dpdk_.get();
  pp.session_id = id;
  // Every Nth subscriber of each room verifies (--rooms takes them in turn).
  pp.verify = publisher || ((launched_subs_ - 1) / o_.rooms) % o_.verify_every == 0;
  bool video = false;
  if (publisher) {
    pp.publisher_id = next_publisher_++;
    video = launched_video_ < o_.video_publishers;
    if (video) ++launched_video_;
    pp.video_kbps = video ? o_.video_kbps : 0;
    pp.garbage_pps = o_.garbage_pps;
  }
  auto peer = Peer::create(pp);
  if (!peer) {
    ++failures_[peer.error().message];
    ++(publisher ? failed_pubs_ : failed_subs_);
    return;
  }
  Session& s = sessions_[id];
  s.id = id;
  s.publisher = publisher;
  s.video = video;
  s.room = room;
  s.peer = std::move(peer.value());
  s.started_ns = now_ns();
  const std::string identity = (publisher ? "pub-" : "sub-") + std::to_string(id);
  const std::string room_id = room_name(o_, room);
  auto apply = [this, id](Result<std::string> answer) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    if (!answer) return fail_session(id, answer.error().message);
    if (auto st = it->second.peer->apply_answer(answer.value()); !st)
      fail_session(id, st.error().message);
  };
  if (publisher) {
    auto offer = s.peer->publish_offer();
    if (!offer) return fail_session(id, offer.error().message);
    target_->publish(id, room_id, identity, offer.value(), apply);
    return;
  }
  if (!target_->sfu_offers()) {
    int audio = 0, vid = 0;
    for (const auto& [sid, other] : sessions_) {
      if (!other.publisher || other.room != room || !other.peer->up()) continue;
      ++audio;
      if (other.video) ++vid;
    }
    if (audio == 0) return fail_session(id, "no publisher is up to subscribe to");
    auto offer = s.peer->subscribe_offer(audio, vid);
    if (!offer) return fail_session(id, offer.error().message);
    target_->subscribe(id, room_id, identity, offer.value(), apply);
    return;
  }
  target_->subscribe_request(id, room_id, identity, [this, id](Result<std::string> offer) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    if (!offer) return fail_session(id, offer.error().message);
    auto answer = it->second.peer->answer_offer(offer.value());
    if (!answer) return fail_session(id, answer.error().message);
    target_->subscribe_answer(id, answer.value(), [this, id](Status st) {
      if (!st) fail_session(id, st.error().message);
    });
  });
}

void Runner::end_session(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  for (const auto& [ssrc, st] : it->second.peer->streams()) {
    retired_.expected += st.expected();
    retired_.unique += st.unique();
    retired_.duplicates += st.duplicates();
  }
  target_->leave(id);
  sessions_.erase(it);
}

void Runner::fail_session(uint64_t id, const std::string& why) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  ++failures_[why.substr(0, 160)];
  ++(it->second.publisher ? failed_pubs_ : failed_subs_);
  if (!o_.quiet) {
    std::fprintf(stderr, "loadgen: %s %llu failed: %s\n",
                 it->second.publisher ? "publisher" : "subscriber",
                 static_cast<unsigned long long>(id), why.c_str());
  }
  end_session(id);
}

Runner::Sums Runner::sums() const {
  if (dpdk_) return {media_.expected, media_.unique, media_.duplicates};
  Sums s = retired_;
  for (const auto& [id, sess] : sessions_) {
    for (const auto& [ssrc, st] : sess.peer->streams()) {
      s.expected += st.expected();
      s.unique += st.unique();
      s.duplicates += st.duplicates();
    }
  }
  return s;
}

bool Runner::ready(const Session& s) {
  return s.publisher ? s.peer->up() : s.peer->first_media_ns() != 0;
}

std::pair<int, int> Runner::up_counts() const {
  int pubs = 0, subs = 0;
  for (const auto& [id, s] : sessions_) {
    if (ready(s)) ++(s.publisher ? pubs : subs);
  }
  return {pubs, subs};
}

void Runner::refresh(bool full, bool clear_total) {
  const MediaReport* r = dpdk_->report(full, clear_total);
  if (r == nullptr) {
    ++failures_["the DPDK media lcore did not answer"];
    return;
  }
  media_.c = r->c;
  media_.expected = r->expected;
  media_.unique = r->unique;
  media_.duplicates = r->duplicates;
  media_.streams = r->streams;
  media_.jitter_sum_ms = r->jitter_sum_ms;
  if (full) media_.detail = r->detail;
  totals_.sent_pkts = r->c.sent_pkts;
  totals_.sent_bytes = r->c.sent_bytes;
  totals_.recv_pkts = r->c.recv_pkts;
  totals_.recv_bytes = r->c.recv_bytes;
  totals_.rtcp_pkts = r->c.rtcp_pkts;
  totals_.srtp_errors = r->c.srtp_errors;
  totals_.bad_packets = r->c.bad_packets;
  totals_.send_errors = r->c.send_errors + r->c.wire_drops;
  totals_.latency = r->latency;
  totals_.latency_interval.merge(r->latency_interval);
  for (const auto& [id, ns] : r->first_media) {
    auto it = sessions_.find(id);
    if (it != sessions_.end()) it->second.peer->set_first_media(ns);
  }
  last_refresh_ns_ = now_ns();
}

std::vector<std::pair<const Runner::Session*, const StreamReceive*>> Runner::stream_list() const {
  std::vector<std::pair<const Session*, const StreamReceive*>> v;
  if (dpdk_) {
    for (const auto& d : media_.detail) {
      auto it = sessions_.find(d.session);
      if (it != sessions_.end()) v.emplace_back(&it->second, &d.st);
    }
    return v;
  }
  for (const auto& [id, sess] : sessions_) {
    for (const auto& [ssrc, st] : sess.peer->streams()) v.emplace_back(&sess, &st);
  }
  return v;
}

void Runner::tick() {
  const uint64_t now = now_ns();
  // --dpdk: subscribers are ready once the lcore saw their media.
  if (dpdk_ && phase_ == Phase::kSubscribers && now - last_refresh_ns_ > 100'000'000)
    refresh(false, false);
  std::vector<std::pair<uint64_t, std::string>> failed;
  for (auto& [id, s] : sessions_) {
    s.peer->tick(now);
    if (s.peer->failed()) {
      failed.emplace_back(id, s.peer->failure());
      continue;
    }
    if (!s.join_recorded && s.peer->first_media_ns() != 0) {
      s.join_recorded = true;
      (s.publisher ? join_ms_pub_ : join_ms_sub_)
          .push_back(ms(s.peer->first_media_ns() - s.started_ns));
    }
  }
  for (const auto& [id, why] : failed) fail_session(id, why);

  if (stop_ && phase_ < Phase::kLinger) {
    if (phase_ != Phase::kHold) enter(Phase::kHold);
    finish();
  }
  const double since = secs(now - phase_ns_);
  const bool timed_out = since > o_.setup_timeout;
  // Starts the sessions of one kind that are due at the join rate; true
  // once all of them have been started.
  auto launch_due = [&](bool publishers, int& launched, int total) {
    const int due = std::min(total, static_cast<int>(since * o_.join_rate) + 1);
    while (launched < due) {
      launch(publishers, launched++ % o_.rooms);
    }
    return launched >= total;
  };
  auto stragglers = [&](bool publishers) {
    std::vector<uint64_t> late;
    for (const auto& [id, s] : sessions_) {
      if (s.publisher == publishers && !ready(s)) late.push_back(id);
    }
    return late;
  };
  auto give_up_on_stragglers = [&](bool publishers) {
    for (uint64_t id : stragglers(publishers)) {
      fail_session(id, publishers ? "not connected within the setup timeout"
                                  : "no media within the setup timeout");
    }
  };
  switch (phase_) {
    case Phase::kPublishers:
      if (!launch_due(true, launched_pubs_, o_.publishers)) break;
      if (timed_out) give_up_on_stragglers(true);
      if (!stragglers(true).empty()) break;
      if (up_counts().first == 0) {
        std::fprintf(stderr, "loadgen: no publisher came up\n");
        exit_status_ = 1;
        enter(Phase::kHold);
        finish();
        break;
      }
      if (ready_ns_ == 0) ready_ns_ = now;
      if (now - ready_ns_ >= kSettleNs) enter(Phase::kSubscribers);
      break;
    case Phase::kSubscribers:
      if (!launch_due(false, launched_subs_, o_.subscribers)) break;
      if (timed_out) give_up_on_stragglers(false);
      if (stragglers(false).empty()) enter(Phase::kHold);
      break;
    case Phase::kHold:
      churn_step(now);
      if (settle_until_ != 0) {  // --ramp: the step's rate runs unmeasured first
        if (now < settle_until_) break;
        settle_until_ = 0;
        open_window(o_.ramp[ramp_i_]);
        break;
      }
      if (secs(now - window_ns_) >= o_.seconds && (o_.ramp.empty() || !ramp_step(now))) finish();
      break;
    case Phase::kLinger:
      if (stop_ || secs(now - phase_ns_) >= 1.0) teardown();
      break;
    case Phase::kClosing:
      if (target_->requests_in_flight() == 0 || secs(now - phase_ns_) > 3) enter(Phase::kDone);
      break;
    case Phase::kOpen:
    case Phase::kDone: break;
  }
}

void Runner::churn_step(uint64_t now) {
  if (o_.churn <= 0) return;
  const auto due = static_cast<uint64_t>(secs(now - window_ns_) * o_.churn);
  while (churned_ < due) {
    ++churned_;
    std::vector<uint64_t> live;
    for (const auto& [id, s] : sessions_) {
      if (s.peer->up()) live.push_back(id);
    }
    if (live.empty()) return;
    const uint64_t id = live[splitmix64(rng_) % live.size()];
    const bool publisher = sessions_[id].publisher;
    const bool video = sessions_[id].video;
    const int room = sessions_[id].room;
    end_session(id);
    // The replacement is of the same kind (a video publisher stays one), in
    // the same room.
    if (video) --launched_video_;
    launch(publisher, room);
  }
}

void Runner::second() {
  if (dpdk_) refresh(false, false);
  const uint64_t now = now_ns();
  const Sums s = sums();
  const double dt = secs(now - last_ns_);
  const uint64_t dexp = s.expected - last_.expected, duniq = s.unique - last_.unique;
  const double loss = dexp > 0 && dexp > duniq
                          ? 100.0 * static_cast<double>(dexp - duniq) / static_cast<double>(dexp)
                          : 0.0;
  const double sent_pps = static_cast<double>(totals_.sent_pkts - last_sent_) / dt;
  const double recv_pps = static_cast<double>(totals_.recv_pkts - last_recv_) / dt;
  double jitter = 0;
  uint64_t streams = 0;
  if (dpdk_) {
    jitter = media_.jitter_sum_ms;
    streams = media_.streams;
  } else {
    for (const auto& [sess, st] : stream_list()) {
      jitter += st->jitter_ms();
      ++streams;
    }
  }
  jitter = streams > 0 ? jitter / static_cast<double>(streams) : 0;
  const auto [pubs, subs] = up_counts();
  const double p50 = ms(totals_.latency_interval.quantile(0.5));
  const double p99 = ms(totals_.latency_interval.quantile(0.99));
  if (!o_.quiet) {
    std::printf(
        "t=%5.1fs pubs %d/%d subs %d/%d sent %.0f pps recv %.0f pps loss %.2f%% jitter %.2f ms "
        "latency p50 %.2f p99 %.2f ms\n",
        secs(now - start_ns_), pubs, o_.publishers, subs, o_.subscribers, sent_pps, recv_pps, loss,
        jitter, p50, p99);
    std::fflush(stdout);
  }
  series_.push_back({{"t", secs(now - start_ns_)},
                     {"publishers_up", pubs},
                     {"subscribers_receiving", subs},
                     {"sent_pps", sent_pps},
                     {"recv_pps", recv_pps},
                     {"loss_pct", loss},
                     {"jitter_ms", jitter},
                     {"latency_p50_ms", p50},
                     {"latency_p99_ms", p99}});
  totals_.latency_interval.clear();
  last_ns_ = now;
  last_sent_ = totals_.sent_pkts;
  last_recv_ = totals_.recv_pkts;
  last_ = s;
}

json Runner::summary(uint64_t now) const {
  const Sums s = sums();
  const double window = std::max(1e-9, secs(now - window_ns_));
  const uint64_t exp = s.expected - base_.expected, uniq = s.unique - base_.unique;
  const uint64_t lost = exp > uniq ? exp - uniq : 0;
  double jitter_sum = 0, jitter_max = 0;
  int streams = 0, receiving = 0, offered = 0;
  for (const auto& [id, sess] : sessions_) {
    if (!sess.publisher) offered += sess.peer->offered_streams();
  }
  const auto list = stream_list();
  for (const auto& [sess, st] : list) {
    jitter_sum += st->jitter_ms();
    jitter_max = std::max(jitter_max, st->jitter_ms());
    ++streams;
    if (st->received() > 0) ++receiving;
  }
  // Streams gone dark (issue 12 #10): a received stream of a publisher that
  // is still up, silent for over a second in the window (a gap, or its tail).
  std::set<uint32_t> live_publishers;
  for (const auto& [id, sess] : sessions_) {
    if (sess.publisher && sess.peer->up()) live_publishers.insert(sess.peer->publisher_id());
  }
  int silent = 0;
  uint64_t max_silence = 0;
  for (const auto& [sess, st] : list) {
    if (sess->publisher || !sess->peer->up()) continue;
    if (live_publishers.count(st->publisher()) == 0) continue;  // also streams not verified
    const uint64_t quiet = st->silence_ns(now);
    max_silence = std::max(max_silence, quiet);
    if (quiet > kSilentNs) ++silent;
  }
  const auto [pubs, subs] = up_counts();
  json j;
  j["target"] = o_.target == Options::Target::kJanus ? "janus" : "edgesfu";
  j["url"] = o_.url;
  j["room"] = o_.room;
  j["rooms"] = o_.rooms;
  j["publishers"] = o_.publishers;
  j["subscribers"] = o_.subscribers;
  j["video_publishers"] = o_.video_publishers;
  j["video_kbps"] = o_.video_kbps;
  j["opus_kbps"] = o_.opus_kbps;
  j["churn_per_s"] = o_.churn;
  j["publishers_up"] = pubs;
  j["subscribers_receiving"] = subs;
  j["window_s"] = window;
  j["sent_pkts"] = totals_.sent_pkts - base_sent_;
  j["recv_pkts"] = totals_.recv_pkts - base_recv_;
  j["sent_pps"] = static_cast<double>(totals_.sent_pkts - base_sent_) / window;
  j["recv_pps"] = static_cast<double>(totals_.recv_pkts - base_recv_) / window;
  j["expected_pkts"] = exp;
  j["lost_pkts"] = lost;
  j["loss_ratio"] = exp > 0 ? static_cast<double>(lost) / static_cast<double>(exp) : 0.0;
  j["duplicates"] = s.duplicates - base_.duplicates;
  j["srtp_errors"] = totals_.srtp_errors - base_srtp_err_;
  j["bad_packets"] = totals_.bad_packets - base_bad_;
  j["send_errors"] = totals_.send_errors;
  j["garbage_sent"] = totals_.garbage_sent;
  j["latency_ms"] = latency_json(totals_.latency);
  j["jitter_ms"] = {{"mean", streams > 0 ? jitter_sum / streams : 0.0}, {"max", jitter_max}};
  j["streams"] = {{"answered", offered}, {"receiving", receiving}, {"silent", silent}};
  j["max_silence_ms"] = ms(max_silence);
  // Against what the publishers sent: every subscriber receives every
  // publisher, so a window without churn should deliver sent x subscribers.
  // (With --rooms, what each room's publishers sent is not counted apart;
  // loss and the streams' counts say it.)
  const double want = static_cast<double>(totals_.sent_pkts - base_sent_) * subs;
  if (o_.rooms == 1) {
    j["delivery_ratio"] =
        want > 0 ? static_cast<double>(totals_.recv_pkts - base_recv_) / want : 0.0;
  }
  json profiles = json::object();
  for (const auto& [id, sess] : sessions_) {
    if (sess.peer->up())
      profiles[sess.peer->srtp_profile()] = profiles.value(sess.peer->srtp_profile(), 0) + 1;
  }
  j["srtp_profiles"] = profiles;
  j["join_ms"] = {{"publisher", quantiles_ms(join_ms_pub_)},
                  {"subscriber", quantiles_ms(join_ms_sub_)}};
  json reasons = json::object();
  for (const auto& [why, n] : failures_) reasons[why] = n;
  j["failed"] = {{"publishers", failed_pubs_}, {"subscribers", failed_subs_}, {"reasons", reasons}};
  j["churned"] = churned_;
  if (!o_.ramp.empty()) {
    j["ramp"] = steps_;
    j["ramp_limits"] = {{"loss", o_.ramp_loss}, {"p99_ms", o_.ramp_p99_ms}};
    // The highest rate that passed, and what it delivered.
    json best;
    for (const auto& st : steps_) {
      if (st["pass"].get<bool>()) best = st;
    }
    j["ramp_max"] = best;
  }
  if (dpdk_) {
    const MediaCounters& c = media_.c;
    const MediaCounters& b = media_base_;  // at the start of the hold
    j["dpdk"] = {{"srtp_engine", dpdk_->engine_description()},
                 {"packet_rate", o_.packet_rate},
                 {"verify_every", o_.verify_every},
                 {"verified_pkts", c.verified_pkts},  // the whole run's, as the next
                 {"recv_pkts_total", c.recv_pkts},
                 {"rtcp_pkts", c.rtcp_pkts},
                 {"wire_drops", c.wire_drops},
                 {"send_errors", c.send_errors},
                 {"to_kernel", c.to_kernel},
                 {"from_kernel", c.from_kernel},
                 {"kernel_drops", c.kernel_drops},
                 {"lcore_busy_ratio", busy_ratio(c, b)}};
  }
  j["series"] = series_;
  return j;
}

void Runner::finish() {
  if (phase_ >= Phase::kLinger) return;
  if (dpdk_) refresh(true, false);
  const uint64_t now = now_ns();
  result_ = summary(now);
  const json& r = result_;
  std::printf(
      "loadgen: %s: %d publishers, %d subscribers receiving; sent %.0f pps, received %.0f pps over "
      "%.1f s; "
      "loss %.3f%%; latency p50 %.2f ms p99 %.2f ms; join p50 pub %s sub %s ms; failed %d/%d\n",
      r["target"].get<std::string>().c_str(), r["publishers_up"].get<int>(),
      r["subscribers_receiving"].get<int>(), r["sent_pps"].get<double>(),
      r["recv_pps"].get<double>(), r["window_s"].get<double>(), 100 * r["loss_ratio"].get<double>(),
      r["latency_ms"]["p50"].get<double>(), r["latency_ms"]["p99"].get<double>(),
      r["join_ms"]["publisher"].value("p50", json(0)).dump().c_str(),
      r["join_ms"]["subscriber"].value("p50", json(0)).dump().c_str(), failed_pubs_, failed_subs_);
  std::fflush(stdout);
  if (r["publishers_up"].get<int>() == 0) exit_status_ = 1;
  const int silent = r["streams"]["silent"].get<int>();
  if (silent > 0) {
    std::printf("loadgen: %d streams were silent for over %.0f ms (longest %.0f ms)\n", silent,
                ms(kSilentNs), r["max_silence_ms"].get<double>());
    std::fflush(stdout);
    exit_status_ = 1;
  }
  phase_ = Phase::kLinger;
  phase_ns_ = now;
}

void Runner::teardown() {
  if (dpdk_) dpdk_->set_packet_rate(50);  // the DELETEs are not sent under load
  std::vector<uint64_t> ids;
  for (const auto& [id, s] : sessions_) ids.push_back(id);
  for (uint64_t id : ids) end_session(id);
  phase_ = Phase::kClosing;
  phase_ns_ = now_ns();
  target_->close([] {});
}

}  // namespace edgesfu::loadgen
