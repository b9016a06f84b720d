#include <gtest/gtest.h>

#include "dataplane/rtcp/sr_translate.hpp"

namespace edgesfu::dp::rtcp {
namespace {

TEST(SrTranslateTest, MovesTheMappingForwardAndIntoTheDowntrack) {
  munge::RtpMunger m(0, 1000);
  munge::MungeOut out;
  m.munge(0xa, 1, 50000, 0, 48000, out);  // downtrack ts = publisher ts - 49000
  pkt::SenderInfo sr;
  sr.ntp = (uint64_t{3900000000u} << 32) | 0x80000000u;  // x.5 s
  sr.rtp_ts = 96000;
  const pkt::SenderInfo si = translate_sr(sr, 2'000'000, 2'250'000, 48000, m, 0x77, 10, 1600);
  EXPECT_EQ(si.ssrc, 0x77u);
  // 250 ms later: NTP + 0.25 s, RTP + 12000 ticks, then into the downtrack.
  EXPECT_EQ(si.ntp, sr.ntp + (uint64_t{1} << 30));
  EXPECT_EQ(si.rtp_ts, 96000u + 12000u - 49000u);
  EXPECT_EQ(si.packet_count, 10u);
  EXPECT_EQ(si.octet_count, 1600u);
  // A clock that did not move does not move the mapping.
  EXPECT_EQ(translate_sr(sr, 5, 5, 48000, m, 1, 0, 0).rtp_ts, 96000u - 49000u);
}

}  // namespace
}  // namespace edgesfu::dp::rtcp
