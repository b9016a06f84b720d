// Shared by the golden tests (one binary, one EAL): peers on the wire, their
// SRTP, frames in and out of pcap, and a worker between two null ports.
// Test-only.
#pragma once

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/net.hpp"
#include "dataplane/pkt/rtcp.hpp"
#include "dataplane/port/port.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "dataplane/worker/worker_set.hpp"
#include "slowpath/dp_control/dp_control.hpp"
#include "tests/golden/pcap_file.hpp"

namespace edgesfu::golden {

using dp::pkt::IpAddr;
using dp::srtp::Keys;
using test::Frame;

inline IpAddr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr x;
  x.family = 4;
  x.b[0] = a;
  x.b[1] = b;
  x.b[2] = c;
  x.b[3] = d;
  return x;
}

inline Keys keys(dp::srtp::Profile p, uint8_t seed) {
  Keys k;
  k.profile = p;
  for (std::size_t i = 0; i < 16; ++i) k.master_key[i] = static_cast<uint8_t>(seed * 7 + i);
  for (std::size_t i = 0; i < 14; ++i) k.master_salt[i] = static_cast<uint8_t>(seed * 13 + i);
  return k;
}

// A client of the appliance on the wire.
struct Peer {
  IpAddr ip;
  uint16_t port;
  dp::pkt::Mac mac;
  Keys send;  // what it encrypts with (the appliance's rx keys for it)
  Keys recv;  // what it decrypts with (the appliance's tx keys for it)
};

inline constexpr uint16_t kLocalPort = 50000;
inline const IpAddr kApplianceIp = ip4(198, 18, 0, 2);
inline const dp::pkt::Mac kApplianceMac = {2, 0, 0xc6, 0x12, 0, 2};

// A frame from `from`'s address and port with source MAC `mac` to `dst`
// (the appliance's MAC, port kLocalPort).
inline Frame frame_from(const Peer& from, const dp::pkt::Mac& mac, const IpAddr& dst,
                        const std::vector<uint8_t>& payload) {
  dp::pkt::UdpPath p;
  p.src_mac = mac;
  p.dst_mac = kApplianceMac;
  p.src = from.ip;
  p.dst = dst;
  p.src_port = from.port;
  p.dst_port = kLocalPort;
  Frame f(p.header_len() + payload.size());
  std::copy(payload.begin(), payload.end(), f.begin() + static_cast<long>(p.header_len()));
  dp::pkt::write_udp_headers(f.data(), p, static_cast<uint16_t>(payload.size()));
  return f;
}

inline Frame udp_frame(const Peer& from, const std::vector<uint8_t>& payload) {
  return frame_from(from, from.mac, kApplianceIp, payload);
}

// Adds `p` as participant `id` of room 1 on kLocalPort.
inline sp::ParticipantRef add_peer(sp::DpControl& ctl, const Peer& p, uint32_t id,
                                   uint32_t feedback_ssrc) {
  sp::ParticipantParams pp;
  pp.room = 1;
  pp.id = id;
  pp.remote = p.ip;
  pp.remote_port = p.port;
  pp.local_port = kLocalPort;
  pp.rx_keys = p.send;
  pp.tx_keys = p.recv;
  pp.feedback_ssrc = feedback_ssrc;
  auto r = ctl.add_participant(pp);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r.value() : sp::ParticipantRef{};
}

// A published track of one RTP stream.
inline sp::TrackParams track(uint32_t id, uint32_t ssrc, uint32_t clock_rate,
                             dp::control::MediaKind kind) {
  sp::TrackParams t;
  t.id = id;
  t.ssrc = ssrc;
  t.clock_rate = clock_rate;
  t.kind = kind;
  return t;
}

inline std::vector<uint8_t> payload_for(uint32_t ssrc, uint16_t seq, std::size_t n) {
  std::vector<uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(ssrc * 31 + seq * 7 + i);
  return v;
}

// Plain RTP with a one-byte extension (ID 1, audio-level-like) when `ext`.
inline std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc, bool ext,
                                const std::vector<uint8_t>& payload) {
  // Sized once and filled in place (growing it with insert() trips a GCC 12
  // -Warray-bounds false positive at -O3).
  const std::size_t head = ext ? 20 : 12;
  std::vector<uint8_t> v(head + payload.size());
  v[0] = static_cast<uint8_t>(0x80 | (ext ? 0x10 : 0));
  v[1] = pt;
  dp::pkt::store_be16(&v[2], seq);
  dp::pkt::store_be32(&v[4], ts);
  dp::pkt::store_be32(&v[8], ssrc);
  if (ext) {
    const uint8_t e[] = {0xbe, 0xde, 0x00, 0x01, 0x10, 0x85, 0x00, 0x00};
    std::copy(std::begin(e), std::end(e), v.begin() + 12);
  }
  std::copy(payload.begin(), payload.end(), v.begin() + static_cast<std::ptrdiff_t>(head));
  return v;
}

class Srtp {
 public:
  Srtp() : engine_(std::move(dp::srtp::make_libsrtp_engine()).value()) {}
  ~Srtp() {
    for (auto& [k, s] : sessions_) engine_->destroy_session(s);
  }
  // Protect as `ssrc` with keys `k` (one outbound session per key+ssrc).
  std::vector<uint8_t> protect(const Keys& k, uint32_t ssrc, std::vector<uint8_t> pkt, bool rtcp) {
    dp::srtp::Session* s = get(k, dp::srtp::Direction::kOutbound, ssrc, 0);
    const auto len = static_cast<uint32_t>(pkt.size());
    pkt.resize(pkt.size() + dp::srtp::kMaxTrailer);
    dp::srtp::Op op{pkt.data(), len, static_cast<uint32_t>(pkt.size()), s};
    rtcp ? engine_->protect_rtcp({&op, 1}) : engine_->protect_rtp({&op, 1});
    EXPECT_EQ(op.status, dp::srtp::Status::kOk);
    pkt.resize(op.len);
    return pkt;
  }
  // Unprotect with an inbound session (per key and `instance`).
  dp::srtp::Status unprotect(const Keys& k, std::vector<uint8_t>& pkt, bool rtcp,
                             int instance = 0) {
    dp::srtp::Session* s = get(k, dp::srtp::Direction::kInbound, 0, instance);
    dp::srtp::Op op{pkt.data(), static_cast<uint32_t>(pkt.size()),
                    static_cast<uint32_t>(pkt.size()), s};
    rtcp ? engine_->unprotect_rtcp({&op, 1}) : engine_->unprotect_rtp({&op, 1});
    if (op.status == dp::srtp::Status::kOk) pkt.resize(op.len);
    return op.status;
  }
  dp::srtp::Engine& engine() { return *engine_; }

 private:
  dp::srtp::Session* get(const Keys& k, dp::srtp::Direction d, uint32_t ssrc, int instance) {
    const auto key = std::make_tuple(k.master_key[0], static_cast<int>(d), ssrc, instance);
    auto it = sessions_.find(key);
    if (it != sessions_.end()) return it->second;
    dp::srtp::SessionParams p;
    p.keys = k;
    p.direction = d;
    p.ssrc = ssrc;
    auto s = engine_->create_session(p);
    EXPECT_TRUE(s.ok());
    sessions_[key] = s.value();
    return s.value();
  }
  std::unique_ptr<dp::srtp::Engine> engine_;
  std::map<std::tuple<uint8_t, int, uint32_t, int>, dp::srtp::Session*> sessions_;
};

// `n` subscribers on 198.18.1.10 and up, each with its own keys.
inline std::vector<Peer> subscribers(dp::srtp::Profile prof, int n) {
  std::vector<Peer> subs;
  for (int i = 0; i < n; ++i) {
    subs.push_back(Peer{ip4(198, 18, 1, static_cast<uint8_t>(10 + i)),
                        static_cast<uint16_t>(41000 + i),
                        {2, 0, 0, 0, 1, static_cast<uint8_t>(i)},
                        keys(prof, static_cast<uint8_t>(10 + 2 * i)),
                        keys(prof, static_cast<uint8_t>(11 + 2 * i))});
  }
  return subs;
}

// What a pcap test with many subscribers feeds first. The worker applies
// 32 control commands per loop and then takes an RX burst, so `filler`
// frames from `from` to another of the subnet's addresses (which the worker
// passes to the kernel's side) come while the set-up is applied; then each
// subscriber's RR (reporter 0x6000 + its index), so the appliance knows its
// path.
inline void add_preamble(std::vector<Frame>& in, Srtp& srtp, const Peer& from, int filler,
                         const std::vector<Peer>& subs) {
  for (int i = 0; i < filler; ++i) {
    in.push_back(frame_from(from, from.mac, ip4(198, 18, 0, 99), std::vector<uint8_t>(40, 0)));
  }
  uint8_t buf[64];
  for (std::size_t i = 0; i < subs.size(); ++i) {
    const auto reporter = 0x6000u + static_cast<uint32_t>(i);
    const std::vector<uint8_t> rr(buf, buf + dp::pkt::build_rr(buf, reporter, {}));
    in.push_back(udp_frame(subs[i], srtp.protect(subs[i].send, reporter, rr, true)));
  }
}

struct Output {
  IpAddr dst;
  uint16_t dst_port;
  std::vector<uint8_t> payload;  // SRTP/SRTCP
  dp::pkt::Mac dst_mac{};
};

inline std::vector<Output> parse_output(const std::vector<Frame>& frames) {
  std::vector<Output> out;
  for (const Frame& f : frames) {
    dp::pkt::UdpFrame u;
    if (dp::pkt::parse_udp_frame(f, u) != dp::pkt::FrameKind::kUdp) continue;
    out.push_back({u.dst, u.dst_port,
                   std::vector<uint8_t>(f.begin() + u.payload_offset,
                                        f.begin() + u.payload_offset + u.payload_len),
                   u.dst_mac});
  }
  return out;
}

inline uint64_t drop_count(const dp::Worker& w, dp::DropReason r) {
  return w.stats.drops[static_cast<std::size_t>(r)].get();
}

inline std::unique_ptr<dp::srtp::Engine> fastpath_engine(const std::string& name) {
  std::string why;
  auto e = dp::srtp::make_engine(name, why);
  EXPECT_TRUE(e.ok()) << e.error().message;
  return e.ok() ? std::move(e).value() : nullptr;
}

// One worker on lcore 1 between `wire` and `exc`: what the pcap golden
// tests run (their punt rules left as the defaults).
inline dp::WorkerSetParams one_worker(const dp::Port& wire, const dp::Port& exc, rte_mempool* pool,
                                      dp::srtp::Engine& engine,
                                      const dp::fanout::FastpathLimits& limits,
                                      uint32_t flow_capacity) {
  dp::WorkerSetParams wp;
  wp.lcores = {1};
  wp.wire_port = wire.id();
  wp.exception_port = exc.id();
  wp.pool = pool;
  wp.engine = &engine;
  wp.limits = limits;
  wp.flow_capacity = flow_capacity;
  return wp;
}
// Waits until worker `w` has received `frames` from the wire (at most 10 s),
// then `settle` more, for what its timers send after the last frame.
inline void wait_for_input(const dp::Worker& w, std::size_t frames,
                           std::chrono::milliseconds settle) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (w.stats.wire_to_exception.rx_pkts.get() < frames &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(settle);
}
// One worker on lcore 1 (or `workers`, on lcores 1..) between two net_null
// ports that receive nothing: the
// dataplane the DpControl tests drive. Torn down in the right order (workers
// stopped, ports closed, pool freed) when it goes out of scope; a DpControl
// on it must be declared after it.
struct NullDataplane {
  std::unique_ptr<dp::srtp::Engine> engine;
  rte_mempool* pool = nullptr;
  std::optional<dp::Port> wire, exc;
  std::unique_ptr<dp::WorkerSet> workers;

  // Empty string when ready, else what failed.
  std::string start(const std::string& name, const dp::fanout::FastpathLimits& limits,
                    uint32_t flow_capacity, uint32_t command_ring = 1024, uint16_t workers_n = 1) {
    engine = fastpath_engine("auto");
    if (engine == nullptr) return "no SRTP engine";
    pool = rte_pktmbuf_pool_create(name.c_str(), 2047, 64, 0, 2176, 0);
    if (pool == nullptr) return "no mempool";
    auto w = dp::Port::probe_vdev("wire", "net_null_" + name + "0,no-rx=1");
    auto e = dp::Port::probe_vdev("exception", "net_null_" + name + "1,no-rx=1");
    if (!w.ok() || !e.ok()) return "cannot probe the null ports";
    wire.emplace(std::move(w).value());
    exc.emplace(std::move(e).value());
    if (!wire->start({workers_n, 256, 256, false}, pool).ok() ||
        !exc->start({workers_n, 256, 256, false}, pool).ok()) {
      return "cannot start the null ports";
    }
    dp::WorkerSetParams wp;
    wp.lcores.clear();
    for (uint16_t i = 1; i <= workers_n; ++i) wp.lcores.push_back(i);
    wp.wire_port = wire->id();
    wp.exception_port = exc->id();
    wp.pool = pool;
    wp.engine = engine.get();
    wp.limits = limits;
    wp.flow_capacity = flow_capacity;
    wp.command_ring = command_ring;
    auto ws = dp::WorkerSet::create(wp);
    if (!ws.ok()) return ws.error().message;
    workers = std::move(ws).value();
    return {};
  }
  ~NullDataplane() {
    if (workers) workers->stop();
    workers.reset();
    if (exc) exc->close();
    if (wire) wire->close();
    exc.reset();
    wire.reset();
    if (pool != nullptr) rte_mempool_free(pool);
  }
};

}  // namespace edgesfu::golden
