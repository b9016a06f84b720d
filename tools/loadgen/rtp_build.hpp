// The 12-byte RTP header a loadgen publisher writes (RFC 3550 §5.1: version
// 2, no padding, extension or CSRCs). Pure.
#pragma once

#include <cstdint>

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::loadgen {

inline constexpr std::size_t kRtpHeader = 12;

inline void write_rtp_header(uint8_t* b, bool marker, uint8_t pt, uint16_t seq, uint32_t ts,
                             uint32_t ssrc) {
  b[0] = 0x80;
  b[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | pt);
  dp::pkt::store_be16(b + 2, seq);
  dp::pkt::store_be32(b + 4, ts);
  dp::pkt::store_be32(b + 8, ssrc);
}

}  // namespace edgesfu::loadgen
