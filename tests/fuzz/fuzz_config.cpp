// libFuzzer: the YAML config parser must return an error, never crash or throw.
#include <cstdint>
#include <string>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = edgesfu::config::parse_config(text);
  if (!r.ok() && r.error().message.empty()) __builtin_trap();
  return 0;
}
