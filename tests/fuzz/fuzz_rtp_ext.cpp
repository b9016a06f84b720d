// libFuzzer: RFC 8285 extension blocks, both forms. The first byte picks the
// profile; the rest is the block.
#include <cstdint>
#include <vector>

#include "dataplane/pkt/rtp_ext.hpp"

using namespace edgesfu::dp::pkt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint16_t profile = (data[0] & 1) ? kExtProfileOneByte : static_cast<uint16_t>(0x1000 | (data[0] >> 4));
  std::vector<uint8_t> block(data + 1, data + size);
  ExtElement e[kMaxExtElements];
  const int n = parse_extensions(block, profile, e);
  for (int i = 0; i < n; ++i) {
    if (e[i].offset + e[i].len > block.size() || e[i].id == 0) __builtin_trap();
    (void)find_extension(block, profile, e[i].id);
  }
  ExtIdMap map{};
  for (std::size_t i = 0; i < map.size(); ++i) map[i] = static_cast<uint8_t>(i * 7);
  if (rewrite_extension_ids(block, profile, map)) {
    // A rewritten block still parses, with no more elements than before.
    ExtElement again[kMaxExtElements];
    const int m = parse_extensions(block, profile, again);
    if (m < 0 || m > n) __builtin_trap();
  }
  return 0;
}
