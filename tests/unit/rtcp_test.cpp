#include <gtest/gtest.h>

#include <vector>

#include "dataplane/pkt/rtcp.hpp"

namespace edgesfu::dp::pkt {
namespace {

TEST(RtcpTest, SrRoundTrip) {
  SenderInfo si{0x11223344, 0xaabbccdd00112233ull, 90000, 1000, 160000};
  ReportBlock rb[2];
  rb[0] = {0x55, 12, -3, 70000, 40, 0x12345678, 65536};
  rb[1] = {0x66, 0, 0x7fffff, 1, 2, 3, 4};
  uint8_t buf[256];
  const std::size_t n = build_sr(buf, si, rb);
  ASSERT_EQ(n, 28u + 48u);
  ASSERT_EQ(validate_rtcp({buf, n}), RtcpError::kOk);
  RtcpWalker w({buf, n});
  RtcpPacket p;
  ASSERT_TRUE(w.next(p));
  EXPECT_EQ(p.type, kRtcpSr);
  SenderInfo got;
  ReportBlock blocks[kMaxReportBlocks];
  int nb = 0;
  ASSERT_EQ(parse_sr(p, got, blocks, nb), RtcpError::kOk);
  EXPECT_EQ(got.ssrc, si.ssrc);
  EXPECT_EQ(got.ntp, si.ntp);
  EXPECT_EQ(got.rtp_ts, si.rtp_ts);
  EXPECT_EQ(got.packet_count, si.packet_count);
  EXPECT_EQ(got.octet_count, si.octet_count);
  ASSERT_EQ(nb, 2);
  EXPECT_EQ(blocks[0].cumulative_lost, -3);
  EXPECT_EQ(blocks[0].fraction_lost, 12);
  EXPECT_EQ(blocks[0].ext_highest_seq, 70000u);
  EXPECT_EQ(blocks[0].lsr, 0x12345678u);
  EXPECT_EQ(blocks[1].cumulative_lost, 0x7fffff);
  EXPECT_FALSE(w.next(p));
  EXPECT_EQ(w.error(), RtcpError::kOk);
}

TEST(RtcpTest, CompoundRrPlusPliAndReducedSize) {
  uint8_t buf[256];
  ReportBlock rb{0x99, 1, 2, 3, 4, 5, 6};
  std::size_t n = build_rr(buf, 0x1234, {&rb, 1});
  n += build_pli({buf + n, sizeof buf - n}, 0x1234, 0x99);
  ASSERT_EQ(validate_rtcp({buf, n}), RtcpError::kOk);
  RtcpWalker w({buf, n});
  RtcpPacket p;
  ASSERT_TRUE(w.next(p));
  uint32_t reporter = 0;
  ReportBlock blocks[4];
  int nb = 0;
  ASSERT_EQ(parse_rr(p, reporter, blocks, nb), RtcpError::kOk);
  EXPECT_EQ(reporter, 0x1234u);
  EXPECT_EQ(nb, 1);
  ASSERT_TRUE(w.next(p));
  EXPECT_EQ(p.type, kRtcpPsfb);
  EXPECT_EQ(p.count, kFmtPli);
  Feedback fb;
  ASSERT_EQ(parse_feedback(p, fb), RtcpError::kOk);
  EXPECT_EQ(fb.media_ssrc, 0x99u);
  EXPECT_FALSE(w.next(p));

  // RFC 5506 reduced size: a lone PLI is a valid RTCP packet.
  const std::size_t m = build_pli(buf, 1, 2);
  EXPECT_EQ(validate_rtcp({buf, m}), RtcpError::kOk);
}

TEST(RtcpTest, NackPacksAndExpands) {
  const uint16_t lost[] = {100, 101, 105, 116, 117, 65535, 3};
  uint8_t buf[128];
  const std::size_t n = build_nack(buf, 7, 8, lost);
  ASSERT_GT(n, 0u);
  ASSERT_EQ(validate_rtcp({buf, n}), RtcpError::kOk);
  RtcpWalker w({buf, n});
  RtcpPacket p;
  ASSERT_TRUE(w.next(p));
  EXPECT_EQ(p.type, kRtcpRtpfb);
  EXPECT_EQ(p.count, kFmtNack);
  Feedback fb;
  ASSERT_EQ(parse_feedback(p, fb), RtcpError::kOk);
  uint16_t out[64];
  const int k = expand_nack(fb.fci, out);
  // 100 opens an FCI covering 101..116; 117 opens the next; 65535 another (3 is
  // 4 after it across the wrap, so in the same FCI).
  const std::vector<uint16_t> want = {100, 101, 105, 116, 117, 65535, 3};
  EXPECT_EQ(std::vector<uint16_t>(out, out + k), want);
  EXPECT_EQ(fb.fci.size(), 12u);  // three FCIs
}

TEST(RtcpTest, FirRembTwcc) {
  uint8_t buf[64];
  const std::size_t n = build_fir(buf, 1, 0x42, 7);
  RtcpWalker w({buf, n});
  RtcpPacket p;
  ASSERT_TRUE(w.next(p));
  Feedback fb;
  ASSERT_EQ(parse_feedback(p, fb), RtcpError::kOk);
  FirEntry fir[4];
  ASSERT_EQ(parse_fir(fb.fci, fir), 1);
  EXPECT_EQ(fir[0].ssrc, 0x42u);
  EXPECT_EQ(fir[0].seq, 7);

  // REMB: 1 SSRC, exp 2, mantissa 250000 -> 1,000,000 bps.
  const uint8_t remb_fci[] = {'R', 'E', 'M', 'B', 1, (2 << 2) | 0x03, 0xd0, 0x90, 0, 0, 0, 9};
  Feedback rfb{1, 0, remb_fci};
  Remb r;
  ASSERT_TRUE(parse_remb(rfb, r));
  EXPECT_EQ(r.bitrate_bps, uint64_t{(3u << 16) | 0xd090u} << 2);
  EXPECT_EQ(r.num_ssrc, 1);
  EXPECT_EQ(r.ssrcs[0], 9u);
  const uint8_t not_remb[] = {'R', 'E', 'M', 'X', 0, 0, 0, 0};
  EXPECT_FALSE(parse_remb({1, 0, not_remb}, r));

  const uint8_t twcc_fci[] = {0x01, 0x00, 0x00, 0x05, 0xff, 0xff, 0xfe, 3};
  TwccHeader t;
  ASSERT_TRUE(parse_twcc({1, 2, twcc_fci}, t));
  EXPECT_EQ(t.base_seq, 256);
  EXPECT_EQ(t.status_count, 5);
  EXPECT_EQ(t.reference_time, -2);
  EXPECT_EQ(t.fb_count, 3);
}

TEST(RtcpTest, RejectsMalformed) {
  const struct {
    std::vector<uint8_t> bytes;
    RtcpError want;
  } cases[] = {
      {{0x80, 200}, RtcpError::kTooShort},
      {{0x40, 201, 0, 1, 0, 0, 0, 0}, RtcpError::kBadVersion},
      {{0x80, 201, 0, 5, 0, 0, 0, 0}, RtcpError::kBadLength},
      // padded packet that is not the last one
      {{0xa0, 201, 0, 1, 0, 0, 0, 4, 0x80, 201, 0, 1, 0, 0, 0, 0}, RtcpError::kBadPadding},
      // padding count larger than the body
      {{0xa0, 201, 0, 1, 0, 0, 0, 9}, RtcpError::kBadPadding},
      // trailing garbage shorter than a header
      {{0x80, 201, 0, 1, 0, 0, 0, 0, 0x80}, RtcpError::kTooShort},
  };
  for (const auto& c : cases) EXPECT_EQ(validate_rtcp(c.bytes), c.want) << to_string(c.want);

  // RR announcing 3 report blocks but holding one.
  uint8_t buf[64];
  ReportBlock rb{};
  std::size_t n = build_rr(buf, 1, {&rb, 1});
  buf[0] = 0x83;
  RtcpWalker w({buf, n});
  RtcpPacket p;
  ASSERT_TRUE(w.next(p));
  uint32_t rep;
  ReportBlock blocks[4];
  int nb;
  EXPECT_EQ(parse_rr(p, rep, blocks, nb), RtcpError::kBadCount);
}

TEST(RtcpTest, BuildersRefuseSmallBuffers) {
  uint8_t buf[8];
  EXPECT_EQ(build_pli(buf, 1, 2), 0u);
  EXPECT_EQ(build_sr(buf, {}, {}), 0u);
  const uint16_t lost[] = {1};
  EXPECT_EQ(build_nack(buf, 1, 2, lost), 0u);
}

}  // namespace
}  // namespace edgesfu::dp::pkt
