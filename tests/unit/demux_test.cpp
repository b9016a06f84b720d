#include <gtest/gtest.h>

#include <vector>

#include "dataplane/pkt/demux.hpp"

namespace edgesfu::dp::pkt {
namespace {

std::vector<uint8_t> pkt(uint8_t b0, uint8_t b1, std::size_t len) {
  std::vector<uint8_t> v(len, 0);
  if (len > 0) v[0] = b0;
  if (len > 1) v[1] = b1;
  return v;
}

TEST(DemuxTest, FirstByteRangesOfRfc7983) {
  const struct {
    uint8_t b0, b1;
    std::size_t len;
    UdpClass want;
  } cases[] = {
      {0, 1, 20, UdpClass::kStun},        {3, 0, 28, UdpClass::kStun},
      {0, 1, 19, UdpClass::kUnknown},     // shorter than a STUN header
      {4, 0, 40, UdpClass::kUnknown},     {15, 0, 40, UdpClass::kUnknown},
      {16, 0, 40, UdpClass::kZrtp},       {19, 0, 40, UdpClass::kZrtp},
      {20, 0, 40, UdpClass::kDtls},       {22, 254, 40, UdpClass::kDtls},
      {63, 0, 40, UdpClass::kDtls},       {64, 0, 40, UdpClass::kTurnChannel},
      {79, 0, 40, UdpClass::kTurnChannel}, {80, 0, 40, UdpClass::kUnknown},
      {127, 0, 40, UdpClass::kUnknown},   {128, 111, 12, UdpClass::kRtp},
      {0x90, 0xe0, 100, UdpClass::kRtp},  // marker + PT 96
      {128, 111, 11, UdpClass::kUnknown}, // shorter than an RTP header
      {0x80, 200, 28, UdpClass::kRtcp},   {0x81, 201, 8, UdpClass::kRtcp},
      {0x81, 206, 12, UdpClass::kRtcp},   {0x80, 192, 8, UdpClass::kRtcp},
      {0x80, 223, 8, UdpClass::kRtcp},    {0x80, 224, 12, UdpClass::kRtp},
      {0x80, 191, 12, UdpClass::kRtp},    {0x80, 200, 7, UdpClass::kUnknown},
      {191, 0, 12, UdpClass::kRtp},       {192, 0, 40, UdpClass::kUnknown},
      {255, 0, 40, UdpClass::kUnknown},
  };
  for (const auto& c : cases) {
    const auto v = pkt(c.b0, c.b1, c.len);
    EXPECT_EQ(classify_udp_payload(v), c.want)
        << "first byte " << int(c.b0) << " second " << int(c.b1) << " len " << c.len
        << " got " << to_string(classify_udp_payload(v));
  }
  EXPECT_EQ(classify_udp_payload({}), UdpClass::kUnknown);
}

}  // namespace
}  // namespace edgesfu::dp::pkt
