#include "dataplane/pkt/rtp.hpp"

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::pkt {

RtpError parse_rtp(std::span<const uint8_t> pkt, RtpHeader& out) {
  const std::size_t n = pkt.size();
  if (n < kRtpFixedHeader || n > 65535) return RtpError::kTooShort;
  const uint8_t* p = pkt.data();
  if ((p[0] >> 6) != 2) return RtpError::kBadVersion;
  out.has_padding = (p[0] & 0x20) != 0;
  out.has_extension = (p[0] & 0x10) != 0;
  out.csrc_count = p[0] & 0x0f;
  out.marker = (p[1] & 0x80) != 0;
  out.payload_type = p[1] & 0x7f;
  out.seq = load_be16(p + 2);
  out.timestamp = load_be32(p + 4);
  out.ssrc = load_be32(p + 8);

  std::size_t off = kRtpFixedHeader + 4u * out.csrc_count;
  if (off > n) return RtpError::kCsrcOverrun;
  out.ext_profile = 0;
  out.ext_offset = 0;
  out.ext_len = 0;
  if (out.has_extension) {
    // RFC 3550 §5.3.1: 16-bit profile-defined word, 16-bit length in 32-bit words.
    if (off + 4 > n) return RtpError::kExtOverrun;
    out.ext_profile = load_be16(p + off);
    const std::size_t len = 4u * load_be16(p + off + 2);
    if (off + 4 + len > n) return RtpError::kExtOverrun;
    out.ext_offset = static_cast<uint16_t>(off + 4);
    out.ext_len = static_cast<uint16_t>(len);
    off += 4 + len;
  }
  out.header_len = static_cast<uint16_t>(off);
  std::size_t pad = 0;
  if (out.has_padding) {
    // RFC 3550 §5.1: the last octet counts the padding, itself included.
    pad = p[n - 1];
    if (pad == 0 || off + pad > n) return RtpError::kBadPadding;
  }
  out.padding_len = static_cast<uint8_t>(pad);
  out.payload_len = static_cast<uint16_t>(n - off - pad);
  return RtpError::kOk;
}

const char* to_string(RtpError e) {
  switch (e) {
    case RtpError::kOk: return "ok";
    case RtpError::kTooShort: return "too_short";
    case RtpError::kBadVersion: return "bad_version";
    case RtpError::kCsrcOverrun: return "csrc_overrun";
    case RtpError::kExtOverrun: return "ext_overrun";
    case RtpError::kBadPadding: return "bad_padding";
  }
  return "?";
}

}  // namespace edgesfu::dp::pkt
