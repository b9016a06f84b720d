#include "slowpath/sctp/dcep.hpp"

#include <string_view>

namespace edgesfu::sp::sctp {

namespace {

// Channel types (RFC 8832 §5.1): the high bit is "unordered".
constexpr uint8_t kReliable = 0x00;
constexpr uint8_t kPartialRexmit = 0x01;
constexpr uint8_t kPartialTimed = 0x02;
constexpr uint8_t kUnordered = 0x80;
constexpr std::size_t kOpenHeader = 12;

uint16_t be16(std::span<const uint8_t> b, std::size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
uint32_t be32(std::span<const uint8_t> b, std::size_t at) {
  return (static_cast<uint32_t>(b[at]) << 24) | (static_cast<uint32_t>(b[at + 1]) << 16) |
         (static_cast<uint32_t>(b[at + 2]) << 8) | b[at + 3];
}
void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

}  // namespace

std::optional<OpenMessage> parse_open(std::span<const uint8_t> msg) {
  if (msg.size() < kOpenHeader || msg[0] != kDcepOpen) return std::nullopt;
  const uint8_t type = msg[1];
  OpenMessage m;
  m.priority = be16(msg, 2);
  const uint32_t param = be32(msg, 4);
  const std::size_t label_len = be16(msg, 8);
  const std::size_t protocol_len = be16(msg, 10);
  if (msg.size() != kOpenHeader + label_len + protocol_len) return std::nullopt;
  m.reliability.ordered = (type & kUnordered) == 0;
  switch (type & ~kUnordered) {
    case kReliable: break;
    case kPartialRexmit: m.reliability.max_retransmits = param; break;
    case kPartialTimed: m.reliability.max_lifetime_ms = param; break;
    default: return std::nullopt;
  }
  const auto* text = reinterpret_cast<const char*>(msg.data() + kOpenHeader);
  m.label.assign(text, label_len);
  m.protocol.assign(text + label_len, protocol_len);
  return m;
}

bool is_ack(std::span<const uint8_t> msg) { return msg.size() == 1 && msg[0] == kDcepAck; }

std::vector<uint8_t> build_open(const OpenMessage& m) {
  uint8_t type = kReliable;
  uint32_t param = 0;
  if (m.reliability.max_retransmits) {
    type = kPartialRexmit;
    param = *m.reliability.max_retransmits;
  } else if (m.reliability.max_lifetime_ms) {
    type = kPartialTimed;
    param = *m.reliability.max_lifetime_ms;
  }
  if (!m.reliability.ordered) type |= kUnordered;
  // The lengths are 16 bits: longer strings are cut to fit.
  const std::string_view label = std::string_view(m.label).substr(0, 0xffff);
  const std::string_view protocol = std::string_view(m.protocol).substr(0, 0xffff);
  std::vector<uint8_t> out;
  out.reserve(kOpenHeader + label.size() + protocol.size());
  out.push_back(kDcepOpen);
  out.push_back(type);
  put16(out, m.priority);
  put32(out, param);
  put16(out, static_cast<uint16_t>(label.size()));
  put16(out, static_cast<uint16_t>(protocol.size()));
  out.insert(out.end(), label.begin(), label.end());
  out.insert(out.end(), protocol.begin(), protocol.end());
  return out;
}

std::vector<uint8_t> build_ack() { return {kDcepAck}; }

}  // namespace edgesfu::sp::sctp
