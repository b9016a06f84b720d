// Demultiplexing of one UDP port's payloads by their first byte, RFC 7983 §7,
// and of RTP from RTCP by the second byte, RFC 5761 §4. Pure; any thread.
#pragma once

#include <cstdint>
#include <span>

namespace edgesfu::dp::pkt {

enum class UdpClass : uint8_t {
  kStun,          // [0..3]
  kZrtp,          // [16..19]
  kDtls,          // [20..63]
  kTurnChannel,   // [64..79]
  kRtp,           // [128..191], second byte not in [192..223]
  kRtcp,          // [128..191], second byte in [192..223]
  kUnknown,       // anything else, or too short to tell
};

inline constexpr const char* to_string(UdpClass c) {
  switch (c) {
    case UdpClass::kStun: return "stun";
    case UdpClass::kZrtp: return "zrtp";
    case UdpClass::kDtls: return "dtls";
    case UdpClass::kTurnChannel: return "turn_channel";
    case UdpClass::kRtp: return "rtp";
    case UdpClass::kRtcp: return "rtcp";
    case UdpClass::kUnknown: return "unknown";
  }
  return "?";
}

// Classifies a UDP payload. RTP and RTCP need at least their fixed headers
// (12 and 8 bytes), STUN its 20-byte header; shorter payloads are kUnknown.
inline UdpClass classify_udp_payload(std::span<const uint8_t> p) {
  if (p.empty()) return UdpClass::kUnknown;
  const uint8_t b = p[0];
  if (b <= 3) return p.size() >= 20 ? UdpClass::kStun : UdpClass::kUnknown;  // RFC 7983 §7
  if (b >= 16 && b <= 19) return UdpClass::kZrtp;
  if (b >= 20 && b <= 63) return UdpClass::kDtls;
  if (b >= 64 && b <= 79) return UdpClass::kTurnChannel;
  if (b >= 128 && b <= 191) {
    if (p.size() < 8) return UdpClass::kUnknown;
    // RFC 5761 §4: RTCP packet types 192-223 occupy the whole second byte,
    // where RTP has marker + payload type; RTP must avoid PT 64-95 on mux.
    const uint8_t pt = p[1];
    if (pt >= 192 && pt <= 223) return UdpClass::kRtcp;
    return p.size() >= 12 ? UdpClass::kRtp : UdpClass::kUnknown;
  }
  return UdpClass::kUnknown;
}

}  // namespace edgesfu::dp::pkt
