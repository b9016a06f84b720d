#include "dataplane/pkt/keyframe.hpp"

namespace edgesfu::dp::pkt {

namespace {

// RFC 7741 §4.2: X R N S R PID | [I L T K RSV] | [M PictureID(7 or 15)] |
// [TL0PICIDX] | [TID Y KEYIDX], then the VP8 payload header whose first byte
// holds the inverse key frame flag P in its lowest bit (RFC 6386 §9.1).
bool vp8_keyframe(std::span<const uint8_t> p) {
  if (p.empty()) return false;
  const uint8_t b0 = p[0];
  const bool start = (b0 & 0x10) != 0;
  const uint8_t pid = b0 & 0x07;
  if (!start || pid != 0) return false;
  std::size_t i = 1;
  if ((b0 & 0x80) != 0) {  // X
    if (p.size() <= i) return false;
    const uint8_t x = p[i++];
    if ((x & 0x80) != 0) {  // I: PictureID, M says 15 bits
      if (p.size() <= i) return false;
      i += (p[i] & 0x80) != 0 ? 2 : 1;
    }
    if ((x & 0x40) != 0) ++i;  // L: TL0PICIDX
    if ((x & 0x30) != 0) ++i;  // T or K: TID/Y/KEYIDX
  }
  return i < p.size() && (p[i] & 0x01) == 0;
}

constexpr uint8_t kIdr = 5, kSps = 7, kStapA = 24, kFuA = 28;

bool h264_key_nal(uint8_t type) { return type == kIdr || type == kSps; }

bool h264_keyframe(std::span<const uint8_t> p) {
  if (p.empty()) return false;
  const uint8_t type = p[0] & 0x1f;
  if (type == kStapA) {
    // RFC 6184 §5.7.1: NALU size (16 bits) then the NAL unit, repeated.
    std::size_t i = 1;
    while (i + 2 < p.size()) {
      const std::size_t n = (std::size_t{p[i]} << 8) | p[i + 1];
      i += 2;
      if (n == 0 || i + n > p.size()) return false;
      if (h264_key_nal(p[i] & 0x1f)) return true;
      i += n;
    }
    return false;
  }
  if (type == kFuA) {
    // RFC 6184 §5.8: FU indicator, FU header S E R Type.
    return p.size() >= 2 && (p[1] & 0x80) != 0 && h264_key_nal(p[1] & 0x1f);
  }
  return h264_key_nal(type);
}

}  // namespace

bool starts_keyframe(VideoCodec codec, std::span<const uint8_t> payload) {
  switch (codec) {
    case VideoCodec::kVp8: return vp8_keyframe(payload);
    case VideoCodec::kH264: return h264_keyframe(payload);
    case VideoCodec::kOther: break;
  }
  return false;
}

}  // namespace edgesfu::dp::pkt
