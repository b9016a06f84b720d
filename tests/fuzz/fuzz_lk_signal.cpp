// libFuzzer: LiveKit's signalling input (issue 13): a SignalRequest frame in
// binary and as protojson text, and a join_request query value; an error or
// a message that serializes and parses back to itself.
#include <cstdint>
#include <string>

#include "slowpath/signalling/livekit/signal_codec.hpp"

using namespace edgesfu::sp::livekit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto r = decode_signal({data, size}); r.ok()) {
    const std::string again = r->SerializeAsString();
    auto back = decode_signal({reinterpret_cast<const uint8_t*>(again.data()), again.size()});
    if (!back.ok() || back->message_case() != r->message_case()) __builtin_trap();
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)decode_signal_json(text);
  if (auto j = decode_join_request(text); j.ok()) {
    if (!decode_join_request(encode_join_request(j.value(), true)).ok()) __builtin_trap();
  }
  return 0;
}
