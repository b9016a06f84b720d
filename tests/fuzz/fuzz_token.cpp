// libFuzzer: JWT verification never crashes and never accepts a token not
// signed with the configured secret.
#include <cstdint>
#include <string>

#include "slowpath/auth/token.hpp"

using namespace edgesfu::sp::auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::map<std::string, std::string> keys = {{"k", "fuzz-secret-0123456789-0123456789"}};
  const std::string token(reinterpret_cast<const char*>(data), size);
  const TokenResult r = verify(token, keys, 1'800'000'000);
  if (r.ok) {
    // Accepted: re-minting the same claims must give a token that verifies.
    if (!verify(mint(r.claims, keys.at("k")), keys, 1'800'000'000).ok) __builtin_trap();
  }
  return 0;
}
