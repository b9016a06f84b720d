// libFuzzer: the fast path's RTCP handling (issue 16 #3), the real
// fanout::Fastpath on a real EAL (no hugepages, in memory, a net_null port
// to send into). A publisher (a video track with RTX, an audio track) and
// two subscribers (one with RTX, one without) have packets in the rings;
// each input is what one of them says in an authenticated SRTCP compound:
// NACK, PLI, FIR, TWCC, REMB, SR, RR, report blocks, in any order and
// shape. The first byte picks the sender and how far the clock moves (the
// timers: SR/RR, NACKs to the publisher for a gap), the second whether the
// publisher sends a video packet first and how many it skips. Nothing
// crashes or leaks an mbuf; what the fast path sends goes into the null port.
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/fanout/fastpath.hpp"
#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/srtp/srtp_engine.hpp"

namespace {

namespace dp = edgesfu::dp;

constexpr uint32_t kVideo = 0xA1, kVideoRtx = 0xA2, kAudio = 0xB1;
constexpr uint16_t kPeers = 3;      // 0 publishes, 1 and 2 subscribe
constexpr uint16_t kHeadroom = 42;  // Ethernet + IPv4 + UDP

struct World {
  rte_mempool* pool = nullptr;
  rte_ring* events = nullptr;
  uint16_t port = 0;
  std::unique_ptr<dp::srtp::Engine> engine;
  std::unique_ptr<dp::LcoreStats> stats;
  std::unique_ptr<dp::fanout::Fastpath> fp;
  dp::srtp::Session* protect_video = nullptr;  // the publisher's side
  dp::pkt::UdpFrame frames[kPeers];
  dp::TxStage tx;
  uint64_t now_us = 1'000'000;
  uint16_t video_seq = 1000;
};
World* g = nullptr;

void die(const char* what) {
  std::fprintf(stderr, "fuzz_fastpath_rtcp: %s\n", what);
  std::abort();
}

dp::srtp::Keys keys(uint8_t seed) {
  dp::srtp::Keys k;
  k.profile = dp::srtp::Profile::kAes128CmHmacSha1_80;
  for (std::size_t i = 0; i < k.master_key.size(); ++i) k.master_key[i] = uint8_t(seed * 7 + i);
  for (std::size_t i = 0; i < k.master_salt.size(); ++i) k.master_salt[i] = uint8_t(seed * 13 + i);
  return k;
}

dp::srtp::Session* session(const dp::srtp::Keys& k, dp::srtp::Direction d, uint32_t ssrc) {
  dp::srtp::SessionParams p;
  p.keys = k;
  p.direction = d;
  p.ssrc = ssrc;
  auto s = g->engine->create_session(p);
  if (!s.ok()) die("cannot make an SRTP session");
  return s.value();
}

void apply(const dp::control::Command& c) { g->fp->apply(c, g->now_us, g->tx); }

rte_mbuf* mbuf_with(const uint8_t* data, std::size_t len, std::size_t room) {
  rte_mbuf* m = rte_pktmbuf_alloc(g->pool);
  if (m == nullptr) die("mempool empty: an mbuf leaked");
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(kHeadroom + room));
  if (p == nullptr) die("mbuf too small");
  std::memset(p, 0, kHeadroom);
  if (len != 0) std::memcpy(p + kHeadroom, data, len);
  return m;
}

// One video packet from the publisher, protected as it would arrive.
void publish_video(uint16_t skip) {
  g->video_seq = static_cast<uint16_t>(g->video_seq + 1 + skip);
  uint8_t rtp[12 + 64 + dp::srtp::kMaxTrailer] = {0x80, 96};
  dp::pkt::store_be16(rtp + 2, g->video_seq);
  dp::pkt::store_be32(rtp + 4, 3000u * g->video_seq);
  dp::pkt::store_be32(rtp + 8, kVideo);
  rtp[12] = 0x10;  // VP8 descriptor, start of a partition
  dp::srtp::Op op{rtp, 12 + 64, sizeof rtp, g->protect_video, dp::srtp::Status::kError};
  g->engine->protect_rtp({&op, 1});
  if (op.status != dp::srtp::Status::kOk) die("protect failed");
  rte_mbuf* m = mbuf_with(rtp, op.len, op.len);
  dp::pkt::UdpFrame f = g->frames[0];
  f.payload_offset = kHeadroom;
  f.payload_len = static_cast<uint16_t>(op.len);
  const uint16_t slot = 0;
  g->fp->on_rtp(&m, &f, &slot, 1, g->now_us, g->tx);
}

void drain_events() {
  dp::control::Event ev[64];
  while (rte_ring_sc_dequeue_burst_elem(g->events, ev, sizeof ev[0], 64, nullptr) != 0) {
  }
}

void setup() {
  g = new World();
  const std::string prefix = "fuzzfp" + std::to_string(getpid());
  const char* argv[] = {"fuzz",
                        "--no-huge",
                        "-m",
                        "256",
                        "--no-pci",
                        "--no-shconf",
                        "--no-telemetry",
                        "-l",
                        "0",
                        "--file-prefix",
                        prefix.c_str(),
                        "--log-level=1",
                        "--vdev=net_null0,no-rx=1"};
  const int rc = rte_eal_init(static_cast<int>(std::size(argv)), const_cast<char**>(argv));
  // Nothing else attaches to this process: its runtime directory can go at
  // once, so that no run (or crash) leaves it behind.
  std::error_code ec;
  std::filesystem::remove_all("/var/run/dpdk/" + prefix, ec);
  if (rc < 0) die("rte_eal_init failed");
  g->pool = rte_pktmbuf_pool_create("fuzz_fp", 8191, 0, 0, 2176, SOCKET_ID_ANY);
  if (g->pool == nullptr) die("no mempool");
  if (rte_eth_dev_get_port_by_name("net_null0", &g->port) != 0) die("no null port");
  rte_eth_conf conf{};
  if (rte_eth_dev_configure(g->port, 1, 1, &conf) != 0 ||
      rte_eth_rx_queue_setup(g->port, 0, 64, SOCKET_ID_ANY, nullptr, g->pool) != 0 ||
      rte_eth_tx_queue_setup(g->port, 0, 256, SOCKET_ID_ANY, nullptr) != 0 ||
      rte_eth_dev_start(g->port) != 0) {
    die("cannot start the null port");
  }
  g->events = rte_ring_create_elem("fuzz_fp_ev", sizeof(dp::control::Event), 16384, SOCKET_ID_ANY,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (g->events == nullptr) die("no event ring");
  std::string why;
  auto e = dp::srtp::make_engine("auto", why);
  if (!e.ok()) die("no SRTP engine");
  g->engine = std::move(e).value();
  g->stats = std::make_unique<dp::LcoreStats>();
  dp::fanout::FastpathLimits limits;
  limits.max_participants = 8;
  limits.max_tracks = 8;
  limits.max_downtracks = 8;
  limits.rtx_depth = 64;
  auto fp =
      dp::fanout::Fastpath::create(limits, g->engine.get(), g->pool, g->events, g->stats.get());
  if (!fp.ok()) die("no fast path");
  g->fp = std::move(fp).value();
  if (!g->fp->prepare_lcore()) die("engine thread state");
  g->tx.port = g->port;
  g->tx.queue = 0;

  for (uint16_t i = 0; i < kPeers; ++i) {
    dp::control::Command c;
    c.type = dp::control::CommandType::kAddParticipant;
    c.add_participant = {};
    auto& a = c.add_participant;
    a.slot = i;
    a.generation = 1;
    a.id = 10u + i;
    a.local_port = 50000;
    a.remote.family = 4;
    a.remote.b[0] = 198, a.remote.b[1] = 18, a.remote.b[2] = 0, a.remote.b[3] = uint8_t(10 + i);
    a.remote_port = uint16_t(40000 + i);
    a.feedback_ssrc = 0xFEED0000u + i;
    a.rx = session(keys(uint8_t(2 * i + 1)), dp::srtp::Direction::kInbound, 0);
    a.tx_rtcp = session(keys(uint8_t(2 * i + 2)), dp::srtp::Direction::kOutbound, a.feedback_ssrc);
    apply(c);
    dp::pkt::UdpFrame& f = g->frames[i];
    f.src_mac = {2, 0, 0, 0, 0, uint8_t(10 + i)};
    f.dst_mac = {2, 0, 0xc6, 0x12, 0, 2};
    f.src = a.remote;
    f.dst.family = 4;
    f.dst.b[0] = 198, f.dst.b[1] = 18, f.dst.b[2] = 0, f.dst.b[3] = 2;
    f.src_port = a.remote_port;
    f.dst_port = 50000;
    f.proto = 17;
    g->fp->learn_path(i, f, g->now_us);
  }
  g->protect_video = session(keys(1), dp::srtp::Direction::kOutbound, kVideo);

  const struct {
    uint16_t slot;
    uint32_t ssrc, rtx;
    dp::control::MediaKind kind;
    uint32_t clock;
  } tracks[] = {{0, kVideo, kVideoRtx, dp::control::MediaKind::kVideo, 90000},
                {1, kAudio, 0, dp::control::MediaKind::kAudio, 48000}};
  for (const auto& t : tracks) {
    dp::control::Command c;
    c.type = dp::control::CommandType::kAddTrack;
    c.add_track = {};
    c.add_track.slot = t.slot;
    c.add_track.participant = 0;
    c.add_track.id = 100u + t.slot;
    c.add_track.ssrc = t.ssrc;
    c.add_track.rtx_ssrc = t.rtx;
    c.add_track.clock_rate = t.clock;
    c.add_track.kind = t.kind;
    c.add_track.codec = dp::pkt::VideoCodec::kVp8;
    apply(c);
  }
  // Downtracks: both subscribers get both tracks; subscriber 1 has RTX.
  uint32_t slot = 0;
  for (uint16_t sub = 1; sub < kPeers; ++sub) {
    for (uint16_t track = 0; track < 2; ++track, ++slot) {
      dp::control::Command c;
      c.type = dp::control::CommandType::kAddDowntrack;
      c.add_downtrack = {};
      auto& d = c.add_downtrack;
      d.slot = slot;
      d.track = track;
      d.subscriber = sub;
      d.id = 200u + slot;
      d.ssrc = 0x5000u + slot;
      d.npt = 1;
      d.pt_from[0] = track == 0 ? 96 : 111;
      d.pt_to[0] = track == 0 ? 100 : 111;
      d.ext_passthrough = true;
      d.first_seq = uint16_t(7000 * (slot + 1));
      d.tx = session(keys(uint8_t(2 * sub + 2)), dp::srtp::Direction::kOutbound, d.ssrc);
      if (sub == 1 && track == 0) {
        d.rtx_ssrc = 0x6000u + slot;
        d.rtx_pt = 101;
        d.tx_rtx = session(keys(uint8_t(2 * sub + 2)), dp::srtp::Direction::kOutbound, d.rtx_ssrc);
      }
      apply(c);
    }
  }
  for (int i = 0; i < 40; ++i) publish_video(i % 9 == 8 ? 1 : 0);  // rings filled, a few gaps
  g->tx.flush();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2 || size > 1500) return 0;
  const uint16_t slot = data[0] % kPeers;
  g->now_us += static_cast<uint64_t>(data[0] >> 2) * 1000u;  // 0-63 ms
  if ((data[1] & 0x80) != 0) publish_video(data[1] & 0x07);
  rte_mbuf* m = mbuf_with(data + 2, size - 2, size - 2);
  dp::pkt::UdpFrame f = g->frames[slot];
  f.payload_offset = kHeadroom;
  f.payload_len = static_cast<uint16_t>(size - 2);
  const uint32_t len = static_cast<uint32_t>(size - 2);
  g->fp->on_rtcp(&m, &f, &slot, &len, 1, g->now_us, g->tx);
  g->fp->on_timer(g->now_us, g->tx);
  g->tx.flush();
  drain_events();
  // Held: the rings' packets (at most 2 x 64) and the fast path's stash.
  if (rte_mempool_in_use_count(g->pool) > 2 * 64 + 64) die("mbufs leak");
  return 0;
}
