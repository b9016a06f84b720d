#include "dataplane/pkt/stun_peek.hpp"

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::pkt {

std::span<const uint8_t> binding_request_local_ufrag(std::span<const uint8_t> p) {
  constexpr std::size_t kHeader = 20;
  constexpr uint16_t kBindingRequest = 0x0001;
  constexpr uint32_t kMagicCookie = 0x2112A442;
  constexpr uint16_t kUsername = 0x0006;
  if (p.size() < kHeader) return {};
  if (load_be16(p.data()) != kBindingRequest || load_be32(p.data() + 4) != kMagicCookie) return {};
  const std::size_t len = load_be16(p.data() + 2);
  if ((len & 3) != 0 || kHeader + len > p.size()) return {};
  const std::size_t end = kHeader + len;
  std::size_t off = kHeader;
  while (off + 4 <= end) {
    const uint16_t type = load_be16(p.data() + off);
    const std::size_t alen = load_be16(p.data() + off + 2);
    const std::size_t value = off + 4;
    if (value + alen > end) return {};
    if (type == kUsername) {
      for (std::size_t i = 0; i < alen; ++i) {
        if (p[value + i] == ':') return p.subspan(value, i);
      }
      return {};  // no ':': not an ICE USERNAME
    }
    off = value + ((alen + 3) & ~std::size_t{3});
  }
  return {};
}

}  // namespace edgesfu::dp::pkt
