// libFuzzer: the ICE-lite agent's STUN parser and integrity check on any
// bytes; answers written for whatever parsed.
#include <cstddef>
#include <cstdint>
#include <span>

#include "slowpath/ice/stun.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgesfu::sp::ice::stun;
  const std::span<const uint8_t> msg(data, size);
  BindingRequest r;
  const ParseResult pr = parse_binding_request(msg, r);
  (void)check_integrity(msg, "0123456789abcdefghijkl");
  if (pr == ParseResult::kOk) {
    edgesfu::dp::pkt::IpAddr a;
    a.family = (size % 2) != 0 ? 6 : 4;
    (void)binding_success(r.txid, a, 1234, "0123456789abcdefghijkl");
    (void)binding_error(r.txid, 420, "Unknown Attribute", "k", r.unknown_required);
  }
  return 0;
}
