// Golden test of simulcast and congestion feedback through the real fast path
// (issue 13 #4): a publisher sends three layers named only by RID (as
// livekit-client does), their SSRCs never announced. The fast path learns
// them from the MID and RID header extensions of authenticated packets,
// forwards one layer at a time on the subscriber's one SSRC with continuous
// sequence numbers, switches up to a better layer at its keyframe only, asks
// each layer it waits for for a keyframe, never forwards the publisher's RTX
// or its MID, and reports every transport-wide sequence number back to the
// publisher (draft-holmer-rmcat-transport-wide-cc-extensions-01).
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "dataplane/pkt/rtcp.hpp"
#include "dataplane/pkt/rtp_ext.hpp"
#include "slowpath/dp_control/dp_control.hpp"
#include "tests/golden/golden_helpers.hpp"

namespace edgesfu {
namespace {

using namespace golden;  // NOLINT(google-build-using-namespace): the shared helpers

constexpr uint8_t kTwccExt = 3, kMidExt = 4, kRidExt = 10, kRridExt = 11;

// VP8 RTP with one-byte extensions: transport-wide sequence number, MID
// "1", and the RID (or, for `repaired`, the repaired RID) when given.
std::vector<uint8_t> layer_rtp(uint32_t ssrc, uint16_t seq, uint16_t tw, const std::string& rid,
                               bool repaired, bool keyframe) {
  std::vector<uint8_t> ext = {static_cast<uint8_t>(kTwccExt << 4 | 1),
                              static_cast<uint8_t>(tw >> 8), static_cast<uint8_t>(tw),
                              static_cast<uint8_t>(kMidExt << 4), '1'};
  if (!rid.empty()) {
    ext.push_back(static_cast<uint8_t>((repaired ? kRridExt : kRidExt) << 4 | (rid.size() - 1)));
    for (const char c : rid) ext.push_back(static_cast<uint8_t>(c));
  }
  while (ext.size() % 4 != 0) ext.push_back(0);
  // Sized once and filled in place (growing it with insert() trips a GCC 12
  // -Warray-bounds false positive at -O3, as in golden_helpers.hpp).
  const auto body = payload_for(ssrc, seq, 100);
  std::vector<uint8_t> p(12 + 4 + ext.size() + 2 + body.size());
  p[0] = 0x90;
  p[1] = 96;
  dp::pkt::store_be16(&p[2], seq);
  dp::pkt::store_be32(&p[4], 3000u * seq);
  dp::pkt::store_be32(&p[8], ssrc);
  p[12] = 0xbe;
  p[13] = 0xde;
  dp::pkt::store_be16(&p[14], static_cast<uint16_t>(ext.size() / 4));
  std::copy(ext.begin(), ext.end(), p.begin() + 16);
  // VP8 descriptor (S=1, PID=0) and the frame header's P bit.
  const std::size_t at = 16 + ext.size();
  p[at] = 0x10;
  p[at + 1] = keyframe ? 0x00 : 0x01;
  std::copy(body.begin(), body.end(), p.begin() + static_cast<std::ptrdiff_t>(at + 2));
  return p;
}

TEST(GoldenSimulcast, LayersLearnedSwitchedAtKeyframesAndFeedbackSent) {
  const auto prof = dp::srtp::Profile::kAes128CmHmacSha1_80;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("esfu-golden-simulcast-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string wire_in = (dir / "wire_in.pcap").string();
  const std::string wire_out = (dir / "wire_out.pcap").string();

  Peer A{ip4(198, 18, 0, 10), 40000, {2, 0, 0, 0, 0, 0x0a}, keys(prof, 1), keys(prof, 2)};
  Peer S1{ip4(198, 18, 0, 20), 40002, {2, 0, 0, 0, 0, 0x14}, keys(prof, 5), keys(prof, 6)};
  constexpr uint32_t kQ = 0x100, kH = 0x200, kF = 0x300, kFRtx = 0x301, kStray = 0x999;

  struct Sent {
    uint32_t ssrc;
    uint16_t seq;
    const char* rid;
    bool repaired, key;
  };
  // In arrival order; transport-wide numbers 1, 2, ... except 5 (lost).
  const std::vector<Sent> sent = {
      {kQ, 10, "q", false, false},    // no layer yet and no keyframe: ask q
      {kQ, 11, "q", false, true},     // q starts
      {kQ, 12, "q", false, false},    // forwarded
      {kF, 500, "f", false, false},   // better, no keyframe: ask f
      {kH, 300, "h", false, false},   // better, no keyframe: ask h
      {kF, 501, "f", false, true},    // switch to f
      {kH, 301, "h", false, true},    // worse than f: skipped
      {kQ, 13, "q", false, false},    // skipped
      {kF, 502, "f", false, false},   // forwarded
      {kFRtx, 7, "f", true, false},   // f's RTX (a probe): not forwarded
      {kStray, 1, "", false, false},  // no RID: unknown SSRC
      {kF, 503, "f", false, false},   // forwarded
  };
  const std::vector<std::pair<uint32_t, uint16_t>> forwarded = {
      {kQ, 11}, {kQ, 12}, {kF, 501}, {kF, 502}, {kF, 503}};

  Srtp srtp;
  std::vector<Frame> in;
  uint8_t rr[64];
  const std::vector<uint8_t> rr1(rr, rr + dp::pkt::build_rr(rr, 0x5100, {}));
  in.push_back(frame_from(S1, S1.mac, kApplianceIp, srtp.protect(S1.send, 0x5100, rr1, true)));
  uint16_t tw = 0;
  std::set<uint16_t> tw_sent;
  for (const Sent& s : sent) {
    if (++tw == 5) ++tw;
    tw_sent.insert(tw);
    in.push_back(
        frame_from(A, A.mac, kApplianceIp,
                   srtp.protect(A.send, s.ssrc,
                                layer_rtp(s.ssrc, s.seq, tw, s.rid, s.repaired, s.key), false)));
  }
  ASSERT_TRUE(test::write_pcap(wire_in, in));

  rte_mempool* pool = rte_pktmbuf_pool_create("golden_sim", 4095, 128, 0, 2176, 0);
  ASSERT_NE(pool, nullptr);
  uint64_t switches = 0, skipped = 0, rtx_ignored = 0, unknown = 0, keyframe_requests = 0,
           twcc_reports = 0, rtp_in = 0;
  {
    auto wire =
        dp::Port::probe_vdev("wire", "net_pcap_gsim0,rx_pcap=" + wire_in + ",tx_pcap=" + wire_out);
    ASSERT_TRUE(wire.ok()) << wire.error().message;
    auto exc = dp::Port::probe_vdev("exception", "net_null_gsim1,no-rx=1");
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
    const auto pa = add_peer(ctl, A, 1, 0xFEED0001), p1 = add_peer(ctl, S1, 2, 0xFEED0002);
    sp::TrackParams tp = track(10, 0, 90000, dp::control::MediaKind::kVideo);
    tp.codec = dp::pkt::VideoCodec::kVp8;
    tp.twcc_ext = kTwccExt;
    tp.mid_ext = kMidExt;
    tp.rid_ext = kRidExt;
    tp.rrid_ext = kRridExt;
    tp.mid = "1";
    tp.rids = {"q", "h", "f"};
    auto tv = ctl.add_track(pa, tp);
    ASSERT_TRUE(tv.ok()) << tv.error().message;
    // Refused: more layers than the fast path holds, or layers without the
    // extensions that name them.
    sp::TrackParams bad = tp;
    bad.rids = {"a", "b", "c", "d"};
    EXPECT_FALSE(ctl.add_track(pa, bad).ok());
    bad = tp;
    bad.rid_ext = 0;
    EXPECT_FALSE(ctl.add_track(pa, bad).ok());
    sp::DowntrackParams d;
    d.id = 100;
    d.ssrc = 0x51B;
    d.pt_map = {{96, 96}};
    d.first_seq = 7000;
    d.first_ts = 1234;
    ASSERT_TRUE(ctl.add_downtrack(tv.value(), p1, d).ok());
    ASSERT_TRUE(wire->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(exc->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(ws.launch().ok());
    const dp::Worker& w = ws.worker(0);
    // Past a feedback interval (50 ms): the report goes out.
    wait_for_input(w, in.size(), std::chrono::milliseconds(200));
    ws.stop();
    switches = w.stats.media.layer_switches.get();
    skipped = w.stats.media.layer_skipped.get();
    rtx_ignored = w.stats.media.rtx_in_ignored.get();
    unknown = drop_count(w, dp::DropReason::kRtpUnknownSsrc);
    keyframe_requests = w.stats.media.keyframe_requests.get();
    twcc_reports = w.stats.media.twcc_reports.get();
    rtp_in = w.stats.media.rtp_in.get();
    ctl.poll_events();
    exc->close();
    wire->close();
  }
  rte_mempool_free(pool);
  EXPECT_EQ(switches, 2u);  // q, then f
  EXPECT_EQ(skipped, 5u);   // q10, f500, h300, h301, q13
  EXPECT_EQ(rtx_ignored, 1u);
  EXPECT_EQ(unknown, 1u);
  EXPECT_EQ(keyframe_requests, 3u);  // q, f, h
  EXPECT_GE(twcc_reports, 1u);
  EXPECT_EQ(rtp_in, forwarded.size());

  std::vector<std::pair<dp::pkt::RtpHeader, std::vector<uint8_t>>> to_s1;
  std::set<uint32_t> pli_ssrcs;
  std::map<uint16_t, bool> reported;  // transport-wide number -> received
  for (const Output& o : parse_output(test::read_pcap(wire_out))) {
    std::vector<uint8_t> pl = o.payload;
    const bool is_rtcp = pl.size() > 1 && pl[1] >= 192 && pl[1] <= 223;
    if (o.dst == S1.ip && !is_rtcp) {
      ASSERT_EQ(srtp.unprotect(S1.recv, pl, false), dp::srtp::Status::kOk);
      dp::pkt::RtpHeader h;
      ASSERT_EQ(dp::pkt::parse_rtp(pl, h), dp::pkt::RtpError::kOk);
      to_s1.emplace_back(h, pl);
    } else if (o.dst == A.ip && is_rtcp) {
      ASSERT_EQ(srtp.unprotect(A.recv, pl, true), dp::srtp::Status::kOk);
      dp::pkt::RtcpWalker walk(pl);
      dp::pkt::RtcpPacket rp;
      while (walk.next(rp)) {
        if (rp.type == dp::pkt::kRtcpPsfb && rp.count == 1 && rp.body.size() >= 8) {
          pli_ssrcs.insert(dp::pkt::load_be32(rp.body.data() + 4));
        } else if (rp.type == dp::pkt::kRtcpRtpfb && rp.count == 15 && rp.body.size() >= 16) {
          // Two-bit status vector chunks, as the recorder writes them.
          const uint16_t base = dp::pkt::load_be16(rp.body.data() + 8);
          const uint16_t count = dp::pkt::load_be16(rp.body.data() + 10);
          for (uint16_t i = 0; i < count; ++i) {
            const uint16_t chunk = dp::pkt::load_be16(rp.body.data() + 16 + 2 * (i / 7));
            ASSERT_EQ(chunk >> 14, 3);
            const int st = (chunk >> (12 - 2 * (i % 7))) & 3;
            reported[static_cast<uint16_t>(base + i)] = st != 0;
          }
        }
      }
    }
  }
  EXPECT_EQ(pli_ssrcs, (std::set<uint32_t>{kQ, kH, kF}));
  // Every transport-wide number sent was reported received, the lost one not.
  for (const uint16_t n : tw_sent) EXPECT_TRUE(reported[n]) << n;
  ASSERT_TRUE(reported.count(5));
  EXPECT_FALSE(reported[5]);

  // The subscriber got exactly the forwarded packets, on its one SSRC, with
  // continuous numbers, the payload untouched and no MID extension.
  ASSERT_EQ(to_s1.size(), forwarded.size());
  for (std::size_t i = 0; i < to_s1.size(); ++i) {
    const auto& [h, pl] = to_s1[i];
    EXPECT_EQ(h.ssrc, 0x51Bu);
    EXPECT_EQ(h.seq, static_cast<uint16_t>(7000 + i));
    const auto body = payload_for(forwarded[i].first, forwarded[i].second, 100);
    ASSERT_EQ(h.payload_len, body.size() + 2);
    EXPECT_TRUE(std::equal(body.begin(), body.end(), pl.begin() + h.header_len + 2)) << i;
    const std::span<const uint8_t> ext(pl.data() + h.ext_offset, h.ext_len);
    EXPECT_TRUE(dp::pkt::find_extension(ext, h.ext_profile, kMidExt).empty()) << i;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgesfu
