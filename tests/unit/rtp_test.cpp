#include <gtest/gtest.h>

#include <vector>

#include "dataplane/pkt/rtp.hpp"
#include "dataplane/pkt/rtp_ext.hpp"

namespace edgesfu::dp::pkt {
namespace {

// A builder for test packets.
std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                         std::vector<uint32_t> csrcs = {}, uint16_t ext_profile = 0,
                         std::vector<uint8_t> ext = {}, std::size_t payload = 10,
                         uint8_t padding = 0, bool marker = false) {
  std::vector<uint8_t> v;
  v.push_back(static_cast<uint8_t>(0x80 | (padding ? 0x20 : 0) | (ext_profile ? 0x10 : 0) |
                                   csrcs.size()));
  v.push_back(static_cast<uint8_t>((marker ? 0x80 : 0) | pt));
  v.push_back(static_cast<uint8_t>(seq >> 8));
  v.push_back(static_cast<uint8_t>(seq));
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(ts >> s));
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(ssrc >> s));
  for (uint32_t c : csrcs)
    for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(c >> s));
  if (ext_profile) {
    while (ext.size() % 4) ext.push_back(0);
    v.push_back(static_cast<uint8_t>(ext_profile >> 8));
    v.push_back(static_cast<uint8_t>(ext_profile));
    v.push_back(static_cast<uint8_t>((ext.size() / 4) >> 8));
    v.push_back(static_cast<uint8_t>(ext.size() / 4));
    v.insert(v.end(), ext.begin(), ext.end());
  }
  for (std::size_t i = 0; i < payload; ++i) v.push_back(static_cast<uint8_t>(0xa0 + i));
  if (padding) {
    for (uint8_t i = 1; i < padding; ++i) v.push_back(0);
    v.push_back(padding);
  }
  return v;
}

TEST(RtpTest, ParsesFixedHeader) {
  auto p = rtp(111, 0xabcd, 0x01020304, 0xdeadbeef, {}, 0, {}, 80, 0, true);
  RtpHeader h;
  ASSERT_EQ(parse_rtp(p, h), RtpError::kOk);
  EXPECT_EQ(h.payload_type, 111);
  EXPECT_TRUE(h.marker);
  EXPECT_EQ(h.seq, 0xabcd);
  EXPECT_EQ(h.timestamp, 0x01020304u);
  EXPECT_EQ(h.ssrc, 0xdeadbeefu);
  EXPECT_EQ(h.header_len, 12);
  EXPECT_EQ(h.payload_len, 80);
  EXPECT_FALSE(h.has_extension);
}

TEST(RtpTest, CsrcsExtensionAndPadding) {
  auto p = rtp(96, 1, 2, 3, {10, 11}, kExtProfileOneByte, {0x10, 0xff, 0x22, 1, 2, 3}, 20, 4);
  RtpHeader h;
  ASSERT_EQ(parse_rtp(p, h), RtpError::kOk);
  EXPECT_EQ(h.csrc_count, 2);
  EXPECT_TRUE(h.has_extension);
  EXPECT_EQ(h.ext_profile, kExtProfileOneByte);
  EXPECT_EQ(h.ext_offset, 12 + 8 + 4);
  EXPECT_EQ(h.ext_len, 8);
  EXPECT_EQ(h.header_len, 12 + 8 + 4 + 8);
  EXPECT_EQ(h.padding_len, 4);
  EXPECT_EQ(h.payload_len, 20);
}

TEST(RtpTest, RejectsMalformed) {
  RtpHeader h;
  std::vector<uint8_t> short_pkt(11, 0x80);
  EXPECT_EQ(parse_rtp(short_pkt, h), RtpError::kTooShort);
  auto v1 = rtp(96, 1, 2, 3);
  v1[0] = 0x40;
  EXPECT_EQ(parse_rtp(v1, h), RtpError::kBadVersion);
  auto cc = rtp(96, 1, 2, 3, {}, 0, {}, 0);
  cc[0] |= 0x0f;  // 15 CSRCs announced, none present
  EXPECT_EQ(parse_rtp(cc, h), RtpError::kCsrcOverrun);
  auto ext = rtp(96, 1, 2, 3, {}, kExtProfileOneByte, {0x10, 1, 0, 0}, 0);
  ext[15] = 9;  // extension length 9 words
  EXPECT_EQ(parse_rtp(ext, h), RtpError::kExtOverrun);
  auto ext_hdr = rtp(96, 1, 2, 3, {}, 0, {}, 2);
  ext_hdr[0] |= 0x10;  // X set, but only 2 bytes follow the header
  EXPECT_EQ(parse_rtp(ext_hdr, h), RtpError::kExtOverrun);
  auto pad0 = rtp(96, 1, 2, 3, {}, 0, {}, 5, 1);
  pad0.back() = 0;
  EXPECT_EQ(parse_rtp(pad0, h), RtpError::kBadPadding);
  auto padbig = rtp(96, 1, 2, 3, {}, 0, {}, 5, 1);
  padbig.back() = 200;
  EXPECT_EQ(parse_rtp(padbig, h), RtpError::kBadPadding);
}

TEST(RtpExtTest, OneByteElementsAndPadding) {
  // mid (id 1, "a"), padding byte, audio level (id 3, 1 byte), abs-send-time (id 2, 3 bytes)
  const std::vector<uint8_t> data = {0x10, 'a', 0x00, 0x30, 0x85, 0x22, 1, 2, 3, 0, 0, 0};
  ExtElement e[kMaxExtElements];
  ASSERT_EQ(parse_extensions(data, kExtProfileOneByte, e), 3);
  EXPECT_EQ(e[0].id, 1);
  EXPECT_EQ(e[0].len, 1);
  EXPECT_EQ(e[1].id, 3);
  EXPECT_EQ(e[1].offset, 4);
  EXPECT_EQ(e[2].id, 2);
  EXPECT_EQ(e[2].len, 3);
  auto abs = find_extension(data, kExtProfileOneByte, 2);
  ASSERT_EQ(abs.size(), 3u);
  EXPECT_EQ(abs[0], 1);
  EXPECT_TRUE(find_extension(data, kExtProfileOneByte, 9).empty());
}

TEST(RtpExtTest, OneByteId15StopsParsing) {
  const std::vector<uint8_t> data = {0x10, 'a', 0xf0, 0x30, 0x85, 0, 0, 0};
  ExtElement e[kMaxExtElements];
  EXPECT_EQ(parse_extensions(data, kExtProfileOneByte, e), 1);
}

TEST(RtpExtTest, TwoByteElements) {
  const std::vector<uint8_t> data = {1, 0, 0, 20, 2, 'h', 'i', 0};
  ExtElement e[kMaxExtElements];
  ASSERT_EQ(parse_extensions(data, 0x1000, e), 2);
  EXPECT_EQ(e[0].id, 1);
  EXPECT_EQ(e[0].len, 0);  // zero-length data is legal in the two-byte form
  EXPECT_EQ(e[1].id, 20);
  EXPECT_EQ(e[1].len, 2);
  EXPECT_EQ(e[1].offset, 5);  // after a padding byte and its 2-byte header
}

TEST(RtpExtTest, MalformedBlocks) {
  ExtElement e[kMaxExtElements];
  const std::vector<uint8_t> overrun = {0x13, 1, 2};  // id 1, 4 bytes, 2 present
  EXPECT_EQ(parse_extensions(overrun, kExtProfileOneByte, e), -1);
  const std::vector<uint8_t> two_overrun = {5};  // id without length byte
  EXPECT_EQ(parse_extensions(two_overrun, 0x1000, e), -1);
  EXPECT_EQ(parse_extensions(overrun, 0x1234, e), -1);  // unknown profile
}

TEST(RtpExtTest, RewriteMapsAndDropsIds) {
  std::vector<uint8_t> data = {0x10, 'a', 0x00, 0x30, 0x85, 0x22, 1, 2, 3, 0, 0, 0};
  ExtIdMap map{};
  map[1] = 4;  // mid -> 4
  map[3] = 1;  // audio level -> 1
  // abs-send-time (2) not negotiated by this subscriber: dropped
  ASSERT_TRUE(rewrite_extension_ids(data, kExtProfileOneByte, map));
  const std::vector<uint8_t> want = {0x40, 'a', 0x00, 0x10, 0x85, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(data, want);
  ExtElement e[kMaxExtElements];
  EXPECT_EQ(parse_extensions(data, kExtProfileOneByte, e), 2);
}

TEST(RtpExtTest, RewriteOneByteCannotCarryIdAbove14) {
  std::vector<uint8_t> data = {0x10, 'a', 0, 0};
  ExtIdMap map{};
  map[1] = 20;
  ASSERT_TRUE(rewrite_extension_ids(data, kExtProfileOneByte, map));
  EXPECT_EQ(data, (std::vector<uint8_t>{0, 0, 0, 0}));
}

TEST(RtpExtTest, RewriteTwoByte) {
  std::vector<uint8_t> data = {1, 0, 0, 20, 2, 'h', 'i', 0};
  ExtIdMap map{};
  map[1] = 200;
  ASSERT_TRUE(rewrite_extension_ids(data, 0x1000, map));
  EXPECT_EQ(data, (std::vector<uint8_t>{200, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(RtpExtTest, RewriteLeavesMalformedUntouched) {
  std::vector<uint8_t> data = {0x13, 1, 2};
  const auto before = data;
  ExtIdMap map{};
  EXPECT_FALSE(rewrite_extension_ids(data, kExtProfileOneByte, map));
  EXPECT_EQ(data, before);
}

}  // namespace
}  // namespace edgesfu::dp::pkt

namespace edgesfu::dp::pkt {
namespace {
// Found by fuzz_rtp_ext: a one-byte-form byte with ID 0 and a length nibble.
TEST(RtpExtTest, OneByteId0IsPaddingWhateverItsLength) {
  const std::vector<uint8_t> data = {0x00, 0x01, 0x41, 0x01, 0xff};
  ExtElement e[kMaxExtElements];
  ASSERT_EQ(parse_extensions(data, kExtProfileOneByte, e), 1);
  EXPECT_EQ(e[0].id, 4);
  EXPECT_EQ(e[0].len, 2);
  EXPECT_EQ(e[0].offset, 3);
  // The fuzzer's input: the same, then an element (ID 7) that overruns.
  const std::vector<uint8_t> crash = {0x00, 0x01, 0x41, 0x01, 0xff, 0x7a};
  EXPECT_EQ(parse_extensions(crash, kExtProfileOneByte, e), -1);
}
}  // namespace
}  // namespace edgesfu::dp::pkt
