// munge/rtp_rewrite.hpp: a subscriber's copy of a packet, its RFC 4588
// retransmission, and the original restored from an RTX packet, byte for
// byte, over packets with and without CSRCs, header extensions and padding.
#include "dataplane/munge/rtp_rewrite.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/rtp.hpp"

namespace edgesfu::dp::munge {
namespace {

struct Shape {
  const char* name;
  uint8_t csrcs;
  bool extension;   // one-byte form: ID 3 (2 bytes) then ID 5 (1 byte)
  uint8_t padding;  // trailing padding bytes, count byte included
  bool marker;
};

// V=2, PT 111, seq 1000, ts 48000, SSRC 0x11223344, payload 0xA0.. (5 bytes).
std::vector<uint8_t> make_packet(const Shape& s) {
  std::vector<uint8_t> p(12);
  p[0] = static_cast<uint8_t>(0x80 | (s.padding ? 0x20 : 0) | (s.extension ? 0x10 : 0) | s.csrcs);
  p[1] = static_cast<uint8_t>((s.marker ? 0x80 : 0) | 111);
  pkt::store_be16(p.data() + 2, 1000);
  pkt::store_be32(p.data() + 4, 48000);
  pkt::store_be32(p.data() + 8, 0x11223344);
  for (uint8_t i = 0; i < s.csrcs; ++i) {
    const uint8_t c[4] = {0xC0, 0, 0, static_cast<uint8_t>(i)};
    p.insert(p.end(), c, c + 4);
  }
  if (s.extension) {
    const uint8_t e[12] = {0xBE, 0xDE, 0, 2, 0x31, 0x01, 0x02, 0x50, 0x7F, 0, 0, 0};
    p.insert(p.end(), e, e + 12);
  }
  for (uint8_t i = 0; i < 5; ++i) p.push_back(static_cast<uint8_t>(0xA0 + i));
  if (s.padding) {
    p.insert(p.end(), s.padding - 1u, 0);
    p.push_back(s.padding);
  }
  return p;
}

pkt::RtpHeader parse(const std::vector<uint8_t>& p) {
  pkt::RtpHeader h;
  EXPECT_EQ(pkt::parse_rtp({p.data(), p.size()}, h), pkt::RtpError::kOk);
  return h;
}

pkt::ExtIdMap remap_3_to_9() {
  pkt::ExtIdMap m{};
  for (int i = 0; i < 256; ++i) m[i] = static_cast<uint8_t>(i);
  m[3] = 9;
  return m;
}

// The packet a subscriber gets: write_forward_header(), then the payload
// copied unchanged (what the SRTP engine's out-of-place protect reads).
std::vector<uint8_t> forwarded(const std::vector<uint8_t>& src, const pkt::RtpHeader& h,
                               const HeaderRewrite& w) {
  std::vector<uint8_t> out(src.size(), 0xEE);
  write_forward_header(out.data(), src.data(), h, w);
  std::copy(src.begin() + h.header_len, src.end(), out.begin() + h.header_len);
  return out;
}

class RtpRewrite : public ::testing::TestWithParam<Shape> {};

TEST_P(RtpRewrite, ForwardRewritesTheHeaderAndKeepsTheRest) {
  const Shape s = GetParam();
  const auto src = make_packet(s);
  const auto h = parse(src);
  const auto map = remap_3_to_9();
  const auto out = forwarded(src, h, {96, 7, 123456, 0xAABBCCDD, &map});
  pkt::RtpHeader o;
  ASSERT_EQ(pkt::parse_rtp({out.data(), out.size()}, o), pkt::RtpError::kOk);
  EXPECT_EQ(o.payload_type, 96);
  EXPECT_EQ(o.marker, s.marker);
  EXPECT_EQ(o.seq, 7);
  EXPECT_EQ(o.timestamp, 123456u);
  EXPECT_EQ(o.ssrc, 0xAABBCCDDu);
  EXPECT_EQ(o.header_len, h.header_len);
  EXPECT_EQ(o.padding_len, h.padding_len);
  // Everything past the fixed header is the original's but for the ID.
  for (std::size_t i = 12; i < out.size(); ++i) {
    if (s.extension && i == h.ext_offset) {
      EXPECT_EQ(out[i], 0x91);  // ID 3 -> 9, length kept
    } else {
      EXPECT_EQ(out[i], src[i]) << "byte " << i;
    }
  }
}

// The fan-out writes the header alone (the cipher copies the payload): not
// a byte past it.
TEST_P(RtpRewrite, ForwardHeaderWritesNothingPastTheHeader) {
  const Shape s = GetParam();
  const auto src = make_packet(s);
  const auto h = parse(src);
  const auto map = remap_3_to_9();
  std::vector<uint8_t> out(src.size() + 8, 0xEE);
  write_forward_header(out.data(), src.data(), h, {96, 7, 123456, 0xAABBCCDD, &map});
  for (std::size_t i = h.header_len; i < out.size(); ++i) EXPECT_EQ(out[i], 0xEE) << "byte " << i;
}

TEST_P(RtpRewrite, ForwardWithoutAMapLeavesExtensionIds) {
  const Shape s = GetParam();
  const auto src = make_packet(s);
  const auto h = parse(src);
  EXPECT_EQ(forwarded(src, h, {111, 1000, 48000, 0x11223344, nullptr}),
            src);  // the same fields: the same bytes
}

TEST_P(RtpRewrite, RtxCarriesTheOsnAndRestoresToTheForwardedPacket) {
  const Shape s = GetParam();
  const auto src = make_packet(s);
  const auto h = parse(src);
  const auto map = remap_3_to_9();
  // What the subscriber got first, as sequence number 7 ...
  const auto fwd = forwarded(src, h, {96, 7, 123456, 0xAABBCCDD, &map});
  // ... and its retransmission on RTX (PT 97, seq 500, SSRC 0x55667788).
  std::vector<uint8_t> rtx(rtx_len(h) + 4, 0xEE);
  const uint32_t n = write_rtx(rtx.data(), src.data(), h, {97, 500, 123456, 0x55667788, &map}, 7);
  ASSERT_EQ(n, h.header_len + 2u + h.payload_len);
  EXPECT_EQ(rtx[n], 0xEE);
  pkt::RtpHeader r;
  ASSERT_EQ(pkt::parse_rtp({rtx.data(), n}, r), pkt::RtpError::kOk);
  EXPECT_EQ(r.payload_type, 97);
  EXPECT_EQ(r.seq, 500);
  EXPECT_EQ(r.ssrc, 0x55667788u);
  EXPECT_EQ(r.timestamp, 123456u);
  EXPECT_EQ(r.marker, s.marker);
  EXPECT_FALSE(r.has_padding);  // RFC 4588: padding is not retransmitted
  uint16_t osn = 0;
  ASSERT_TRUE(rtx_osn(rtx.data(), r, osn));
  EXPECT_EQ(osn, 7);
  // The receiving side of the SFU restores the original stream's packet:
  // the forwarded one without its padding.
  uint8_t* p = rtx.data();
  uint32_t len = n;
  rtx_restore(p, len, r, osn, 96, 0xAABBCCDD);
  ASSERT_EQ(len, h.header_len + h.payload_len);
  std::vector<uint8_t> want(fwd.begin(), fwd.begin() + len);
  want[0] = static_cast<uint8_t>(want[0] & ~0x20);
  EXPECT_EQ(std::vector<uint8_t>(p, p + len), want);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, RtpRewrite,
    ::testing::Values(Shape{"plain", 0, false, 0, false}, Shape{"marker", 0, false, 0, true},
                      Shape{"csrcs", 2, false, 0, false}, Shape{"extension", 0, true, 0, true},
                      Shape{"padding", 0, false, 4, false}, Shape{"everything", 3, true, 7, true}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(RtpRewriteRtx, AProbeWithoutOsnIsNotRestored) {
  // A padding-only RTX probe: header, then only padding.
  std::vector<uint8_t> p = {0xA0, 97, 0, 1, 0, 0, 0, 1, 0x55, 0x66, 0x77, 0x88, 0, 0, 0, 4};
  pkt::RtpHeader h;
  ASSERT_EQ(pkt::parse_rtp({p.data(), p.size()}, h), pkt::RtpError::kOk);
  uint16_t osn = 0;
  EXPECT_FALSE(rtx_osn(p.data(), h, osn));
}

}  // namespace
}  // namespace edgesfu::dp::munge
