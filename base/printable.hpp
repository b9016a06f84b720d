// Client strings (identities, names, reasons from tokens and SDP) as they go
// into a log line: control characters and bytes outside printable ASCII as
// \xNN, cut at `max` bytes. A CR, LF or NUL from a client cannot forge a log
// line. Pure; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace edgesfu {

inline std::string printable(std::string_view s, std::size_t max = 128) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() < max ? s.size() : max);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == max) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace edgesfu
