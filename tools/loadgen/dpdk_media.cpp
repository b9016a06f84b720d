#include "tools/loadgen/dpdk_media.hpp"

#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "base/log.hpp"
#include "config/config.hpp"
#include "dataplane/port/devargs.hpp"
#include "dataplane/port/netns.hpp"

namespace edgesfu::loadgen {

Result<std::unique_ptr<DpdkMedia>> DpdkMedia::create(const DpdkOptions& o, const OpusLoop* opus) {
  std::unique_ptr<DpdkMedia> d(new DpdkMedia());
  if (auto s = d->start(o, opus); !s) {
    d->shutdown();
    return s.error();
  }
  return d;
}

Status DpdkMedia::start(const DpdkOptions& o, const OpusLoop* opus) {
  o_ = o;
  config::ExceptionPortConfig ex;
  ex.iface = o.tap_iface;
  if (!config::parse_mac(o.tap_mac, ex.mac))
    return make_error("--dpdk-tap-mac " + o.tap_mac + ": not a MAC");
  config::InterfaceAddress addr;
  std::string why;
  if (!config::parse_cidr(o.tap_address, addr, why) || addr.family != AF_INET)
    return make_error("--dpdk-tap-address " + o.tap_address + ": " +
                      (why.empty() ? "IPv4 only" : why));
  ex.addresses = {addr};

  config::Config cfg;
  cfg.dataplane.main_lcore = 0;
  cfg.dataplane.worker_lcores = {1};
  cfg.dataplane.file_prefix =
      o.file_prefix.empty() ? "loadgen-" + std::to_string(getpid()) : o.file_prefix;
  // A NIC fills every RX descriptor of every queue with an mbuf and holds
  // as many on TX; the pool covers that and the bursts in flight.
  const uint32_t mbufs = std::max<uint32_t>(o.mbufs, uint32_t{o.queues} * (4096 + 4096) + 8191);
  const uint32_t pool_mb = static_cast<uint32_t>(
      (uint64_t{mbufs} * (RTE_MBUF_DEFAULT_BUF_SIZE + 256) + (1u << 20) - 1) >> 20);
  cfg.dataplane.memory_mb = std::max<uint32_t>(256, pool_mb + 64);
  cfg.dataplane.wire.pci = o.pci;  // the EAL probes only it (else --no-pci)
  cfg.logging.level = config::LogLevel::kWarn;
  if (auto s = eal_.init(cfg, o.lcores); !s) return s;
  media_lcore_ = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
  if (media_lcore_ >= RTE_MAX_LCORE)
    return make_error("--dpdk-lcores " + o.lcores + ": no lcore besides the main one for media");

  pool_ = rte_pktmbuf_pool_create("lg_pool", mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                  static_cast<int>(rte_socket_id()));
  if (pool_ == nullptr)
    return make_error(std::string("loadgen: mempool: ") + rte_strerror(rte_errno));
  ring_ = rte_ring_create("lg_cmd", 4096, static_cast<int>(rte_socket_id()),
                          RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (ring_ == nullptr) return make_error(std::string("loadgen: ring: ") + rte_strerror(rte_errno));

  // rsize 14: 16,384 slots a ring (the most memif has), so that a stall of
  // either side of a few milliseconds at millions of packets a second (the
  // lcores share 2 vCPUs with everything else here) is latency, not loss.
  auto wire = !o.pci.empty()
                  ? dp::Port::find_pci("wire", o.pci)
                  : dp::Port::probe_vdev("wire", "net_memif0,role=client,socket=" + o.memif_socket +
                                                     ",socket-abstract=no,rsize=14");
  if (!wire) return wire.error();
  wire_.emplace(std::move(wire.value()));
  if (auto s = wire_->start({o.queues, 4096, 4096, true, false}, pool_); !s) return s;
  auto tap = dp::Port::probe_vdev("exception", dp::exception_devargs(ex));
  if (!tap) return tap.error();
  tap_.emplace(std::move(tap.value()));
  if (auto s = tap_->start({1, 1024, 1024, false, false}, pool_); !s) return s;
  if (auto s = dp::configure_interface(ex.iface, ex.addresses); !s) return s;

  auto engine = dp::srtp::make_engine(o.srtp_engine, engine_why_);
  if (!engine) return engine.error();
  engine_ = std::move(engine.value());

  LcoreParams lp;
  lp.wire_port = wire_->id();
  lp.tap_port = tap_->id();
  lp.queues = o.queues;
  lp.idle_sleep_us = o.idle_sleep_us;
  lp.pool = pool_;
  lp.commands = ring_;
  lp.engine = engine_.get();
  lp.opus = opus;
  lp.packet_rate = 50;
  std::copy(ex.mac.begin(), ex.mac.end(), lp.our_mac.begin());
  lcore_ = std::make_unique<MediaLcore>(lp);
  if (int rc = rte_eal_remote_launch(&MediaLcore::main, lcore_.get(), media_lcore_); rc != 0)
    return make_error("loadgen: cannot launch the media lcore: " + std::string(rte_strerror(-rc)));
  launched_ = true;
  return ok_status();
}

DpdkMedia::~DpdkMedia() { shutdown(); }

void DpdkMedia::shutdown() {
  if (launched_) {
    lcore_->stop();
    rte_eal_wait_lcore(media_lcore_);
    launched_ = false;
  }
  lcore_.reset();  // frees commands it never took
  for (auto* s : srtp_sessions_) engine_->destroy_session(s);
  srtp_sessions_.clear();
  engine_.reset();
  tap_.reset();
  wire_.reset();
  if (ring_ != nullptr) rte_ring_free(ring_);
  ring_ = nullptr;
  if (pool_ != nullptr) rte_mempool_free(pool_);
  pool_ = nullptr;
  eal_.cleanup();
}

Status DpdkMedia::install(const MediaSpec& spec) {
  if (spec.local.family != 4 || spec.remote.family != 4)
    return make_error("loadgen --dpdk: IPv4 pairs only");
  auto s = std::make_unique<LcoreSession>();
  s->spec = spec;
  auto make = [&](const dp::srtp::Keys& k, dp::srtp::Direction d,
                  uint32_t ssrc) -> Result<dp::srtp::Session*> {
    dp::srtp::SessionParams p;
    p.keys = k;
    p.direction = d;
    p.ssrc = ssrc;
    auto r = engine_->create_session(p);
    if (r) srtp_sessions_.push_back(r.value());
    return r;
  };
  auto rx = make(spec.rx, dp::srtp::Direction::kInbound, 0);
  if (!rx) return rx.error();
  s->rx = rx.value();
  for (const auto& t : spec.tracks) {
    auto tx = make(spec.tx, dp::srtp::Direction::kOutbound, t.ssrc);
    if (!tx) return tx.error();
    LcoreTrack lt;
    lt.tx = tx.value();
    lt.t = t;
    s->tracks.push_back(lt);
  }
  if (o_.video_kbps > 0) {
    const std::size_t bytes = static_cast<std::size_t>(o_.video_kbps) * 1000 / 8 / 30;
    s->video_sizes = vp8_packet_sizes(std::max<std::size_t>(bytes, 64), 1100);
  }
  auto* cmd = new LcoreCommand{LcoreCommand::Kind::kInstall, spec.session, s.get()};
  if (rte_ring_enqueue(ring_, cmd) != 0) {
    delete cmd;
    return make_error("loadgen --dpdk: the media lcore's command ring is full");
  }
  s.release();  // the command owns it
  return ok_status();
}

void DpdkMedia::remove(uint64_t session) {
  auto* cmd = new LcoreCommand{LcoreCommand::Kind::kRemove, session, nullptr};
  if (rte_ring_enqueue(ring_, cmd) != 0) delete cmd;  // 4,096 deep: only when the lcore is gone
}

}  // namespace edgesfu::loadgen
