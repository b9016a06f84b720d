#include "tools/loadgen/marker.hpp"

#include <opus/opus.h>

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::loadgen {

namespace {
constexpr uint32_t kMagic = 0x45734c67;  // "EsLg"
namespace bo = dp::pkt;
}  // namespace

bool write_marker(std::span<uint8_t> payload, const Marker& m) {
  if (payload.size() < kMarkerSize) return false;
  uint8_t* p = payload.data() + payload.size() - kMarkerSize;
  bo::store_be32(p, kMagic);
  bo::store_be32(p + 4, m.publisher);
  bo::store_be32(p + 8, m.number);
  bo::store_be64(p + 12, m.send_ns);
  return true;
}

std::optional<Marker> read_marker(std::span<const uint8_t> payload) {
  if (payload.size() < kMarkerSize) return std::nullopt;
  const uint8_t* p = payload.data() + payload.size() - kMarkerSize;
  if (bo::load_be32(p) != kMagic) return std::nullopt;
  Marker m;
  m.publisher = bo::load_be32(p + 4);
  m.number = bo::load_be32(p + 8);
  m.send_ns = bo::load_be64(p + 12);
  return m;
}

int opus_with_marker(std::span<uint8_t> pkt, int len, const Marker& m) {
  // A code 0 packet (what opus_encode makes of one 20 ms frame) becomes code
  // 3: a frame count byte and one padding length byte (up to 254 bytes), so
  // 3 bytes over the marker leave at least the marker as padding.
  const int want = len + static_cast<int>(kMarkerSize) + 3;
  if (len <= 0 || want > static_cast<int>(pkt.size())) return -1;
  if (opus_packet_pad(pkt.data(), len, want) != OPUS_OK) return -1;
  if (!write_marker(pkt.first(static_cast<std::size_t>(want)), m)) return -1;
  return want;
}

}  // namespace edgesfu::loadgen
