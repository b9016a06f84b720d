#include <gtest/gtest.h>

#include <vector>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/net.hpp"

namespace edgesfu::dp::pkt {
namespace {

UdpPath path(uint8_t family) {
  UdpPath p;
  p.src_mac = {2, 0, 0, 0, 0, 1};
  p.dst_mac = {2, 0, 0, 0, 0, 2};
  p.src.family = p.dst.family = family;
  if (family == 4) {
    p.src.b = {198, 18, 0, 2};
    p.dst.b = {198, 18, 0, 1};
  } else {
    p.src.b = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    p.dst.b = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  }
  p.src_port = 50000;
  p.dst_port = 40000;
  return p;
}

std::vector<uint8_t> frame(const UdpPath& p, std::size_t payload) {
  std::vector<uint8_t> f(p.header_len() + payload);
  for (std::size_t i = 0; i < payload; ++i) f[p.header_len() + i] = static_cast<uint8_t>(i);
  write_udp_headers(f.data(), p, static_cast<uint16_t>(payload));
  return f;
}

uint16_t ones_sum(const uint8_t* d, std::size_t n, uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += load_be16(d + i);
  if (n & 1) acc += uint32_t{d[n - 1]} << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

// The prepared template writes exactly what write_udp_headers writes, for
// every payload length (checksum carries included) and both families.
TEST(NetTest, HeaderTemplateMatchesWriteUdpHeaders) {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    UdpPath p = path(family);
    for (uint8_t last : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0xff}}) {
      p.src.b[family == 4 ? 3 : 15] = last;  // addresses that move the checksum around
      p.dst.b[0] = static_cast<uint8_t>(0xff - last);
      HeaderTemplate t;
      t.build(p);
      for (std::size_t payload = 0; payload <= 1472; payload += 37) {
        const auto want = frame(p, payload);
        auto got = want;
        std::fill(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(p.header_len()), 0xAA);
        t.write(got.data(), p, static_cast<uint16_t>(payload));
        ASSERT_EQ(got, want) << "family " << int(family) << " payload " << payload;
      }
    }
  }
}

TEST(NetTest, Ipv4BuildParseRoundTrip) {
  const UdpPath p = path(4);
  auto f = frame(p, 101);
  EXPECT_EQ(f.size(), 14u + 20 + 8 + 101);
  EXPECT_EQ(ones_sum(f.data() + 14, 20), 0xffff);  // a valid header checksum
  UdpFrame u;
  ASSERT_EQ(parse_udp_frame(f, u), FrameKind::kUdp);
  EXPECT_EQ(u.src, p.src);
  EXPECT_EQ(u.dst, p.dst);
  EXPECT_EQ(u.src_port, 50000);
  EXPECT_EQ(u.dst_port, 40000);
  EXPECT_EQ(u.payload_offset, 42);
  EXPECT_EQ(u.payload_len, 101);
  EXPECT_EQ(u.src_mac, p.src_mac);
  // Replying swaps everything.
  const UdpPath r = UdpPath::reply_to(u);
  EXPECT_EQ(r.dst, p.src);
  EXPECT_EQ(r.dst_port, 50000);
  EXPECT_EQ(r.dst_mac, p.src_mac);
}

TEST(NetTest, Ipv6BuildParseRoundTripWithValidChecksum) {
  const UdpPath p = path(6);
  auto f = frame(p, 77);
  UdpFrame u;
  ASSERT_EQ(parse_udp_frame(f, u), FrameKind::kUdp);
  EXPECT_EQ(u.src, p.src);
  EXPECT_EQ(u.payload_offset, 14 + 40 + 8);
  EXPECT_EQ(u.payload_len, 77);
  // Pseudo-header + UDP (checksum included) sums to all ones.
  const uint8_t* ip = f.data() + 14;
  uint32_t acc = ones_sum(ip + 8, 32);
  acc += 8 + 77;
  acc += 17;
  EXPECT_EQ(ones_sum(ip + 40, 8 + 77, acc), 0xffff);
}

TEST(NetTest, NotUdpFragmentsAndMalformed) {
  UdpFrame u;
  auto f = frame(path(4), 20);
  auto tcp = f;
  tcp[14 + 9] = 6;
  tcp[34 + 13] = kTcpSyn;
  EXPECT_EQ(parse_udp_frame(tcp, u), FrameKind::kNotUdp);
  // TCP: ports and flags for the punt policy.
  EXPECT_EQ(u.proto, kIpProtoTcp);
  EXPECT_EQ(u.tcp_flags, kTcpSyn);
  EXPECT_EQ(u.dst_port, load_be16(tcp.data() + 34 + 2));
  UdpFrame short_tcp;
  EXPECT_EQ(parse_udp_frame({tcp.data(), 34 + 13}, short_tcp), FrameKind::kMalformed);
  auto arp = f;
  store_be16(arp.data() + 12, 0x0806);
  EXPECT_EQ(parse_udp_frame(arp, u), FrameKind::kNotUdp);
  auto frag = f;
  store_be16(frag.data() + 14 + 6, 0x2000);  // MF
  EXPECT_EQ(parse_udp_frame(frag, u), FrameKind::kFragment);
  auto frag2 = f;
  store_be16(frag2.data() + 14 + 6, 0x0010);  // offset 16
  EXPECT_EQ(parse_udp_frame(frag2, u), FrameKind::kFragment);
  EXPECT_EQ(parse_udp_frame({f.data(), 13}, u), FrameKind::kMalformed);
  EXPECT_EQ(parse_udp_frame({f.data(), 30}, u), FrameKind::kMalformed);
  auto longip = f;
  store_be16(longip.data() + 14 + 2, 2000);  // total length past the frame
  EXPECT_EQ(parse_udp_frame(longip, u), FrameKind::kMalformed);
  auto badudp = f;
  store_be16(badudp.data() + 34 + 4, 4);  // UDP length under 8
  EXPECT_EQ(parse_udp_frame(badudp, u), FrameKind::kMalformed);
  auto v6 = frame(path(6), 10);
  auto v6frag = v6;
  v6frag[14 + 6] = 44;
  EXPECT_EQ(parse_udp_frame(v6frag, u), FrameKind::kFragment);
  // Ethernet padding after a short IPv4 packet is ignored.
  auto padded = frame(path(4), 2);
  padded.resize(60, 0);
  ASSERT_EQ(parse_udp_frame(padded, u), FrameKind::kUdp);
  EXPECT_EQ(u.payload_len, 2);
}

}  // namespace
}  // namespace edgesfu::dp::pkt
