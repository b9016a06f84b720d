#include "dataplane/pkt/rtp_ext.hpp"

#include <cstring>

namespace edgesfu::dp::pkt {

int parse_extensions(std::span<const uint8_t> data, uint16_t profile,
                     std::span<ExtElement> out) {
  const ExtForm form = ext_form(profile);
  if (form == ExtForm::kUnknown) return -1;
  const std::size_t n = data.size();
  std::size_t i = 0;
  int count = 0;
  while (i < n) {
    const uint8_t b = data[i];
    // Padding: a zero byte (RFC 8285 §4.2, §4.3). In the one-byte form ID 0 is
    // reserved for padding whatever its length nibble says; like libwebrtc,
    // treat such a byte as one byte of padding.
    if (b == 0 || (form == ExtForm::kOneByte && (b >> 4) == 0)) {
      ++i;
      continue;
    }
    ExtElement e;
    e.hdr_offset = static_cast<uint16_t>(i);
    if (form == ExtForm::kOneByte) {
      e.id = b >> 4;
      if (e.id == 15) break;  // reserved: stop processing the block
      e.len = static_cast<uint8_t>((b & 0x0f) + 1);
      i += 1;
    } else {
      if (i + 2 > n) return -1;
      e.id = b;
      e.len = data[i + 1];
      i += 2;
    }
    if (i + e.len > n) return -1;
    e.offset = static_cast<uint16_t>(i);
    i += e.len;
    if (count == static_cast<int>(out.size())) return -1;
    out[static_cast<std::size_t>(count++)] = e;
  }
  return count;
}

bool rewrite_extension_ids(std::span<uint8_t> data, uint16_t profile, const ExtIdMap& map) {
  ExtElement elems[kMaxExtElements];
  const int n = parse_extensions(data, profile, elems);
  if (n < 0) return false;
  const bool one_byte = ext_form(profile) == ExtForm::kOneByte;
  for (int k = 0; k < n; ++k) {
    const ExtElement& e = elems[k];
    const uint8_t to = map[e.id];
    if (to == 0 || (one_byte && to > 14)) {
      // Header and data become padding (zero bytes), RFC 8285 §4.2/§4.3.
      std::memset(data.data() + e.hdr_offset, 0, static_cast<std::size_t>(e.offset - e.hdr_offset) + e.len);
    } else if (one_byte) {
      data[e.hdr_offset] = static_cast<uint8_t>((to << 4) | (data[e.hdr_offset] & 0x0f));
    } else {
      data[e.hdr_offset] = to;
    }
  }
  return true;
}

std::span<const uint8_t> find_extension(std::span<const uint8_t> data, uint16_t profile,
                                        uint8_t id) {
  ExtElement elems[kMaxExtElements];
  const int n = parse_extensions(data, profile, elems);
  for (int k = 0; k < n; ++k) {
    if (elems[k].id == id) return data.subspan(elems[k].offset, elems[k].len);
  }
  return {};
}

}  // namespace edgesfu::dp::pkt
