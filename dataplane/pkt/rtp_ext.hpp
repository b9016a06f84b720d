// RTP header extensions, RFC 8285: the one-byte (profile 0xBEDE) and two-byte
// (profile 0x100X) forms inside an RTP extension block. Pure; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace edgesfu::dp::pkt {

inline constexpr uint16_t kExtProfileOneByte = 0xBEDE;  // RFC 8285 §4.2
inline constexpr uint16_t kExtProfileTwoByteMask = 0xFFF0;
inline constexpr uint16_t kExtProfileTwoByte = 0x1000;  // RFC 8285 §4.3: 0x100 + 4 app bits

enum class ExtForm : uint8_t { kOneByte, kTwoByte, kUnknown };

inline ExtForm ext_form(uint16_t profile) {
  if (profile == kExtProfileOneByte) return ExtForm::kOneByte;
  if ((profile & kExtProfileTwoByteMask) == kExtProfileTwoByte) return ExtForm::kTwoByte;
  return ExtForm::kUnknown;
}

// One element: its local ID, and where its data lies within the extension data.
struct ExtElement {
  uint8_t id = 0;
  uint8_t len = 0;        // data bytes
  uint16_t offset = 0;    // of the data, from the start of the extension data
  uint16_t hdr_offset = 0;  // of the element's ID byte
};

inline constexpr int kMaxExtElements = 32;

// Parses the elements of an extension block's data. Returns the number found
// (at most `out.size()`; more is an error), or -1 when the block is malformed
// or of an unknown form. Padding (ID 0) is skipped; ID 15 in the one-byte form
// ends parsing (RFC 8285 §4.2).
int parse_extensions(std::span<const uint8_t> data, uint16_t profile,
                     std::span<ExtElement> out);

// Maps a publisher's extension IDs to a subscriber's: map[id] is the new ID, 0
// drops the element. Only IDs 1-14 exist in the one-byte form, 1-255 in the
// two-byte form.
using ExtIdMap = std::array<uint8_t, 256>;

// Rewrites IDs in place; a dropped element (or one whose new ID the form cannot
// carry) becomes padding bytes, so the block keeps its length. Returns false,
// leaving `data` untouched, when the block is malformed or of an unknown form.
bool rewrite_extension_ids(std::span<uint8_t> data, uint16_t profile, const ExtIdMap& map);

// The data of the element with local `id`, or an empty span.
std::span<const uint8_t> find_extension(std::span<const uint8_t> data, uint16_t profile,
                                        uint8_t id);

}  // namespace edgesfu::dp::pkt
