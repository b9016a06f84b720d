#include "dataplane/pkt/net.hpp"

#include <cstring>

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::pkt {

namespace {

uint32_t sum16(const uint8_t* p, std::size_t n, uint32_t acc) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += load_be16(p + i);
  if ((n & 1) != 0) acc += uint32_t{p[n - 1]} << 8;
  return acc;
}

uint16_t fold(uint32_t acc) {
  while ((acc >> 16) != 0) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

bool is_ipv6_ext_header(uint8_t nh) {
  // Hop-by-hop, routing, destination options (RFC 8200 §4). Fragment (44) is
  // reported as such; anything else ends the chain.
  return nh == 0 || nh == 43 || nh == 60;
}

// The UDP header at `off`, inside an IP payload that ends at `end`.
FrameKind parse_udp(const uint8_t* p, std::size_t off, std::size_t end, UdpFrame& out) {
  if (off + kUdpHeader > end) return FrameKind::kMalformed;
  const std::size_t ulen = load_be16(p + off + 4);
  if (ulen < kUdpHeader || off + ulen > end) return FrameKind::kMalformed;
  out.src_port = load_be16(p + off);
  out.dst_port = load_be16(p + off + 2);
  out.payload_offset = static_cast<uint16_t>(off + kUdpHeader);
  out.payload_len = static_cast<uint16_t>(ulen - kUdpHeader);
  return FrameKind::kUdp;
}

// The ports and flags of a TCP header at `off` (for the punt policy; a
// segment too short to hold them keeps zeros).
void peek_tcp(const uint8_t* p, std::size_t off, std::size_t end, UdpFrame& out) {
  if (off + 14 > end) return;
  out.src_port = load_be16(p + off);
  out.dst_port = load_be16(p + off + 2);
  out.tcp_flags = p[off + 13];
}

}  // namespace

uint16_t ipv4_header_checksum(const uint8_t* hdr) {
  const std::size_t ihl = 4u * (hdr[0] & 0x0f);
  uint32_t acc = 0;
  for (std::size_t i = 0; i < ihl; i += 2) {
    if (i == 10) continue;  // the checksum field itself
    acc += load_be16(hdr + i);
  }
  return fold(acc);
}

FrameKind parse_udp_frame(std::span<const uint8_t> frame, UdpFrame& out) {
  const uint8_t* p = frame.data();
  const std::size_t n = frame.size();
  if (n < kEthHeader) return FrameKind::kMalformed;
  std::memcpy(out.dst_mac.data(), p, 6);
  std::memcpy(out.src_mac.data(), p + 6, 6);
  uint16_t type = load_be16(p + 12);
  std::size_t off = kEthHeader;
  if (type == kEtherTypeVlan) return FrameKind::kNotUdp;  // VLANs go to the kernel
  if (type == kEtherTypeIpv4) {
    if (n < off + kIpv4Header) return FrameKind::kMalformed;
    const uint8_t* ip = p + off;
    if ((ip[0] >> 4) != 4) return FrameKind::kMalformed;
    const std::size_t ihl = 4u * (ip[0] & 0x0f);
    const std::size_t total = load_be16(ip + 2);
    if (ihl < kIpv4Header || total < ihl || off + total > n) return FrameKind::kMalformed;
    out.src = IpAddr{4, {}};
    out.dst = IpAddr{4, {}};
    std::memcpy(out.src.b.data(), ip + 12, 4);
    std::memcpy(out.dst.b.data(), ip + 16, 4);
    out.ttl = ip[8];
    out.proto = ip[9];
    // MF set or a non-zero fragment offset: a fragment (RFC 791 §3.1).
    if ((load_be16(ip + 6) & 0x3fff) != 0) return FrameKind::kFragment;
    if (ip[9] != kIpProtoUdp) {
      if (ip[9] == kIpProtoTcp) peek_tcp(p, off + ihl, kEthHeader + total, out);
      return FrameKind::kNotUdp;
    }
    return parse_udp(p, off + ihl, kEthHeader + total, out);
  }
  if (type == kEtherTypeIpv6) {
    if (n < off + kIpv6Header) return FrameKind::kMalformed;
    const uint8_t* ip = p + off;
    if ((ip[0] >> 4) != 6) return FrameKind::kMalformed;
    const std::size_t plen = load_be16(ip + 4);
    if (off + kIpv6Header + plen > n) return FrameKind::kMalformed;
    out.src = IpAddr{6, {}};
    out.dst = IpAddr{6, {}};
    std::memcpy(out.src.b.data(), ip + 8, 16);
    std::memcpy(out.dst.b.data(), ip + 24, 16);
    out.ttl = ip[7];
    uint8_t nh = ip[6];
    const std::size_t end = off + kIpv6Header + plen;
    off += kIpv6Header;
    int hops = 0;
    while (is_ipv6_ext_header(nh)) {
      if (++hops > 8 || off + 8 > end) return FrameKind::kMalformed;
      const std::size_t len = 8u * (std::size_t{p[off + 1]} + 1);
      nh = p[off];
      off += len;
    }
    out.proto = nh;
    if (nh == 44) return FrameKind::kFragment;
    if (nh != kIpProtoUdp) {
      if (nh == kIpProtoTcp) peek_tcp(p, off, end, out);
      return FrameKind::kNotUdp;
    }
    return parse_udp(p, off, end, out);
  }
  return FrameKind::kNotUdp;
}

UdpPath UdpPath::reply_to(const UdpFrame& f) {
  UdpPath p;
  p.src_mac = f.dst_mac;
  p.dst_mac = f.src_mac;
  p.src = f.dst;
  p.dst = f.src;
  p.src_port = f.dst_port;
  p.dst_port = f.src_port;
  return p;
}

std::size_t write_udp_headers(uint8_t* frame, const UdpPath& path, uint16_t payload_len) {
  std::memcpy(frame, path.dst_mac.data(), 6);
  std::memcpy(frame + 6, path.src_mac.data(), 6);
  const uint16_t ulen = static_cast<uint16_t>(kUdpHeader + payload_len);
  if (path.src.family == 6) {
    store_be16(frame + 12, kEtherTypeIpv6);
    uint8_t* ip = frame + kEthHeader;
    store_be32(ip, 0x60000000u);
    store_be16(ip + 4, ulen);
    ip[6] = kIpProtoUdp;
    ip[7] = path.ttl;
    std::memcpy(ip + 8, path.src.b.data(), 16);
    std::memcpy(ip + 24, path.dst.b.data(), 16);
    uint8_t* udp = ip + kIpv6Header;
    store_be16(udp, path.src_port);
    store_be16(udp + 2, path.dst_port);
    store_be16(udp + 4, ulen);
    store_be16(udp + 6, 0);
    // RFC 8200 §8.1: pseudo-header (addresses, length, next header) + UDP.
    uint32_t acc = sum16(ip + 8, 32, 0);
    acc += ulen;
    acc += kIpProtoUdp;
    acc = sum16(udp, ulen, acc);
    uint16_t c = fold(acc);
    if (c == 0) c = 0xffff;  // RFC 768: a computed zero is sent as all ones
    store_be16(udp + 6, c);
    return kEthHeader + kIpv6Header + kUdpHeader;
  }
  store_be16(frame + 12, kEtherTypeIpv4);
  uint8_t* ip = frame + kEthHeader;
  ip[0] = 0x45;
  ip[1] = 0;
  store_be16(ip + 2, static_cast<uint16_t>(kIpv4Header + ulen));
  store_be16(ip + 4, 0);       // identification: unused, DF is set
  store_be16(ip + 6, 0x4000);  // DF
  ip[8] = path.ttl;
  ip[9] = kIpProtoUdp;
  store_be16(ip + 10, 0);
  std::memcpy(ip + 12, path.src.b.data(), 4);
  std::memcpy(ip + 16, path.dst.b.data(), 4);
  store_be16(ip + 10, ipv4_header_checksum(ip));
  uint8_t* udp = ip + kIpv4Header;
  store_be16(udp, path.src_port);
  store_be16(udp + 2, path.dst_port);
  store_be16(udp + 4, ulen);
  store_be16(udp + 6, 0);  // RFC 768: zero means no checksum over IPv4
  return kEthHeader + kIpv4Header + kUdpHeader;
}

void HeaderTemplate::build(const UdpPath& path) {
  ipv4 = path.src.family != 6;
  if (!ipv4) return;
  write_udp_headers(bytes, path, 0);
  uint8_t* ip = bytes + kEthHeader;
  store_be16(ip + 2, 0);
  store_be16(ip + 10, 0);
  sum = 0;
  for (std::size_t i = 0; i < kIpv4Header; i += 2) sum += load_be16(ip + i);
}

}  // namespace edgesfu::dp::pkt
