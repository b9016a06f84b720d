// RTP fixed header, CSRCs, header extension block and padding (RFC 3550 §5.1),
// parsed from plaintext bytes (after SRTP unprotect, auth tag removed). Pure;
// any thread; no allocation.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::pkt {

inline constexpr std::size_t kRtpFixedHeader = 12;

// Why a buffer is not a usable RTP packet; kOk when it is.
enum class RtpError : uint8_t {
  kOk,
  kTooShort,     // under 12 bytes
  kBadVersion,   // V != 2
  kCsrcOverrun,  // CSRC list runs past the end
  kExtOverrun,   // extension header or data runs past the end
  kBadPadding,   // padding count 0 or larger than the payload
};

struct RtpHeader {
  bool marker = false;
  bool has_padding = false;
  bool has_extension = false;
  uint8_t csrc_count = 0;
  uint8_t payload_type = 0;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  uint16_t ext_profile = 0;  // "defined by profile" (0xBEDE one-byte, 0x100X two-byte)
  uint16_t ext_offset = 0;   // first byte of extension data (after its 4-byte header)
  uint16_t ext_len = 0;      // bytes of extension data
  uint16_t header_len = 0;   // fixed + CSRCs + extension: where the payload starts
  uint16_t payload_len = 0;  // payload bytes, padding excluded
  uint8_t padding_len = 0;   // trailing padding bytes, count byte included
};

// Parses `pkt` (at most 65535 bytes). Leaves `out` unspecified on error.
RtpError parse_rtp(std::span<const uint8_t> pkt, RtpHeader& out);

const char* to_string(RtpError e);

// Where the payload of the RTP packet at `d` (`len` bytes) starts: the fixed
// header, its CSRCs and its extension block; 0 if they do not fit in `len`.
// What SRTP needs (RFC 3711 §3.1: the header is authenticated, not
// encrypted); parse_rtp() checks the rest.
inline uint32_t rtp_header_len(const uint8_t* d, uint32_t len) {
  if (len < kRtpFixedHeader) return 0;
  uint32_t h = kRtpFixedHeader + 4u * (d[0] & 0x0f);
  if ((d[0] & 0x10) != 0) {
    if (h + 4 > len) return 0;
    h += 4 + 4u * load_be16(d + h + 2);
  }
  return h <= len ? h : 0;
}

}  // namespace edgesfu::dp::pkt
