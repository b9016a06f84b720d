#include <gtest/gtest.h>

#include "dataplane/rtcp/receive_stats.hpp"

namespace edgesfu::dp::rtcp {
namespace {

TEST(ReceiveStatsTest, LossAndFractionPerInterval) {
  ReceiveStats st(48000);
  // 100 packets 20 ms apart, every 10th lost.
  for (uint16_t i = 0; i < 100; ++i) {
    if (i % 10 == 5) continue;
    st.on_packet(static_cast<uint16_t>(65500 + i), 960u * i, 20000u * i, 100);
  }
  EXPECT_EQ(st.expected(), 100u);
  EXPECT_EQ(st.received(), 90u);
  EXPECT_EQ(st.lost(), 10);
  auto rb = st.make_report(0x42, 2'000'000);
  EXPECT_EQ(rb.ssrc, 0x42u);
  EXPECT_EQ(rb.cumulative_lost, 10);
  EXPECT_EQ(rb.fraction_lost, (10 << 8) / 100);
  // Highest 65500+99 = 63 after one wrap: cycles 1 in the top 16 bits.
  EXPECT_EQ(rb.ext_highest_seq, (1u << 16) | 63u);
  // Perfect pacing: no jitter.
  EXPECT_EQ(rb.jitter, 0u);
  // Next interval: no loss.
  for (uint16_t i = 100; i < 110; ++i) st.on_packet(static_cast<uint16_t>(65500 + i), 960u * i, 20000u * i, 100);
  rb = st.make_report(0x42, 3'000'000);
  EXPECT_EQ(rb.fraction_lost, 0);
  EXPECT_EQ(rb.cumulative_lost, 10);
}

TEST(ReceiveStatsTest, JitterFollowsRfc3550) {
  ReceiveStats st(1000);  // 1 tick per ms, to keep the numbers readable
  // Timestamps 20 apart; arrivals alternate 15 and 25 ms apart: |D| = 5 each.
  uint64_t t = 0;
  for (int i = 0; i < 200; ++i) {
    st.on_packet(static_cast<uint16_t>(i), 20u * i, t * 1000, 50);
    t += (i % 2 == 0) ? 15 : 25;
  }
  // J converges to |D| = 5.
  EXPECT_NEAR(static_cast<double>(st.jitter()), 5.0, 1.0);
}

TEST(ReceiveStatsTest, DuplicatesCountAsNegativeLoss) {
  ReceiveStats st;
  st.on_packet(1, 0, 0, 10);
  st.on_packet(2, 0, 0, 10);
  st.on_packet(2, 0, 0, 10);
  EXPECT_EQ(st.lost(), -1);  // RFC 3550 §6.4.1 allows negative cumulative loss
  EXPECT_EQ(st.make_report(1, 0).fraction_lost, 0);
}

TEST(ReceiveStatsTest, LsrDlsrAndRtt) {
  ReceiveStats st;
  st.on_packet(1, 0, 0, 10);
  const uint64_t sr_ntp = ntp_from_unix_us(1'700'000'000'000'000ull);
  st.on_sender_report(sr_ntp, 5'000'000);
  auto rb = st.make_report(7, 5'500'000);  // 0.5 s later
  EXPECT_EQ(rb.lsr, static_cast<uint32_t>(sr_ntp >> 16));
  EXPECT_EQ(rb.dlsr, 32768u);  // 0.5 s in 1/65536 s
  // The sender gets this RR back 0.6 s after its SR: RTT 0.1 s.
  const uint64_t back = ntp_from_unix_us(1'700'000'000'600'000ull);
  EXPECT_NEAR(rtt_from_report(rb, back) / 65536.0, 0.1, 0.001);
  pkt::ReportBlock none;
  EXPECT_EQ(rtt_from_report(none, back), 0u);
}

TEST(ReceiveStatsTest, NtpConversion) {
  // 1970-01-01 is NTP second 2208988800; half a second is 0x80000000.
  EXPECT_EQ(ntp_from_unix_us(500000), (2208988800ull << 32) | 0x80000000ull);
}

}  // namespace
}  // namespace edgesfu::dp::rtcp
