// libFuzzer: the SDP parser; what it accepts must write and parse again.
#include <cstdint>
#include <string_view>

#include "slowpath/sdp/sdp.hpp"

using namespace edgesfu::sp::sdp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) return 0;
  auto again = parse(write(r.value()));
  if (!again.ok() || again.value().media.size() != r.value().media.size()) __builtin_trap();
  return 0;
}
