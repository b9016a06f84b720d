// Ethernet / IPv4 / IPv6 / UDP: parsing a received frame down to its UDP
// payload, and writing the headers of a frame we send. Pure; any thread.
// Received checksums are neither trusted nor required (a veth peer may leave
// them unfinished); what we write is always correct: IPv4 header checksum,
// UDP checksum 0 over IPv4 (RFC 768) and computed over IPv6 (RFC 8200 §8.1).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::pkt {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr std::size_t kEthHeader = 14;
inline constexpr std::size_t kIpv4Header = 20;
inline constexpr std::size_t kIpv6Header = 40;
inline constexpr std::size_t kUdpHeader = 8;

using Mac = std::array<uint8_t, 6>;

// An IP address of either family; v4 in the first 4 bytes, the rest zero.
struct IpAddr {
  uint8_t family = 0;  // 4 or 6
  std::array<uint8_t, 16> b{};
  bool operator==(const IpAddr&) const = default;
};

// What a received UDP datagram's headers say. For kNotUdp and kFragment IP
// packets, the MACs, addresses and IP protocol are filled in too (the punt
// policy judges them), and for an unfragmented TCP segment its ports and
// flags; for non-IP frames only the MACs.
struct UdpFrame {
  Mac dst_mac{}, src_mac{};
  IpAddr src, dst;
  uint16_t src_port = 0, dst_port = 0;
  uint16_t payload_offset = 0;  // from the start of the frame
  uint16_t payload_len = 0;
  uint8_t ttl = 0;
  uint8_t proto = 0;      // IP protocol (next header); 0 for non-IP frames
  uint8_t tcp_flags = 0;  // TCP only
};

enum class FrameKind : uint8_t {
  kUdp,        // parsed into UdpFrame
  kNotUdp,     // ARP, ICMP, TCP, other ethertypes: for the kernel
  kFragment,   // an IPv4 fragment or IPv6 fragment header: for the kernel
  kMalformed,  // truncated or inconsistent headers
};

FrameKind parse_udp_frame(std::span<const uint8_t> frame, UdpFrame& out);

// The headers for datagrams to one peer: the reverse of the path its packets
// came in on (their source becomes our destination).
struct UdpPath {
  Mac src_mac{}, dst_mac{};
  IpAddr src, dst;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t ttl = 64;

  // The path for replying to a received frame.
  static UdpPath reply_to(const UdpFrame& f);
  std::size_t header_len() const {
    return kEthHeader + (src.family == 6 ? kIpv6Header : kIpv4Header) + kUdpHeader;
  }
};

// Writes Ethernet + IP + UDP headers for `payload_len` bytes of payload that
// already sit right after them at `frame + header_len()`. Returns the header
// length. `frame` must hold header_len() + payload_len bytes.
std::size_t write_udp_headers(uint8_t* frame, const UdpPath& path, uint16_t payload_len);

// The headers of one path, prepared when the path is learned: per packet an
// IPv4 frame then costs a 42-byte copy, two length fields and a checksum
// finished from a precomputed sum (RFC 1071, RFC 1624). IPv6 (whose UDP
// checksum covers the payload) goes through write_udp_headers.
struct HeaderTemplate {
  static constexpr std::size_t kV4Len = kEthHeader + kIpv4Header + kUdpHeader;
  uint8_t bytes[kV4Len] = {};
  bool ipv4 = false;
  uint32_t sum = 0;  // of the IPv4 header with total length and checksum zero

  void build(const UdpPath& path);
  // Same bytes as write_udp_headers(frame, path, payload_len), `path` being
  // the one build() was given.
  void write(uint8_t* frame, const UdpPath& path, uint16_t payload_len) const {
    if (!ipv4) {
      write_udp_headers(frame, path, payload_len);
      return;
    }
    __builtin_memcpy(frame, bytes, kV4Len);
    const uint16_t ulen = static_cast<uint16_t>(kUdpHeader + payload_len);
    const uint16_t total = static_cast<uint16_t>(kIpv4Header + ulen);
    uint32_t acc = sum + total;
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    uint8_t* ip = frame + kEthHeader;
    store_be16(ip + 2, total);
    store_be16(ip + 10, static_cast<uint16_t>(~acc));
    store_be16(ip + kIpv4Header + 4, ulen);
  }
};

// RFC 1071 ones'-complement sum helpers.
uint16_t ipv4_header_checksum(const uint8_t* hdr);

}  // namespace edgesfu::dp::pkt
