// Golden test of the fast path through the real EAL (DESIGN.md §5): a pcap of
// SRTP from two publishers and SRTCP from two subscribers goes into a net_pcap
// wire port; one worker lcore runs the real loop; the test then reads the
// output pcap and decrypts each subscriber's streams with that subscriber's
// keys (libsrtp2), checking payload bytes, contiguous munged sequence numbers,
// SSRC and PT per subscriber, the retransmissions NACKs asked for, the RR sent
// to a publisher, and that corrupted, replayed, unknown-SSRC and unknown-flow
// packets were not forwarded but counted under their drop reasons.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/net.hpp"
#include "dataplane/pkt/rtcp.hpp"
#include "dataplane/pkt/rtp.hpp"
#include "dataplane/pkt/rtp_ext.hpp"
#include "dataplane/port/port.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "dataplane/worker/worker_set.hpp"
#include "slowpath/dp_control/dp_control.hpp"
#include "tests/golden/golden_helpers.hpp"
#include "tests/golden/pcap_file.hpp"

namespace edgesfu {
namespace {

using namespace golden;  // NOLINT(google-build-using-namespace): the shared helpers

using dp::pkt::IpAddr;
using dp::srtp::Keys;
using test::Frame;

std::string g_runtime_dir;

class EalEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string prefix = "esfu-golden-" + std::to_string(getpid());
    // Lcores 1 and 2 share CPU 1: the two-worker case needs two worker
    // lcores on a two-CPU machine (correctness, not speed, is tested here).
    const char* argv[] = {"golden", "--lcores", "0@0,1@1,2@1",   "--no-pci",     "--no-huge",
                          "-m",     "256",      "--file-prefix", prefix.c_str(), "--log-level=4"};
    ASSERT_GE(rte_eal_init(static_cast<int>(std::size(argv)), const_cast<char**>(argv)), 0)
        << "rte_eal_init failed";
    g_runtime_dir = rte_eal_get_runtime_dir();
  }
  void TearDown() override {
    rte_eal_cleanup();
    std::error_code ec;
    std::filesystem::remove_all(g_runtime_dir, ec);
  }
};

struct GoldenCase {
  dp::srtp::Profile profile;
  int workers;         // 2: publisher B's packets arrive on the other worker's queue
  const char* engine;  // the fast path's SRTP engine; the peers here use libsrtp2
};

class GoldenFastpath : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenFastpath, TwoPublishersTwoSubscribers) {
  const dp::srtp::Profile prof = GetParam().profile;
  const int nworkers = GetParam().workers;
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("esfu-golden-" + std::to_string(getpid()) + "-" + std::to_string(static_cast<int>(prof)) +
       "-" + std::to_string(nworkers) + "-" + GetParam().engine);
  std::filesystem::create_directories(dir);
  const std::string in_pcap = (dir / "in.pcap").string();
  const std::string out_pcap = (dir / "out.pcap").string();
  const std::string in_b_pcap = (dir / "in_b.pcap").string();
  const std::string out_b_pcap = (dir / "out_b.pcap").string();

  Peer A{ip4(198, 18, 0, 10), 40000, {2, 0, 0, 0, 0, 0x0a}, keys(prof, 1), keys(prof, 2)};
  Peer B{ip4(198, 18, 0, 11), 40001, {2, 0, 0, 0, 0, 0x0b}, keys(prof, 3), keys(prof, 4)};
  Peer S1{ip4(198, 18, 0, 20), 40002, {2, 0, 0, 0, 0, 0x14}, keys(prof, 5), keys(prof, 6)};
  Peer S2{ip4(198, 18, 0, 21), 40003, {2, 0, 0, 0, 0, 0x15}, keys(prof, 7), keys(prof, 8)};
  Peer stranger{ip4(198, 18, 0, 99), 4444, {2, 0, 0, 0, 0, 0x63}, keys(prof, 9), keys(prof, 10)};
  constexpr uint32_t kSsrcA = 0xA1, kSsrcB = 0xB1;
  constexpr int kPackets = 50;

  Srtp srtp;
  auto engine = fastpath_engine(GetParam().engine);
  ASSERT_NE(engine, nullptr);
  std::vector<Frame> in;
  uint8_t rrbuf[64];
  // Subscribers speak first (as their STUN/DTLS would have): paths are learned.
  in.push_back(udp_frame(
      S1,
      srtp.protect(S1.send, 0x5100, {rrbuf, rrbuf + dp::pkt::build_rr(rrbuf, 0x5100, {})}, true)));
  in.push_back(udp_frame(
      S2,
      srtp.protect(S2.send, 0x5200, {rrbuf, rrbuf + dp::pkt::build_rr(rrbuf, 0x5200, {})}, true)));
  std::map<uint16_t, Frame> a_frames;
  for (int i = 0; i < kPackets; ++i) {
    const auto sa = static_cast<uint16_t>(100 + i);
    const auto sb = static_cast<uint16_t>(7000 + i);
    in.push_back(udp_frame(
        A, srtp.protect(A.send, kSsrcA,
                        rtp(111, sa, 960u * i, kSsrcA, true, payload_for(kSsrcA, sa, 60)), false)));
    a_frames[sa] = in.back();
    in.push_back(udp_frame(
        B,
        srtp.protect(B.send, kSsrcB,
                     rtp(96, sb, 3000u * i, kSsrcB, false, payload_for(kSsrcB, sb, 900)), false)));
  }
  // Corrupted (tag no longer verifies), replayed, unknown SSRC, unknown flow.
  Frame bad = udp_frame(
      A, srtp.protect(A.send, kSsrcA,
                      rtp(111, 150, 48000, kSsrcA, true, payload_for(kSsrcA, 150, 60)), false));
  bad[bad.size() - 20] ^= 0x40;
  in.push_back(bad);
  in.push_back(a_frames[120]);
  in.push_back(
      udp_frame(A, srtp.protect(A.send, 0xDEAD,
                                rtp(111, 1, 0, 0xDEAD, false, payload_for(0xDEAD, 1, 60)), false)));
  in.push_back(udp_frame(
      stranger, srtp.protect(stranger.send, 0x99,
                             rtp(111, 1, 0, 0x99, false, payload_for(0x99, 1, 60)), false)));
  // NACKs: S1 for its downtrack of A (RTX negotiated) at out seq 1005, 1007 and
  // one never sent (1300); S2 for its downtrack of A (no RTX) at out seq 3.
  uint8_t nack[64];
  const uint16_t lost1[] = {1005, 1007, 1300};
  in.push_back(udp_frame(
      S1, srtp.protect(S1.send, 0x5100,
                       {nack, nack + dp::pkt::build_nack(nack, 0x5100, 0x51A, lost1)}, true)));
  const uint16_t lost2[] = {3};
  in.push_back(udp_frame(
      S2, srtp.protect(S2.send, 0x5200,
                       {nack, nack + dp::pkt::build_nack(nack, 0x5200, 0x52A, lost2)}, true)));
  // Two workers: B's packets (and the stranger's) arrive on worker 1's queue
  // and are handed to worker 0, which owns the room. Worker 0 takes handed
  // packets before its own queue's, so either queue's media could reach it
  // before the subscribers' RRs that teach it their paths. Each subscriber
  // therefore speaks first on both queues (a second RR, the next SRTCP index,
  // ahead of B's packets in the FIFO hand-off ring): no race, no no_path drop.
  std::vector<Frame> in_a, in_b;
  if (nworkers == 2) {
    in_b.push_back(
        udp_frame(S1, srtp.protect(S1.send, 0x5100,
                                   {rrbuf, rrbuf + dp::pkt::build_rr(rrbuf, 0x5100, {})}, true)));
    in_b.push_back(
        udp_frame(S2, srtp.protect(S2.send, 0x5200,
                                   {rrbuf, rrbuf + dp::pkt::build_rr(rrbuf, 0x5200, {})}, true)));
  }
  const std::size_t extra_rrs = in_b.size();
  for (const Frame& f : in) {
    dp::pkt::UdpFrame u;
    dp::pkt::parse_udp_frame(f, u);
    const bool to_b = nworkers == 2 && (u.src == B.ip || u.src == stranger.ip);
    (to_b ? in_b : in_a).push_back(f);
  }
  ASSERT_TRUE(test::write_pcap(in_pcap, in_a));
  if (nworkers == 2) {
    ASSERT_TRUE(test::write_pcap(in_b_pcap, in_b));
  }

  // The dataplane: pcap wire, null exception port, one worker on lcore 1.
  const std::string tag = std::to_string(static_cast<int>(prof)) + "w" + std::to_string(nworkers) +
                          (std::string(GetParam().engine) == "libsrtp2" ? "l" : "i");
  rte_mempool* pool = rte_pktmbuf_pool_create(("golden" + tag).c_str(), 8191, 256, 0, 2176, 0);
  ASSERT_NE(pool, nullptr);
  {
    std::string devargs = "net_pcap_g" + tag + ",rx_pcap=" + in_pcap;
    if (nworkers == 2) devargs += ",rx_pcap=" + in_b_pcap;
    devargs += ",tx_pcap=" + out_pcap;
    if (nworkers == 2) devargs += ",tx_pcap=" + out_b_pcap;
    auto wire = dp::Port::probe_vdev("wire", devargs);
    ASSERT_TRUE(wire.ok()) << wire.error().message;
    auto exc = dp::Port::probe_vdev("exception", "net_null_g" + tag + ",no-rx=1");
    ASSERT_TRUE(exc.ok()) << exc.error().message;
    dp::fanout::FastpathLimits limits;
    limits.max_participants = 16;
    limits.max_tracks = 16;
    limits.max_downtracks = 64;
    limits.rtx_depth = 128;
    dp::WorkerSetParams wp;
    wp.lcores = nworkers == 2 ? std::vector<unsigned>{1, 2} : std::vector<unsigned>{1};
    wp.wire_port = wire->id();
    wp.exception_port = exc->id();
    wp.pool = pool;
    wp.engine = engine.get();
    wp.limits = limits;
    wp.flow_capacity = 64;
    auto workers = dp::WorkerSet::create(wp);
    ASSERT_TRUE(workers.ok()) << workers.error().message;
    auto& ws = *workers.value();
    sp::DpControl ctl(ws, *engine, limits);
    const auto pa = add_peer(ctl, A, 1, 0xFEED0001), pb = add_peer(ctl, B, 2, 0xFEED0002);
    const auto p1 = add_peer(ctl, S1, 3, 0xFEED0003), p2 = add_peer(ctl, S2, 4, 0xFEED0004);
    auto ta = ctl.add_track(pa, track(10, kSsrcA, 48000, dp::control::MediaKind::kAudio));
    auto tb = ctl.add_track(pb, track(11, kSsrcB, 90000, dp::control::MediaKind::kVideo));
    ASSERT_TRUE(ta.ok() && tb.ok());
    sp::DowntrackParams d;
    d = {};
    d.id = 100;
    d.ssrc = 0x51A;
    d.rtx_ssrc = 0x51AA;
    d.rtx_pt = 97;
    d.pt_map = {{111, 109}};
    d.ext_map = {{1, 5}};
    d.first_seq = 1000;
    d.first_ts = 5000;
    ASSERT_TRUE(ctl.add_downtrack(ta.value(), p1, d).ok());
    d = {};
    d.id = 101;
    d.ssrc = 0x51B;
    d.first_seq = 65520;
    d.first_ts = 0;  // wraps at 65535
    ASSERT_TRUE(ctl.add_downtrack(tb.value(), p1, d).ok());
    d = {};
    d.id = 102;
    d.ssrc = 0x52A;
    d.ext_passthrough = true;
    d.first_seq = 0;
    d.first_ts = 1;
    ASSERT_TRUE(ctl.add_downtrack(ta.value(), p2, d).ok());
    d = {};
    d.id = 103;
    d.ssrc = 0x52B;
    d.first_seq = 30000;
    d.first_ts = 2;
    ASSERT_TRUE(ctl.add_downtrack(tb.value(), p2, d).ok());
    EXPECT_EQ(ctl.flows(), 4u);

    const auto q = static_cast<uint16_t>(nworkers);
    ASSERT_TRUE(wire->start({q, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(exc->start({q, 1024, 1024, false}, pool).ok());
    // The commands wait in the ring: the worker's first iteration applies them
    // before its first RX burst.
    ASSERT_TRUE(ws.launch().ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto sum = [&](auto get) {
      uint64_t t = 0;
      for (std::size_t i = 0; i < ws.size(); ++i) t += get(ws.worker(i));
      return t;
    };
    while (sum([](const dp::Worker& x) { return x.stats.wire_to_exception.rx_pkts.get(); }) <
               in.size() + extra_rrs &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Past one report interval: the RRs to the publishers go out.
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    ws.stop();
    auto drops = [&](dp::DropReason r) {
      return sum([r](const dp::Worker& x) { return drop_count(x, r); });
    };
    // No drop but the three the input provokes (below): a packet lost to an
    // engine error or a full ring would otherwise only show as a short stream.
    for (std::size_t r = 0; r < dp::kDropReasonCount; ++r) {
      const auto reason = static_cast<dp::DropReason>(r);
      if (reason == dp::DropReason::kSrtpAuthFail || reason == dp::DropReason::kSrtpReplay ||
          reason == dp::DropReason::kRtpUnknownSsrc) {
        continue;
      }
      EXPECT_EQ(drops(reason), 0u) << dp::kDropReasonNames[r];
    }
    EXPECT_EQ(sum([](const dp::Worker& x) { return x.stats.wire_to_exception.rx_pkts.get(); }),
              in.size() + extra_rrs);
    EXPECT_EQ(drops(dp::DropReason::kSrtpAuthFail), 1u);
    EXPECT_EQ(drops(dp::DropReason::kSrtpReplay), 1u);
    EXPECT_EQ(drops(dp::DropReason::kRtpUnknownSsrc), 1u);
    EXPECT_EQ(sum([](const dp::Worker& x) { return x.stats.media.punted.get(); }),
              1u);  // the stranger
    EXPECT_EQ(sum([](const dp::Worker& x) { return x.stats.media.rtp_in.get(); }), 2u * kPackets);
    EXPECT_EQ(sum([](const dp::Worker& x) { return x.stats.media.rtx_out.get(); }), 3u);
    EXPECT_EQ(sum([](const dp::Worker& x) { return x.stats.media.nack_miss.get(); }), 1u);
    if (nworkers == 2) {
      // Every B packet (and the second RRs) arrived on worker 1 and was handed to worker 0.
      EXPECT_EQ(ws.worker(1).stats.media.handed_off.get(), kPackets + extra_rrs);
      EXPECT_EQ(ws.worker(1).stats.media.rtp_in.get(), 0u);
    }
    ctl.poll_events();
    exc->close();
    wire->close();  // flushes out.pcap
  }
  rte_mempool_free(pool);

  auto frames_out = test::read_pcap(out_pcap);
  if (nworkers == 2) {
    const auto b = test::read_pcap(out_b_pcap);
    frames_out.insert(frames_out.end(), b.begin(), b.end());
  }
  const auto out = parse_output(frames_out);
  ASSERT_FALSE(out.empty());
  // Per subscriber: decrypt everything sent to it with its keys.
  struct Got {
    std::map<uint32_t, std::vector<std::pair<dp::pkt::RtpHeader, std::vector<uint8_t>>>> by_ssrc;
    int rtcp = 0;
  };
  auto collect = [&](const Peer& p, Got& g) {
    for (const Output& o : out) {
      if (!(o.dst == p.ip) || o.dst_port != p.port) continue;
      EXPECT_EQ(o.payload.size() > 1, true);
      const bool is_rtcp = o.payload[1] >= 192 && o.payload[1] <= 223;
      std::vector<uint8_t> pl = o.payload;
      if (is_rtcp) {
        ASSERT_EQ(srtp.unprotect(p.recv, pl, true), dp::srtp::Status::kOk);
        ++g.rtcp;
        continue;
      }
      // Retransmissions of the original stream reuse an index already seen:
      // a fresh receiver (instance 1) checks them.
      auto st = srtp.unprotect(p.recv, pl, false);
      if (st == dp::srtp::Status::kReplay) {
        pl = o.payload;
        st = srtp.unprotect(p.recv, pl, false, 1);
      }
      ASSERT_EQ(st, dp::srtp::Status::kOk);
      dp::pkt::RtpHeader h;
      ASSERT_EQ(dp::pkt::parse_rtp(pl, h), dp::pkt::RtpError::kOk);
      g.by_ssrc[h.ssrc].push_back(
          {h, std::vector<uint8_t>(pl.begin() + h.header_len,
                                   pl.begin() + h.header_len + h.payload_len)});
    }
  };
  Got g1, g2;
  collect(S1, g1);
  collect(S2, g2);

  // Each media downtrack: 50 packets, contiguous munged numbers from its first
  // sequence number, its SSRC and PT, the publisher's payload byte for byte.
  auto check_stream = [&](const Got& g, uint32_t ssrc, uint32_t src_ssrc, uint16_t first_seq,
                          uint16_t src_first, uint8_t pt, std::size_t payload,
                          std::size_t expect_n) {
    auto it = g.by_ssrc.find(ssrc);
    ASSERT_NE(it, g.by_ssrc.end()) << std::hex << ssrc;
    const auto& pkts = it->second;
    ASSERT_EQ(pkts.size(), expect_n) << std::hex << ssrc;
    for (std::size_t i = 0; i < static_cast<std::size_t>(kPackets); ++i) {
      EXPECT_EQ(pkts[i].first.seq, static_cast<uint16_t>(first_seq + i))
          << std::hex << ssrc << " #" << i;
      EXPECT_EQ(pkts[i].first.payload_type, pt);
      EXPECT_EQ(pkts[i].second,
                payload_for(src_ssrc, static_cast<uint16_t>(src_first + i), payload));
    }
  };
  check_stream(g1, 0x51A, kSsrcA, 1000, 100, 109, 60, kPackets);
  check_stream(g1, 0x51B, kSsrcB, 65520, 7000, 96, 900, kPackets);
  check_stream(g2, 0x52A, kSsrcA, 0, 100, 111, 60, kPackets + 1);  // + the retransmission
  check_stream(g2, 0x52B, kSsrcB, 30000, 7000, 96, 900, kPackets);

  // The extension ID was rewritten for S1 (1 -> 5) and kept for S2.
  const auto& a1 = g1.by_ssrc[0x51A].front().first;
  EXPECT_TRUE(a1.has_extension);
  // RTX to S1: SSRC 0x51AA, PT 97, OSN = the NACKed numbers, original payload.
  ASSERT_EQ(g1.by_ssrc[0x51AA].size(), 2u);
  const uint16_t osn[] = {1005, 1007};
  for (int i = 0; i < 2; ++i) {
    const auto& [h, pl] = g1.by_ssrc[0x51AA][static_cast<std::size_t>(i)];
    EXPECT_EQ(h.payload_type, 97);
    ASSERT_GE(pl.size(), 2u);
    EXPECT_EQ(dp::pkt::load_be16(pl.data()), osn[i]);
    const auto orig = payload_for(kSsrcA, static_cast<uint16_t>(100 + osn[i] - 1000), 60);
    EXPECT_EQ(std::vector<uint8_t>(pl.begin() + 2, pl.end()), orig);
  }
  // The original-SSRC retransmission to S2 repeats seq 3 with its payload.
  const auto& re = g2.by_ssrc[0x52A].back();
  EXPECT_EQ(re.first.seq, 3);
  EXPECT_EQ(re.second, payload_for(kSsrcA, 103, 60));

  // The publishers got RRs about their tracks; the last one (after every
  // packet) says no loss and highest 149 / 7049.
  auto check_rr = [&](const Peer& p, uint32_t ssrc, uint16_t highest) {
    int found = 0;
    dp::pkt::ReportBlock last;
    for (const Output& o : out) {
      if (!(o.dst == p.ip)) continue;
      std::vector<uint8_t> pl = o.payload;
      ASSERT_EQ(srtp.unprotect(p.recv, pl, true), dp::srtp::Status::kOk);
      dp::pkt::RtcpWalker wk(pl);
      dp::pkt::RtcpPacket rp;
      while (wk.next(rp)) {
        uint32_t rep;
        dp::pkt::ReportBlock rb[4];
        int nb = 0;
        if (rp.type != dp::pkt::kRtcpRr ||
            dp::pkt::parse_rr(rp, rep, rb, nb) != dp::pkt::RtcpError::kOk)
          continue;
        ASSERT_EQ(nb, 1);
        EXPECT_EQ(rb[0].ssrc, ssrc);
        EXPECT_EQ(rep, p.ip == A.ip ? 0xFEED0001u : 0xFEED0002u);
        last = rb[0];
        ++found;
      }
    }
    ASSERT_GE(found, 1);
    EXPECT_EQ(last.ext_highest_seq & 0xffff, highest);
    EXPECT_EQ(last.cumulative_lost, 0);
  };
  check_rr(A, kSsrcA, 149);
  check_rr(B, kSsrcB, 7049);
  // Nothing went to the stranger.
  for (const Output& o : out) EXPECT_FALSE(o.dst == stranger.ip);
  std::filesystem::remove_all(dir);
}

// The control API's bookkeeping against a running worker: removal releases
// every SRTP session and slot, stale references and bad calls get errors.
TEST(DpControlTest, RemovalReleasesEverythingAndBadCallsFail) {
  dp::fanout::FastpathLimits limits;
  limits.max_participants = 4;
  limits.max_tracks = 4;
  limits.max_downtracks = 8;
  limits.rtx_depth = 16;
  limits.report_interval_ms = 100;
  limits.idle_timeout_ms = 300;  // nobody sends anything here: every participant goes idle
  NullDataplane dataplane;
  ASSERT_EQ(dataplane.start("dpc", limits, 16), "");
  {
    auto& workers = dataplane.workers;
    auto& engine = dataplane.engine;
    sp::DpControl ctl(*workers, *engine, limits);
    std::vector<sp::ParticipantRef> idle;
    ctl.add_idle_handler([&](const sp::ParticipantRef& r) { idle.push_back(r); });
    ASSERT_TRUE(workers->launch().ok());
    auto peer = [&](uint8_t host, uint32_t id) {
      sp::ParticipantParams pp;
      pp.room = 7;
      pp.id = id;
      pp.remote = ip4(198, 18, 0, host);
      pp.remote_port = 4000;
      pp.local_port = kLocalPort;
      pp.rx_keys = keys(dp::srtp::Profile::kAeadAes128Gcm, host);
      pp.tx_keys = keys(dp::srtp::Profile::kAeadAes128Gcm, static_cast<uint8_t>(host + 1));
      return ctl.add_participant(pp);
    };
    auto pub = peer(10, 1);
    auto sub = peer(20, 2);
    ASSERT_TRUE(pub.ok() && sub.ok());
    auto tr = ctl.add_track(pub.value(), track(1, 0xA1, 48000, dp::control::MediaKind::kAudio));
    ASSERT_TRUE(tr.ok());
    sp::DowntrackParams d;
    d.ssrc = 0x51;
    d.rtx_ssrc = 0x52;
    d.rtx_pt = 97;
    auto dt = ctl.add_downtrack(tr.value(), sub.value(), d);
    ASSERT_TRUE(dt.ok());
    EXPECT_TRUE(ctl.pause_downtrack(dt.value(), true).ok());  // unsubscribed for now
    EXPECT_TRUE(ctl.pause_downtrack(dt.value(), false).ok());
    // 2 per participant + downtrack + its RTX.
    EXPECT_EQ(ctl.live_sessions(), 6u);
    EXPECT_EQ(ctl.flows(), 2u);

    // Bad calls: a fifth participant on a 4-slot worker is fine, the same
    // flow twice is not; too many PT mappings; a stale reference.
    EXPECT_FALSE(peer(10, 9).ok());  // same remote address/port as the publisher
    sp::DowntrackParams many;
    many.ssrc = 0x60;
    for (uint8_t i = 0; i < 9; ++i) many.pt_map.push_back({i, i});
    EXPECT_FALSE(ctl.add_downtrack(tr.value(), sub.value(), many).ok());

    // Removing the publisher takes its track and the downtrack with it.
    ASSERT_TRUE(ctl.remove_participant(pub.value()).ok());
    EXPECT_FALSE(ctl.remove_participant(pub.value()).ok());  // twice
    EXPECT_FALSE(
        ctl.add_track(pub.value(), track(2, 0xA2, 48000, dp::control::MediaKind::kAudio)).ok());
    EXPECT_FALSE(ctl.request_keyframe(tr.value()).ok());
    EXPECT_FALSE(ctl.pause_downtrack(dt.value(), true).ok());  // went with its track
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (ctl.live_sessions() > 2 && std::chrono::steady_clock::now() < deadline) {
      ctl.poll_events();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(ctl.live_sessions(), 2u);  // the subscriber's own two
    EXPECT_EQ(ctl.flows(), 1u);
    // The publisher's flow no longer matches (its key slot is reclaimed later,
    // through RCU, so the table's count may still include it).
    const auto gone = dp::flow::FlowKey::make(ip4(198, 18, 0, 10), 4000, kLocalPort);
    const dp::flow::FlowKey* gp = &gone;
    dp::flow::FlowRef ref;
    EXPECT_EQ(workers->flows()->lookup_burst(&gp, 1, &ref), 0u);
    const auto kept = dp::flow::FlowKey::make(ip4(198, 18, 0, 20), 4000, kLocalPort);
    const dp::flow::FlowKey* kp = &kept;
    EXPECT_EQ(workers->flows()->lookup_burst(&kp, 1, &ref), 1u);

    // The silent subscriber is reported idle (consent), once.
    const auto idle_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (idle.empty() && std::chrono::steady_clock::now() < idle_deadline) {
      ctl.poll_events();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(idle.empty());
    EXPECT_EQ(idle.front().slot, sub.value().slot);
    EXPECT_EQ(idle.front().generation, sub.value().generation);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    ctl.poll_events();
    EXPECT_EQ(std::count_if(idle.begin(), idle.end(),
                            [&](const sp::ParticipantRef& r) {
                              return r.slot == sub.value().slot &&
                                     r.generation == sub.value().generation;
                            }),
              1);

    // Slots come back: four more participants fit again after removal.
    ASSERT_TRUE(ctl.remove_participant(sub.value()).ok());
    for (uint8_t h = 30; h < 34; ++h) EXPECT_TRUE(peer(h, h).ok()) << int(h);
    EXPECT_FALSE(peer(40, 40).ok());  // the fifth does not
    workers->stop();
  }
}

// No control command is ever lost: a room of 1,000 participants, each with a
// track, joins and is deleted at once while the worker is not yet running,
// through a 64-entry command ring. What does not fit waits in DpControl's
// backlog; once the worker runs, every command arrives in order, every SRTP
// session is released and every slot comes back.
TEST(DpControlTest, FullCommandRingLosesNothing) {
  constexpr uint32_t kN = 1000;
  dp::fanout::FastpathLimits limits;
  limits.max_participants = kN;
  limits.max_tracks = kN;
  limits.max_downtracks = 16;
  limits.rtx_depth = 16;
  limits.report_interval_ms = 100;
  NullDataplane dataplane;
  ASSERT_EQ(dataplane.start("dpr", limits, 2 * kN, 64), "");  // the ring holds 63
  {
    auto& workers = dataplane.workers;
    auto& engine = dataplane.engine;
    sp::DpControl ctl(*workers, *engine, limits);
    std::vector<sp::ParticipantRef> refs;
    for (uint32_t i = 0; i < kN; ++i) {
      sp::ParticipantParams pp;
      pp.room = 9;
      pp.id = i;
      pp.remote =
          ip4(198, 18, static_cast<uint8_t>(1 + i / 250), static_cast<uint8_t>(i % 250 + 1));
      pp.remote_port = 5000;
      pp.local_port = kLocalPort;
      pp.rx_keys = keys(dp::srtp::Profile::kAeadAes128Gcm, static_cast<uint8_t>(i));
      pp.tx_keys = keys(dp::srtp::Profile::kAeadAes128Gcm, static_cast<uint8_t>(i + 1));
      auto r = ctl.add_participant(pp);
      ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
      refs.push_back(r.value());
      ASSERT_TRUE(
          ctl.add_track(r.value(), track(i, 0x1000 + i, 48000, dp::control::MediaKind::kAudio))
              .ok());
    }
    EXPECT_EQ(ctl.live_sessions(), 2u * kN);
    for (const auto& r : refs) ASSERT_TRUE(ctl.remove_participant(r).ok());
    EXPECT_EQ(ctl.flows(), 0u);
    EXPECT_EQ(ctl.tracks(), 0u);
    // 3 commands per participant; 63 fit in the ring.
    EXPECT_EQ(ctl.pending_commands(), 3u * kN - 63u);
    EXPECT_EQ(ctl.commands_deferred(), 3u * kN - 63u);

    ASSERT_TRUE(workers->launch().ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while ((ctl.pending_commands() > 0 || ctl.live_sessions() > 0) &&
           std::chrono::steady_clock::now() < deadline) {
      ctl.poll_events();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(ctl.pending_commands(), 0u);
    EXPECT_EQ(ctl.live_sessions(), 0u);  // the worker released every session it was given
    EXPECT_EQ(workers->worker(0).stats.media.events_lost.get(), 0u);
    // Every slot is free again: the room fills once more.
    for (uint32_t i = 0; i < kN; ++i) {
      sp::ParticipantParams pp;
      pp.room = 10;
      pp.remote =
          ip4(198, 19, static_cast<uint8_t>(1 + i / 250), static_cast<uint8_t>(i % 250 + 1));
      pp.remote_port = 5000;
      pp.local_port = kLocalPort;
      pp.rx_keys = keys(dp::srtp::Profile::kAeadAes128Gcm, 1);
      pp.tx_keys = keys(dp::srtp::Profile::kAeadAes128Gcm, 2);
      auto r = ctl.add_participant(pp);
      ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
      ASSERT_TRUE(ctl.remove_participant(r.value()).ok());
    }
    const auto deadline2 = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while ((ctl.pending_commands() > 0 || ctl.live_sessions() > 0) &&
           std::chrono::steady_clock::now() < deadline2) {
      ctl.poll_events();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(ctl.live_sessions(), 0u);
    workers->stop();
  }
}

// The default engine (intel-ipsec-mb) on every profile, and libsrtp2 (the
// fallback) on the two that browsers negotiate.
INSTANTIATE_TEST_SUITE_P(
    Profiles, GoldenFastpath,
    ::testing::Values(GoldenCase{dp::srtp::Profile::kAes128CmHmacSha1_80, 1, "ipsec-mb"},
                      GoldenCase{dp::srtp::Profile::kAes128CmHmacSha1_32, 1, "ipsec-mb"},
                      GoldenCase{dp::srtp::Profile::kAeadAes128Gcm, 1, "ipsec-mb"},
                      GoldenCase{dp::srtp::Profile::kAeadAes128Gcm, 2, "ipsec-mb"},
                      GoldenCase{dp::srtp::Profile::kAes128CmHmacSha1_80, 1, "libsrtp2"},
                      GoldenCase{dp::srtp::Profile::kAeadAes128Gcm, 1, "libsrtp2"}),
    [](const auto& p) {
      const auto prof = p.param.profile;
      return std::string(prof == dp::srtp::Profile::kAeadAes128Gcm         ? "GCM"
                         : prof == dp::srtp::Profile::kAes128CmHmacSha1_32 ? "SHA1_32"
                                                                           : "SHA1_80") +
             "_" + std::to_string(p.param.workers) + "workers_" +
             (std::string(p.param.engine) == "libsrtp2" ? "libsrtp2" : "ipsecmb");
    });

}  // namespace
}  // namespace edgesfu

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new edgesfu::EalEnv());
  return RUN_ALL_TESTS();
}
