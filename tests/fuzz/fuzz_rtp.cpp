// libFuzzer: RTP parsing, extension parsing/rewriting of what it finds, and
// keyframe detection on its payload (VP8, H.264), which must only read it.
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/pkt/keyframe.hpp"
#include "dataplane/pkt/rtp.hpp"
#include "dataplane/pkt/rtp_ext.hpp"

using namespace edgesfu::dp::pkt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RtpHeader h;
  if (parse_rtp({data, size}, h) != RtpError::kOk) return 0;
  // Invariants of a successful parse.
  if (h.header_len + h.payload_len + h.padding_len != size) __builtin_trap();
  if (h.has_extension && h.ext_offset + h.ext_len > h.header_len) __builtin_trap();
  // A copy of exactly the payload, so that ASan sees any read past it.
  const std::vector<uint8_t> payload(data + h.header_len, data + h.header_len + h.payload_len);
  (void)starts_keyframe(VideoCodec::kVp8, payload);
  (void)starts_keyframe(VideoCodec::kH264, payload);
  if (h.has_extension) {
    std::vector<uint8_t> ext(data + h.ext_offset, data + h.ext_offset + h.ext_len);
    ExtElement e[kMaxExtElements];
    const int n = parse_extensions(ext, h.ext_profile, e);
    for (int i = 0; i < n; ++i) {
      if (e[i].offset + e[i].len > ext.size()) __builtin_trap();
    }
    ExtIdMap map{};
    for (std::size_t i = 0; i < map.size(); ++i) map[i] = static_cast<uint8_t>(255 - i);
    const auto before = ext.size();
    rewrite_extension_ids(ext, h.ext_profile, map);
    if (ext.size() != before) __builtin_trap();
  }
  return 0;
}
