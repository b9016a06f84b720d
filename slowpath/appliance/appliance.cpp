#include "slowpath/appliance/appliance.hpp"

#include <glib-unix.h>
#include <pthread.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <new>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include "dataplane/port/devargs.hpp"
#include "dataplane/port/netns.hpp"
#include "dataplane/stats/telemetry.hpp"
#include "slowpath/appliance/appliance_metrics.hpp"
#include "slowpath/appliance/heap.hpp"
#include "slowpath/dtls/dtls.hpp"
#include "slowpath/metrics/metrics_server.hpp"
#include "slowpath/rooms/rooms.hpp"
#include "slowpath/rooms/speakers.hpp"
#include "slowpath/signalling/livekit/rtc_server.hpp"
#include "slowpath/signalling/whip/whip_server.hpp"

namespace edgesfu::sp {

namespace {
// Heap trims: how often the free bytes are looked at, and how many make a
// trim worth its walk of the arenas (a few ms at most, on this thread).
constexpr unsigned kHeapTrimEveryS = 10;
constexpr uint64_t kHeapTrimSlack = 4u << 20;
}  // namespace

Appliance::Appliance(config::Config cfg) : cfg_(std::move(cfg)) {}

Appliance::~Appliance() { stop(); }

Status Appliance::start() {
  if (auto s = eal_.init(cfg_); !s) return s;
  if (auto s = start_ports(); !s) return s;
  if (auto s = launch_workers(); !s) return s;
  return ok_status();
}

Status Appliance::start_ports() {
  const auto& dp = cfg_.dataplane;
  const auto queues = static_cast<uint16_t>(dp.worker_lcores.size());

  // The wire port is probed in the process's own namespace (af_packet/af_xdp
  // bind to an interface there).
  auto wire = dp.wire.pci.empty()
                  ? dp::Port::probe_vdev("wire", dp::wire_devargs(dp.wire.vdev, queues))
                  : dp::Port::find_pci("wire", dp.wire.pci);
  if (!wire) return wire.error();
  wire_.emplace(std::move(wire).value());

  // One pool, local to the wire port's NUMA socket (or the first worker's when
  // the PMD does not say): that is where received packets are written.
  int socket = wire_->socket();
  if (socket < 0) socket = static_cast<int>(rte_lcore_to_socket_id(dp.worker_lcores.front()));
  const std::string pool_name = "esfu_pool_s" + std::to_string(socket);
  pool_ = rte_pktmbuf_pool_create(pool_name.c_str(), dp.mempool.mbufs, dp.mempool.cache, 0,
                                  static_cast<uint16_t>(dp.mempool.data_room), socket);
  if (pool_ == nullptr) {
    return make_error("mempool: cannot create " + std::to_string(dp.mempool.mbufs) + " mbufs of " +
                      std::to_string(dp.mempool.data_room) + " bytes on socket " +
                      std::to_string(socket) + ": " + rte_strerror(rte_errno) +
                      " (raise dataplane.memory_mb or lower dataplane.mempool.mbufs)");
  }
  spdlog::info("mempool {}: {} mbufs x {} bytes, cache {}", pool_name, dp.mempool.mbufs,
               dp.mempool.data_room, dp.mempool.cache);

  // The wire is promiscuous: until flows are installed the appliance forwards
  // every frame, and the TAP's MAC is not the wire port's own.
  if (auto s = wire_->start({queues, dp.wire.rx_desc, dp.wire.tx_desc, true, true}, pool_); !s) {
    return s;
  }

  // The TAP is born where the appliance IP lives (exception.netns), so that the
  // kernel interface, its addresses and the PMD's own control sockets are there.
  // The main thread then returns beside the wire port.
  auto scope = dp::ScopedNetns::enter(dp.exception.netns);
  if (!scope) return scope.error();
  auto exc = dp::Port::probe_vdev("exception", dp::exception_devargs(dp.exception));
  if (!exc) return exc.error();
  exception_.emplace(std::move(exc).value());
  if (auto s =
          exception_->start({queues, dp.exception.rx_desc, dp.exception.tx_desc, false}, pool_);
      !s) {
    return s;
  }
  if (auto s = dp::configure_interface(dp.exception.iface, dp.exception.addresses); !s) {
    return s;
  }
  if (auto s = dp::add_default_routes(dp.exception.iface, dp.exception.gateways); !s) {
    return s;
  }
  if (auto s = dp::enable_syn_cookies(); !s) return s;
  std::string addrs;
  for (const auto& a : dp.exception.addresses) addrs += " " + a.text;
  for (const auto& g : dp.exception.gateways) addrs += ", default via " + g.text;
  spdlog::info("exception port: {} in {} with{}", dp.exception.iface,
               dp.exception.netns.empty() ? "this namespace" : dp.exception.netns,
               addrs.empty() ? " no address" : addrs);
  return ok_status();
}

Status Appliance::launch_workers() {
  const auto& dp = cfg_.dataplane;
  const auto& fp = dp.fastpath;
  std::string why;
  auto engine = dp::srtp::make_engine(dp.srtp_engine, why);
  if (!engine) return engine.error();
  srtp_ = std::move(engine).value();
  spdlog::info("srtp: engine {}", why);
  dp::WorkerSetParams p;
  p.lcores = dp.worker_lcores;
  p.wire_port = wire_->id();
  p.exception_port = exception_->id();
  p.burst = dp.burst;
  p.idle_sleep_us = dp.idle_sleep_us;
  p.pool = pool_;
  p.engine = srtp_.get();
  p.limits.max_participants = static_cast<uint16_t>(fp.max_participants);
  p.limits.max_tracks = static_cast<uint16_t>(fp.max_tracks);
  p.limits.max_downtracks = fp.max_downtracks;
  p.limits.rtx_depth = fp.rtx_depth;
  // The retransmission rings keep what the pool has beyond the mbufs its
  // queues, caches and bursts can hold (the config checked there is no less),
  // shared by the workers: publishers cannot starve the receive path. (At
  // least 1: 0 would mean no budget.)
  const uint64_t in_flight = config::mbufs_in_flight(dp);
  const uint64_t spare = dp.mempool.mbufs > in_flight ? dp.mempool.mbufs - in_flight : 0;
  p.limits.rtx_budget = static_cast<uint32_t>(
      std::max<uint64_t>(1, spare / std::max<std::size_t>(1, dp.worker_lcores.size())));
  p.limits.pli_throttle_ms = fp.pli_throttle_ms;
  p.limits.report_interval_ms = fp.report_interval_ms;
  p.limits.idle_timeout_ms = fp.idle_timeout_ms;
  p.limits.audio_active_level = static_cast<uint8_t>(cfg_.audio.active_level);
  p.limits.audio_window_ms = static_cast<uint16_t>(cfg_.audio.update_interval_ms);
  p.flow_capacity = fp.flow_capacity;
  p.punt_rate = fp.punt_rate;
  p.punt_burst = fp.punt_burst;
  p.punt_syn_rate = fp.punt_syn_rate;
  p.punt_syn_burst = fp.punt_syn_burst;
  p.punt_budget = fp.punt_budget;
  p.punt_budget_burst = fp.punt_budget_burst;
  p.punt_flow_rate = fp.punt_flow_rate;
  p.punt_flow_budget = fp.punt_flow_budget;
  // What is the appliance's on the wire: the TAP's MAC and addresses (the
  // kernel answers as them); the signalling port; the media ports.
  p.rules.mac = dp.exception.mac;
  p.rules.check_mac = true;
  for (const auto& a : dp.exception.addresses) {
    if (p.rules.naddrs == p.rules.addrs.size()) break;
    dp::pkt::IpAddr& ip = p.rules.addrs[p.rules.naddrs++];
    ip.family = a.family == AF_INET6 ? 6 : 4;
    std::copy(a.bytes.begin(), a.bytes.end(), ip.b.begin());
  }
  p.rules.signalling_port = cfg_.port;
  p.media_port_first = cfg_.rtc.port_range_start;
  p.media_port_last = cfg_.rtc.port_range_end;
  auto set = dp::WorkerSet::create(p);
  if (!set) return set.error();
  workers_ = std::move(set).value();
  dp_control_ = std::make_unique<DpControl>(*workers_, *srtp_, p.limits);
  if (auto s = workers_->launch(); !s) return s;
  dp::telemetry_attach(workers_.get());
  for (std::size_t i = 0; i < workers_->size(); ++i) {
    const auto& w = workers_->worker(i);
    spdlog::info("worker lcore {}: queue {} burst {}", w.lcore, w.queue, w.burst);
  }
  return ok_status();
}

gboolean Appliance::on_signal(gpointer self) {
  auto* a = static_cast<Appliance*>(self);
  spdlog::info("signal received; stopping");
  if (a->loop_ != nullptr) g_main_loop_quit(a->loop_);
  return G_SOURCE_CONTINUE;
}

gboolean Appliance::on_stats_tick(gpointer self) {
  auto* a = static_cast<Appliance*>(self);
  const CountersSnapshot now = a->counters();
  const uint64_t now_us = static_cast<uint64_t>(g_get_monotonic_time());
  const double secs = static_cast<double>(now_us - a->last_tick_us_) / 1e6;
  uint64_t w2e = 0, e2w = 0, drops = 0, busy = 0, total = 0, media_out = 0, media_in = 0;
  uint64_t switches = 0, keyframes = 0;
  for (std::size_t i = 0; i < now.lcores.size(); ++i) {
    const auto& s = now.lcores[i].s;
    const auto& p =
        a->last_tick_.lcores.size() > i ? a->last_tick_.lcores[i].s : dp::LcoreStatsSnapshot{};
    w2e += s.wire_to_exception.tx_pkts - p.wire_to_exception.tx_pkts;
    e2w += s.exception_to_wire.tx_pkts - p.exception_to_wire.tx_pkts;
    for (std::size_t d = 0; d < dp::kDropReasonCount; ++d) drops += s.drops[d] - p.drops[d];
    media_out += s.fastpath_to_wire.tx_pkts - p.fastpath_to_wire.tx_pkts;
    constexpr auto kRtpIn = static_cast<std::size_t>(dp::MediaCounter::rtp_in);
    media_in += s.media[kRtpIn] - p.media[kRtpIn];
    constexpr auto kSwitches = static_cast<std::size_t>(dp::MediaCounter::layer_switches);
    constexpr auto kKeyframes = static_cast<std::size_t>(dp::MediaCounter::keyframe_requests);
    switches += s.media[kSwitches] - p.media[kSwitches];
    keyframes += s.media[kKeyframes] - p.media[kKeyframes];
    busy += s.busy_cycles - p.busy_cycles;
    total += (s.busy_cycles + s.idle_cycles) - (p.busy_cycles + p.idle_cycles);
  }
  if (secs > 0) {
    const DpControl* dc = a->dp_control_.get();
    const heap::Figures hf = heap::figures();
    auto mib = [](uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); };
    spdlog::info(
        "stats: media in {:.0f} pps, forwarded {:.0f} pps; punted {:.0f} pps, kernel->wire "
        "{:.0f} pps; drops {:.0f}/s; flows {} tracks {} subscriptions {}; workers busy {:.1f}%; "
        "srtp sessions {}; webhooks queued {}; heap {:.2f} MiB in use, {:.2f} MiB free",
        static_cast<double>(media_in) / secs, static_cast<double>(media_out) / secs,
        static_cast<double>(w2e) / secs, static_cast<double>(e2w) / secs,
        static_cast<double>(drops) / secs, dc != nullptr ? dc->flows() : 0,
        dc != nullptr ? dc->tracks() : 0, dc != nullptr ? dc->downtracks() : 0,
        total != 0 ? 100.0 * static_cast<double>(busy) / static_cast<double>(total) : 0.0,
        dc != nullptr ? dc->live_sessions() : 0,
        a->webhooks_ != nullptr ? a->webhooks_->depth() : 0, mib(hf.in_use), mib(hf.free));
    if (switches != 0 || keyframes != 0) {
      spdlog::info("stats: video: {} simulcast layer switches, {} keyframe requests", switches,
                   keyframes);
    }
  }
  a->last_tick_ = now;
  a->last_tick_us_ = now_us;
  return G_SOURCE_CONTINUE;
}

gboolean Appliance::on_heap_tick(gpointer self) {
  auto* a = static_cast<Appliance*>(self);
  if (heap::trim_if_above(kHeapTrimSlack)) ++a->heap_trims_;
  return G_SOURCE_CONTINUE;
}

Status Appliance::run() {
  // The slow path's thread lives in the exception namespace for good: its
  // kernel sockets (ICE, DTLS, HTTP) must be where the appliance IP is.
  Status result = ok_status();
  std::thread slow([this, &result] {
    // Named for top -H, perf and bench/livekit_data (its CPU time).
    pthread_setname_np(pthread_self(), "esfu-slowpath");
    if (!cfg_.dataplane.exception.netns.empty()) {
      if (auto s = dp::enter_netns(cfg_.dataplane.exception.netns); !s) {
        result = s;
        return;
      }
    }
    result = run_main_loop();
  });
  slow.join();
  return result;
}

Status Appliance::run_main_loop() {
  GMainContext* ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  loop_ = g_main_loop_new(ctx, FALSE);
  // Signalling, ICE and DTLS on this context.
  metrics::SessionMetrics session_metrics;  // outlives the sessions
  std::unique_ptr<rooms::Rooms> rooms;
  std::unique_ptr<rooms::Speakers> speakers;
  std::unique_ptr<rooms::Qualities> qualities;
  std::unique_ptr<session::Admission> admission;  // outlives the sessions' tickets
  std::unique_ptr<signalling::WhipServer> whip;
  std::unique_ptr<livekit::RtcServer> rtc;
  std::unique_ptr<metrics::MetricsServer> prometheus;
  Status started = ok_status();
  if (cfg_.dataplane.exception.addresses.empty()) {
    spdlog::warn("signalling: dataplane.exception.addresses is empty; WHIP/WHEP not started");
  } else {
    char buf[64];
    const auto& a = cfg_.dataplane.exception.addresses.front();
    inet_ntop(a.family, a.bytes.data(), buf, sizeof buf);
    auto cert = dtls::Certificate::generate("edgesfu");
    if (!cert) {
      started = cert.error();
    } else {
      rooms = std::make_unique<rooms::Rooms>();
      signalling::SessionDeps deps;
      deps.context = ctx;
      deps.dp = dp_control_.get();
      deps.rooms = rooms.get();
      deps.metrics = &session_metrics;
      rooms::AudioConfig ac;
      ac.active_level = static_cast<uint8_t>(cfg_.audio.active_level);
      ac.min_percentile = static_cast<uint8_t>(cfg_.audio.min_percentile);
      ac.update_interval_ms = cfg_.audio.update_interval_ms;
      ac.smooth_intervals = cfg_.audio.smooth_intervals;
      speakers = std::make_unique<rooms::Speakers>(ac);
      deps.speakers = speakers.get();
      dp_control_->set_level_handler(
          [s = speakers.get()](const TrackRef& t, const DpControl::AudioLevelReport& r) {
            s->observe(t, r.loudest, r.active_ms, r.observed_ms, g_get_monotonic_time());
          });
      qualities = std::make_unique<rooms::Qualities>();
      deps.qualities = qualities.get();
      dp_control_->set_quality_handler([q = qualities.get()](uint64_t room, uint32_t number,
                                                             const DpControl::QualityFigures& f) {
        q->report(room, number, rooms::QualityReport{f.loss_in, f.loss_out, f.jitter_ms, f.rtt_ms},
                  g_get_monotonic_time());
      });
      session::AdmissionLimits al;
      al.max_pending = cfg_.limit.max_pending_sessions;
      al.max_pending_per_identity = cfg_.limit.max_pending_per_identity;
      al.room_max_participants = cfg_.room.max_participants;
      al.first_check_timeout_ms = cfg_.limit.first_check_timeout_ms;
      admission = std::make_unique<session::Admission>(al);
      deps.admission = admission.get();
      deps.cert = cert.value();
      deps.local_address = buf;
      deps.advertised_address = cfg_.rtc.node_ip.empty() ? buf : cfg_.rtc.node_ip;
      deps.port_min = cfg_.rtc.port_range_start;
      deps.port_max = cfg_.rtc.port_range_end;
      deps.data_send_buffer = cfg_.data.send_buffer_kb * 1024;
      // Both front doors hear when a room's tracks change, whichever door
      // the change came through.
      deps.on_room_changed = [&whip, &rtc](const std::string& room) {
        if (whip) whip->room_changed(room);
        if (rtc) rtc->room_changed(room);
      };
      // Only agents were left in it (WHIP/WHEP sessions keep a room open).
      deps.on_room_closed = [&rtc](const std::string& room) {
        if (rtc) rtc->close_room(room, ::livekit::ROOM_CLOSED);
      };
      auto w = signalling::WhipServer::start(cfg_, deps);
      if (w) {
        whip = std::move(w).value();
        spdlog::info("dtls: certificate sha-256 {}", cert.value()->fingerprint());
        auto r = livekit::RtcServer::start(whip->server(), whip->guard(), cfg_, deps);
        if (r) {
          rtc = std::move(r).value();
          webhooks_ = rtc->webhooks();
        } else {
          started = r.error();
        }
        if (started.ok() && cfg_.prometheus_port != 0) {
          signalling::HttpLimits hl;
          hl.request_deadline_ms = cfg_.limit.http_request_timeout_ms;
          hl.per_source_connections = cfg_.limit.http_connections_per_source;
          hl.max_body = 0;  // GET and HEAD only
          auto m = metrics::MetricsServer::start(
              ctx, buf, cfg_.prometheus_port, hl, [this, &rooms, &rtc, &session_metrics] {
                return render_metrics(metrics_input(rooms.get(), rtc.get(), &session_metrics));
              });
          if (m) {
            prometheus = std::move(m).value();
            spdlog::info("prometheus: metrics on http://{}:{}/metrics", buf, cfg_.prometheus_port);
          } else {
            started = m.error();
          }
        }
      } else {
        started = w.error();
      }
    }
  }
  auto attach = [ctx](GSource* src, GSourceFunc fn, gpointer data) {
    g_source_set_callback(src, fn, data, nullptr);
    g_source_attach(src, ctx);
    return src;
  };
  GSource* sigint = attach(g_unix_signal_source_new(SIGINT), &Appliance::on_signal, this);
  GSource* sigterm = attach(g_unix_signal_source_new(SIGTERM), &Appliance::on_signal, this);
  // main() blocked SIGINT/SIGTERM before any thread existed, so every thread
  // inherited the block; unblock here only, now that GLib's handlers are
  // installed: a signal (even one pending since start-up) lands on this thread.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &sigs, nullptr);
  // Worker events (released SRTP sessions) are handled on this thread.
  GSource* events = attach(g_timeout_source_new(100), &Appliance::on_events_tick, this);
  // Free heap pages back to the kernel (slowpath/appliance/heap.hpp).
  GSource* heap_tick =
      attach(g_timeout_source_new_seconds(kHeapTrimEveryS), &Appliance::on_heap_tick, this);
  GSource* tick = nullptr;
  if (cfg_.logging.stats_interval_s != 0) {
    last_tick_ = counters();
    last_tick_us_ = static_cast<uint64_t>(g_get_monotonic_time());
    tick = attach(g_timeout_source_new_seconds(cfg_.logging.stats_interval_s),
                  &Appliance::on_stats_tick, this);
  }
  if (started.ok()) {
    spdlog::info("edgesfu running; SIGINT or SIGTERM stops it");
    g_main_loop_run(loop_);
  }
  prometheus.reset();  // it reads the rooms and the LiveKit door
  webhooks_ = nullptr;
  rtc.reset();   // its routes are on the WHIP door's server
  whip.reset();  // sessions leave the dataplane while it still runs
  rooms.reset();
  if (dp_control_) {
    dp_control_->set_level_handler(nullptr);
    dp_control_->set_quality_handler(nullptr);
  }
  speakers.reset();
  qualities.reset();
  for (GSource* src : {sigint, sigterm, events, heap_tick, tick}) {
    if (src == nullptr) continue;
    g_source_destroy(src);
    g_source_unref(src);
  }
  g_main_loop_unref(loop_);
  loop_ = nullptr;
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return started;
}

gboolean Appliance::on_events_tick(gpointer self) {
  auto* a = static_cast<Appliance*>(self);
  if (a->dp_control_) a->dp_control_->poll_events();
  return G_SOURCE_CONTINUE;
}

CountersSnapshot Appliance::counters() const {
  CountersSnapshot s;
  if (wire_) s.ports.push_back({"wire", wire_->counters()});
  if (exception_) s.ports.push_back({"exception", exception_->counters()});
  if (workers_) {
    for (std::size_t i = 0; i < workers_->size(); ++i) {
      const dp::Worker& w = workers_->worker(i);
      s.lcores.push_back({w.lcore, dp::snapshot(w.stats)});
    }
  }
  return s;
}

CountersSnapshot Appliance::stop() {
  // release: pairs with nothing in particular (the lcores read relaxed); the
  // join below is what orders the workers' last writes before our reads.
  dp::telemetry_attach(nullptr);
  if (workers_) workers_->stop();
  CountersSnapshot final_counters = counters();
  // Sessions go before the fast paths that referenced them are torn down;
  // both only after the workers have stopped.
  dp_control_.reset();
  workers_.reset();
  srtp_.reset();
  exception_.reset();
  wire_.reset();
  if (pool_ != nullptr) {
    rte_mempool_free(pool_);
    pool_ = nullptr;
  }
  eal_.cleanup();
  return final_counters;
}

std::string format_counters(const CountersSnapshot& s) {
  std::ostringstream o;
  bool first = true;
  auto sep = [&] {
    if (!first) o << " | ";
    first = false;
  };
  for (const auto& p : s.ports) {
    sep();
    o << "port=" << p.role << " rx_pkts=" << p.c.rx_pkts << " rx_bytes=" << p.c.rx_bytes
      << " tx_pkts=" << p.c.tx_pkts << " tx_bytes=" << p.c.tx_bytes
      << " rx_missed=" << p.c.rx_missed << " rx_errors=" << p.c.rx_errors
      << " rx_nombuf=" << p.c.rx_nombuf << " tx_errors=" << p.c.tx_errors;
  }
  for (const auto& l : s.lcores) {
    sep();
    const auto& x = l.s;
    o << "lcore=" << l.lcore << " wire_rx=" << x.wire_to_exception.rx_pkts
      << " exception_tx=" << x.wire_to_exception.tx_pkts
      << " exception_rx=" << x.exception_to_wire.rx_pkts
      << " wire_tx=" << x.exception_to_wire.tx_pkts << " media_tx=" << x.fastpath_to_wire.tx_pkts;
    for (std::size_t c = 0; c < dp::kRxClassCount; ++c) {
      o << " rx_" << dp::kRxClassNames[c] << "=" << x.rx_class[c][0];
    }
    for (std::size_t d = 0; d < dp::kMediaCounterCount; ++d) {
      o << " " << dp::kMediaCounterNames[d] << "=" << x.media[d];
    }
    for (std::size_t d = 0; d < dp::kDropReasonCount; ++d) {
      o << " drop_" << dp::kDropReasonNames[d] << "=" << x.drops[d];
    }
    const uint64_t total = x.busy_cycles + x.idle_cycles;
    o << " busy_pct=" << (total != 0 ? (100 * x.busy_cycles) / total : 0);
  }
  return o.str();
}

MetricsInput Appliance::metrics_input(const rooms::Rooms* rooms, const livekit::RtcServer* rtc,
                                      const metrics::SessionMetrics* sessions) const {
  MetricsInput in;
  in.counters = counters();
  in.tsc_hz = static_cast<double>(rte_get_tsc_hz());
  const heap::Figures hf = heap::figures();
  in.heap_in_use = hf.in_use;
  in.heap_free = hf.free;
  in.heap_trims = heap_trims_;
  if (pool_ != nullptr) {
    in.pools.push_back({pool_->name, rte_mempool_in_use_count(pool_), pool_->size});
  }
  if (const DpControl* dc = dp_control_.get(); dc != nullptr) {
    in.flows = dc->flows();
    in.tracks = dc->tracks();
    in.subscriptions = dc->downtracks();
    in.srtp_sessions = dc->live_sessions();
    in.commands_queued = dc->pending_commands() + dc->commands_in_rings();
    in.commands_deferred = dc->commands_deferred();
  }
  if (rooms != nullptr) {
    in.rooms = rooms->size();
    for (const auto& [name, r] : rooms->all()) {
      in.participants += r.participants.size();
      in.published_tracks += r.tracks.size();
    }
  }
  in.sessions = sessions;
  if (rtc != nullptr) {
    in.data = &rtc->data_totals();
    if (const webhook::Notifier* w = rtc->webhooks(); w != nullptr) {
      in.webhooks = true;
      in.webhook_queue = w->depth();
      in.webhook = w->totals();
    }
  }
  return in;
}

}  // namespace edgesfu::sp
