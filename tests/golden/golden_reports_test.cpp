// Golden test of the periodic reports through the real fast path: a
// publisher's sender report reaches the appliance, and each report interval
// every downtrack's subscriber gets an SR for its own stream (the
// publisher's NTP/RTP mapping, translated) and the publisher an RR. There
// are more downtracks than one protect batch holds (64), so the SRs go out
// in several engine calls; each must authenticate with its subscriber's
// keys and name its downtrack's SSRC.
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "dataplane/pkt/rtcp.hpp"
#include "slowpath/dp_control/dp_control.hpp"
#include "tests/golden/golden_helpers.hpp"

namespace edgesfu {
namespace {

using namespace golden;  // NOLINT(google-build-using-namespace): the shared helpers

constexpr uint32_t kAudio = 0xA1;
constexpr int kSubscribers = 80;  // > one protect batch of 64
constexpr int kPackets = 5;

uint32_t downtrack_ssrc(int i) { return 0x5000u + static_cast<uint32_t>(i); }

TEST(GoldenReports, EveryDowntrackGetsItsSenderReportAcrossProtectBatches) {
  const auto prof = dp::srtp::Profile::kAes128CmHmacSha1_80;
  const auto dir =
      std::filesystem::temp_directory_path() / ("esfu-golden-reports-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string wire_in = (dir / "wire_in.pcap").string();
  const std::string wire_out = (dir / "wire_out.pcap").string();

  Peer A{ip4(198, 18, 0, 10), 40000, {2, 0, 0, 0, 0, 0x0a}, keys(prof, 1), keys(prof, 2)};
  const std::vector<Peer> subs = subscribers(prof, kSubscribers);
  // The worker applies 32 control commands per loop and then takes one RX
  // burst (32 here): the 162 commands below take 6 loops, which the
  // filler covers (add_preamble); then the publisher's packets and its SR.
  Srtp srtp;
  std::vector<Frame> in;
  constexpr int kFiller = 256;
  add_preamble(in, srtp, A, kFiller, subs);
  uint8_t buf[64];
  for (int s = 0; s < kPackets; ++s) {
    const auto seq = static_cast<uint16_t>(100 + s);
    in.push_back(udp_frame(
        A, srtp.protect(A.send, kAudio,
                        rtp(111, seq, 960u * seq, kAudio, false, payload_for(kAudio, seq, 60)),
                        false)));
  }
  dp::pkt::SenderInfo si;
  si.ssrc = kAudio;
  si.ntp = uint64_t{0xE0001234} << 32;
  si.rtp_ts = 960u * (100 + kPackets - 1);
  si.packet_count = kPackets;
  si.octet_count = 60 * kPackets;
  const std::vector<uint8_t> sr(buf, buf + dp::pkt::build_sr(buf, si, {}));
  in.push_back(udp_frame(A, srtp.protect(A.send, kAudio, sr, true)));
  ASSERT_TRUE(test::write_pcap(wire_in, in));

  rte_mempool* pool = rte_pktmbuf_pool_create("golden_reports", 4095, 128, 0, 2176, 0);
  ASSERT_NE(pool, nullptr);
  uint64_t rtcp_out = 0, rtp_out = 0, drops = 0, punted = 0;
  {
    auto wire = dp::Port::probe_vdev(
        "wire", "net_pcap_greports0,rx_pcap=" + wire_in + ",tx_pcap=" + wire_out);
    ASSERT_TRUE(wire.ok()) << wire.error().message;
    auto exc = dp::Port::probe_vdev("exception", "net_null_greports1,no-rx=1");
    ASSERT_TRUE(exc.ok()) << exc.error().message;
    auto engine = fastpath_engine("auto");
    ASSERT_NE(engine, nullptr);
    dp::fanout::FastpathLimits limits;
    limits.max_participants = kSubscribers + 8;
    limits.max_tracks = 4;
    limits.max_downtracks = kSubscribers + 8;
    limits.rtx_depth = 64;
    limits.report_interval_ms = 100;
    auto wp = one_worker(*wire, *exc, pool, *engine, limits, 2 * (kSubscribers + 8));
    auto workers = dp::WorkerSet::create(wp);
    ASSERT_TRUE(workers.ok()) << workers.error().message;
    auto& ws = *workers.value();
    sp::DpControl ctl(ws, *engine, limits);
    const auto pa = add_peer(ctl, A, 1, 0xFEED0001);
    auto ta = ctl.add_track(pa, track(10, kAudio, 48000, dp::control::MediaKind::kAudio));
    ASSERT_TRUE(ta.ok()) << ta.error().message;
    for (int i = 0; i < kSubscribers; ++i) {
      const auto ps = add_peer(ctl, subs[static_cast<std::size_t>(i)], static_cast<uint32_t>(2 + i),
                               0xFEED1000u + static_cast<uint32_t>(i));
      sp::DowntrackParams d;
      d.id = static_cast<uint32_t>(100 + i);
      d.ssrc = downtrack_ssrc(i);
      d.first_seq = static_cast<uint16_t>(1000 * i);
      d.first_ts = 7u * static_cast<uint32_t>(i);
      ASSERT_TRUE(ctl.add_downtrack(ta.value(), ps, d).ok());
    }
    ASSERT_TRUE(wire->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(exc->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(ws.launch().ok());
    const dp::Worker& w = ws.worker(0);
    // A few report intervals after the SR.
    wait_for_input(w, in.size(), std::chrono::milliseconds(450));
    ws.stop();
    rtcp_out = w.stats.media.rtcp_out.get();
    rtp_out = w.stats.media.rtp_out.get();
    for (std::size_t r = 0; r < dp::kDropReasonCount; ++r) {
      drops += w.stats.drops[r].get();
      EXPECT_EQ(w.stats.drops[r].get(), 0u) << dp::kDropReasonNames[r];
    }
    punted = w.stats.media.punted.get();
    ctl.poll_events();
    exc->close();
    wire->close();
  }
  rte_mempool_free(pool);
  EXPECT_EQ(drops, 0u);
  EXPECT_EQ(punted, static_cast<uint64_t>(kFiller));
  EXPECT_EQ(rtp_out, static_cast<uint64_t>(kPackets) * kSubscribers);

  // Per subscriber: its RTP and at least one SR for its downtrack, all
  // opening with its keys; per the publisher: RRs about its track.
  std::map<uint32_t, int> srs, rtps;  // by the subscriber's index
  int rrs_to_a = 0;
  uint64_t rtcp_seen = 0;
  for (const Output& o : parse_output(test::read_pcap(wire_out))) {
    std::vector<uint8_t> pl = o.payload;
    const bool is_rtcp = pl.size() > 1 && pl[1] >= 192 && pl[1] <= 223;
    if (o.dst == A.ip) {
      ASSERT_TRUE(is_rtcp);
      ASSERT_EQ(srtp.unprotect(A.recv, pl, true), dp::srtp::Status::kOk);
      ++rtcp_seen;
      dp::pkt::RtcpWalker walk(pl);
      dp::pkt::RtcpPacket rp;
      while (walk.next(rp)) rrs_to_a += rp.type == dp::pkt::kRtcpRr ? 1 : 0;
      continue;
    }
    int i = 0;
    while (i < kSubscribers && !(subs[static_cast<std::size_t>(i)].ip == o.dst)) ++i;
    ASSERT_LT(i, kSubscribers);
    const Peer& s = subs[static_cast<std::size_t>(i)];
    ASSERT_EQ(srtp.unprotect(s.recv, pl, is_rtcp), dp::srtp::Status::kOk) << i;
    if (!is_rtcp) {
      ++rtps[static_cast<uint32_t>(i)];
      continue;
    }
    ++rtcp_seen;
    dp::pkt::RtcpWalker walk(pl);
    dp::pkt::RtcpPacket rp;
    while (walk.next(rp)) {
      if (rp.type != dp::pkt::kRtcpSr) continue;
      dp::pkt::SenderInfo got;
      dp::pkt::ReportBlock rb[4];
      int nb = 0;
      ASSERT_EQ(dp::pkt::parse_sr(rp, got, rb, nb), dp::pkt::RtcpError::kOk);
      EXPECT_EQ(got.ssrc, downtrack_ssrc(i));
      EXPECT_EQ(got.packet_count, static_cast<uint32_t>(kPackets));
      EXPECT_GE(got.ntp, si.ntp);  // the publisher's clock, moved forward to now
      ++srs[static_cast<uint32_t>(i)];
    }
  }
  EXPECT_EQ(rtcp_seen, rtcp_out);
  EXPECT_GE(rrs_to_a, 1);
  for (int i = 0; i < kSubscribers; ++i) {
    EXPECT_EQ(rtps[static_cast<uint32_t>(i)], kPackets) << i;
    EXPECT_GE(srs[static_cast<uint32_t>(i)], 1) << i;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgesfu
