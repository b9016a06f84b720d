// Golden test of upstream loss recovery through the real fast path (issue 16
// #1): a publisher's video stream reaches the appliance with gaps. The fast
// path asks the publisher for what is missing with NACKs (and keeps asking
// until it comes or is given up on), turns the publisher's RTX answer back
// into the original packet (RFC 4588 §4) and forwards it to the subscriber
// under the sequence number the gap left. So does an RTX probe carrying a
// packet newer than any received; RTX of packets already received and
// padding-only probes go no further.
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "dataplane/pkt/rtcp.hpp"
#include "slowpath/dp_control/dp_control.hpp"
#include "tests/golden/golden_helpers.hpp"

namespace edgesfu {
namespace {

using namespace golden;  // NOLINT(google-build-using-namespace): the shared helpers

constexpr uint32_t kVideo = 0xA1, kRtx = 0xA2;
constexpr uint8_t kVp8Pt = 96, kRtxPt = 97;

std::vector<uint8_t> video(uint16_t seq) {
  return rtp(kVp8Pt, seq, 3000u * seq, kVideo, false, payload_for(kVideo, seq, 120));
}

// The publisher's retransmission of `osn` on its RTX stream (its own
// sequence number `rtx_seq`), with `pad` bytes of RTP padding.
std::vector<uint8_t> rtx(uint16_t rtx_seq, uint16_t osn, uint8_t pad = 0) {
  const auto body = payload_for(kVideo, osn, 120);
  std::vector<uint8_t> p(12 + 2 + body.size() + pad);
  p[0] = static_cast<uint8_t>(0x80 | (pad != 0 ? 0x20 : 0));
  p[1] = kRtxPt;
  dp::pkt::store_be16(&p[2], rtx_seq);
  dp::pkt::store_be32(&p[4], 3000u * osn);
  dp::pkt::store_be32(&p[8], kRtx);
  dp::pkt::store_be16(&p[12], osn);
  std::copy(body.begin(), body.end(), p.begin() + 14);
  if (pad != 0) p.back() = pad;
  return p;
}

// A padding-only probe on the RTX stream (what a bandwidth probe looks like).
std::vector<uint8_t> probe(uint16_t rtx_seq) {
  std::vector<uint8_t> p(12 + 200, 0);
  p[0] = 0xa0;
  p[1] = kRtxPt;
  dp::pkt::store_be16(&p[2], rtx_seq);
  dp::pkt::store_be32(&p[8], kRtx);
  p.back() = 200;
  return p;
}

TEST(GoldenUpstreamNack, GapsAskedForAndRtxForwardedAsTheOriginal) {
  const auto prof = dp::srtp::Profile::kAes128CmHmacSha1_80;
  const auto dir =
      std::filesystem::temp_directory_path() / ("esfu-golden-unack-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string wire_in = (dir / "wire_in.pcap").string();
  const std::string wire_out = (dir / "wire_out.pcap").string();

  Peer A{ip4(198, 18, 0, 10), 40000, {2, 0, 0, 0, 0, 0x0a}, keys(prof, 1), keys(prof, 2)};
  Peer S{ip4(198, 18, 0, 20), 40002, {2, 0, 0, 0, 0, 0x14}, keys(prof, 5), keys(prof, 6)};

  // 100..110 with 103, 104 and 107 lost on the way; 105 arrives twice; the
  // RTX answers for 103 and 107 come late, one for 108 (never missing) and a
  // probe come too. 104 never comes: it is asked for until given up on.
  Srtp srtp;
  std::vector<Frame> in;
  uint8_t rr[64];
  const std::vector<uint8_t> rr1(rr, rr + dp::pkt::build_rr(rr, 0x5100, {}));
  in.push_back(udp_frame(S, srtp.protect(S.send, 0x5100, rr1, true)));
  auto send = [&](uint32_t ssrc, const std::vector<uint8_t>& p) {
    in.push_back(udp_frame(A, srtp.protect(A.send, ssrc, p, false)));
  };
  for (const int seq : {100, 101, 102, 105, 106, 105, 108, 109})
    send(kVideo, video(static_cast<uint16_t>(seq)));
  send(kRtx, rtx(1, 103));
  send(kRtx, rtx(2, 107, 4));
  send(kRtx, rtx(3, 108));
  send(kRtx, probe(4));
  send(kRtx, rtx(5, 103));  // a second answer to the same NACK
  send(kVideo, video(110));
  // A probe carrying 112 before 112 (and 111) came: the packet goes on, and
  // 111, now missing, arrives late.
  send(kRtx, rtx(6, 112));
  send(kVideo, video(111));
  ASSERT_TRUE(test::write_pcap(wire_in, in));

  rte_mempool* pool = rte_pktmbuf_pool_create("golden_unack", 4095, 128, 0, 2176, 0);
  ASSERT_NE(pool, nullptr);
  uint64_t repaired = 0, ignored = 0, duplicates = 0, nack_sent = 0, gave_up = 0, rtp_in = 0;
  {
    auto wire = dp::Port::probe_vdev(
        "wire", "net_pcap_gunack0,rx_pcap=" + wire_in + ",tx_pcap=" + wire_out);
    ASSERT_TRUE(wire.ok()) << wire.error().message;
    auto exc = dp::Port::probe_vdev("exception", "net_null_gunack1,no-rx=1");
    ASSERT_TRUE(exc.ok()) << exc.error().message;
    auto engine = fastpath_engine("auto");
    ASSERT_NE(engine, nullptr);
    dp::fanout::FastpathLimits limits;
    limits.max_participants = 8;
    limits.max_tracks = 8;
    limits.max_downtracks = 16;
    limits.rtx_depth = 64;
    auto wp = one_worker(*wire, *exc, pool, *engine, limits, 16);
    auto workers = dp::WorkerSet::create(wp);
    ASSERT_TRUE(workers.ok()) << workers.error().message;
    auto& ws = *workers.value();
    sp::DpControl ctl(ws, *engine, limits);
    const auto pa = add_peer(ctl, A, 1, 0xFEED0001), ps = add_peer(ctl, S, 2, 0xFEED0002);
    sp::TrackParams tp = track(10, kVideo, 90000, dp::control::MediaKind::kVideo);
    tp.codec = dp::pkt::VideoCodec::kVp8;
    tp.rtx_ssrc = kRtx;
    auto tv = ctl.add_track(pa, tp);
    ASSERT_TRUE(tv.ok()) << tv.error().message;
    sp::DowntrackParams d;
    d.id = 100;
    d.ssrc = 0x51B;
    d.pt_map = {{kVp8Pt, 100}};
    d.first_seq = 7000;
    d.first_ts = 1234;
    ASSERT_TRUE(ctl.add_downtrack(tv.value(), ps, d).ok());
    ASSERT_TRUE(wire->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(exc->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(ws.launch().ok());
    const dp::Worker& w = ws.worker(0);
    // Past five tries 60 ms apart and the giving up after them.
    wait_for_input(w, in.size(), std::chrono::milliseconds(450));
    ws.stop();
    repaired = w.stats.media.rtx_in_repaired.get();
    ignored = w.stats.media.rtx_in_ignored.get();
    duplicates = drop_count(w, dp::DropReason::kSrtpReplay);
    nack_sent = w.stats.media.nack_sent.get();
    gave_up = w.stats.media.nack_gave_up.get();
    rtp_in = w.stats.media.rtp_in.get();
    ctl.poll_events();
    exc->close();
    wire->close();
  }
  rte_mempool_free(pool);
  EXPECT_EQ(repaired, 3u);    // 103, 107, 112
  EXPECT_EQ(ignored, 3u);     // the RTX of 108, the probe, 103's second answer
  EXPECT_EQ(duplicates, 1u);  // 105, dropped by SRTP's replay check
  EXPECT_EQ(rtp_in, 12u);     // 100..112 but 104
  EXPECT_EQ(nack_sent, 5u);   // one per try: 104 alone is still missing after the first
  EXPECT_EQ(gave_up, 1u);

  // What the publisher was asked for, and what the subscriber got.
  std::multiset<uint16_t> asked;
  std::vector<std::pair<dp::pkt::RtpHeader, std::vector<uint8_t>>> to_s;
  for (const Output& o : parse_output(test::read_pcap(wire_out))) {
    std::vector<uint8_t> pl = o.payload;
    const bool is_rtcp = pl.size() > 1 && pl[1] >= 192 && pl[1] <= 223;
    if (o.dst == S.ip && !is_rtcp) {
      ASSERT_EQ(srtp.unprotect(S.recv, pl, false), dp::srtp::Status::kOk);
      dp::pkt::RtpHeader h;
      ASSERT_EQ(dp::pkt::parse_rtp(pl, h), dp::pkt::RtpError::kOk);
      to_s.emplace_back(h, pl);
    } else if (o.dst == A.ip && is_rtcp) {
      ASSERT_EQ(srtp.unprotect(A.recv, pl, true), dp::srtp::Status::kOk);
      dp::pkt::RtcpWalker walk(pl);
      dp::pkt::RtcpPacket rp;
      while (walk.next(rp)) {
        if (rp.type != dp::pkt::kRtcpRtpfb || rp.count != dp::pkt::kFmtNack) continue;
        dp::pkt::Feedback fb;
        ASSERT_EQ(dp::pkt::parse_feedback(rp, fb), dp::pkt::RtcpError::kOk);
        EXPECT_EQ(fb.sender_ssrc, 0xFEED0001u);
        EXPECT_EQ(fb.media_ssrc, kVideo);
        uint16_t lost[256];
        const int k = dp::pkt::expand_nack(fb.fci, lost);
        for (int i = 0; i < k; ++i) asked.insert(lost[i]);
      }
    }
  }
  // The first NACK may have found 103, 107 and 111 still missing (the
  // pcap's burst can be split); every later one asked for 104 alone.
  EXPECT_EQ(asked.count(104), 5u);
  for (const uint16_t s : asked) EXPECT_TRUE(s == 103 || s == 104 || s == 107 || s == 111) << s;
  EXPECT_LE(asked.size(), 8u);

  // In arrival order: 100-102, 105, 106, 108, 109, 103 (repaired), 107
  // (repaired, its padding gone), 110, 112 (from the probe), 111; each under
  // the number its place in the stream gives it, with the original payload
  // and payload type.
  const std::vector<uint16_t> order = {100, 101, 102, 105, 106, 108, 109, 103, 107, 110, 112, 111};
  ASSERT_EQ(to_s.size(), order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto& [h, pl] = to_s[i];
    EXPECT_EQ(h.ssrc, 0x51Bu) << i;
    EXPECT_EQ(h.payload_type, 100) << i;
    EXPECT_EQ(h.seq, static_cast<uint16_t>(7000 + order[i] - 100)) << i;
    EXPECT_FALSE(h.has_padding) << i;
    const auto body = payload_for(kVideo, order[i], 120);
    ASSERT_EQ(h.payload_len, body.size()) << i;
    EXPECT_TRUE(std::equal(body.begin(), body.end(), pl.begin() + h.header_len)) << i;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgesfu
