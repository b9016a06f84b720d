// pkt::starts_keyframe: VP8 payload descriptors (RFC 7741) and H.264 NAL
// units (RFC 6184) that do and do not start a keyframe.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "dataplane/pkt/keyframe.hpp"

namespace edgesfu::dp::pkt {
namespace {

bool key(VideoCodec c, const std::vector<uint8_t>& p) { return starts_keyframe(c, p); }

TEST(Keyframe, Vp8) {
  // S=1 PID=0, no extension; frame header P=0 (key) / P=1 (delta).
  EXPECT_TRUE(key(VideoCodec::kVp8, {0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}));
  EXPECT_FALSE(key(VideoCodec::kVp8, {0x10, 0x11, 0x02, 0x00}));
  // Not the start of a partition, or not partition 0.
  EXPECT_FALSE(key(VideoCodec::kVp8, {0x00, 0x10}));
  EXPECT_FALSE(key(VideoCodec::kVp8, {0x11, 0x10}));
  // X with I (15-bit picture ID), L and T: libwebrtc's usual descriptor.
  EXPECT_TRUE(key(VideoCodec::kVp8, {0x90, 0xe0, 0x81, 0x23, 0x05, 0x20, 0x50}));
  EXPECT_FALSE(key(VideoCodec::kVp8, {0x90, 0xe0, 0x81, 0x23, 0x05, 0x20, 0x51}));
  // 7-bit picture ID only.
  EXPECT_TRUE(key(VideoCodec::kVp8, {0x90, 0x80, 0x05, 0x30}));
  // Truncated anywhere: never a keyframe, never a read past the end.
  const std::vector<uint8_t> full = {0x90, 0xe0, 0x81, 0x23, 0x05, 0x20, 0x50};
  for (std::size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(key(VideoCodec::kVp8, std::vector<uint8_t>(full.begin(), full.begin() + n))) << n;
  }
}

TEST(Keyframe, H264) {
  EXPECT_TRUE(key(VideoCodec::kH264, {0x65, 0x88}));   // IDR slice
  EXPECT_TRUE(key(VideoCodec::kH264, {0x67, 0x42}));   // SPS
  EXPECT_FALSE(key(VideoCodec::kH264, {0x41, 0x9a}));  // non-IDR slice
  EXPECT_FALSE(key(VideoCodec::kH264, {0x68, 0xce}));  // PPS alone
  // STAP-A: SPS + PPS (+ IDR), as Chromium sends them.
  EXPECT_TRUE(key(VideoCodec::kH264, {0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce}));
  EXPECT_FALSE(key(VideoCodec::kH264, {0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x06, 0x05}));
  EXPECT_FALSE(key(VideoCodec::kH264, {0x78, 0x00, 0x09, 0x67}));  // size past the end
  EXPECT_FALSE(key(VideoCodec::kH264, {0x78, 0x00, 0x00, 0x67}));  // zero size
  // FU-A: the first fragment of an IDR slice starts a keyframe, later ones do not.
  EXPECT_TRUE(key(VideoCodec::kH264, {0x7c, 0x85, 0x88}));
  EXPECT_FALSE(key(VideoCodec::kH264, {0x7c, 0x05, 0x88}));
  EXPECT_FALSE(key(VideoCodec::kH264, {0x7c, 0x81, 0x88}));
  EXPECT_FALSE(key(VideoCodec::kH264, {0x7c}));
  EXPECT_FALSE(key(VideoCodec::kH264, {}));
}

TEST(Keyframe, OtherCodecsNever) {
  EXPECT_FALSE(key(VideoCodec::kOther, {0x10, 0x10}));
  EXPECT_FALSE(key(VideoCodec::kOther, {0x65}));
}

}  // namespace
}  // namespace edgesfu::dp::pkt
