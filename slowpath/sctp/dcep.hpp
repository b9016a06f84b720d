// DCEP, the WebRTC data channel establishment protocol (RFC 8832), and the
// payload protocol identifiers of WebRTC data channels (RFC 8831 §8): pure
// parse and build over spans, no SCTP. Fuzzed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace edgesfu::sp::sctp {

// SCTP payload protocol identifiers (RFC 8831 §8, RFC 8832 §8.1).
enum class Ppid : uint32_t {
  kDcep = 50,
  kString = 51,
  kBinary = 53,
  kStringEmpty = 56,  // an empty string message (one byte 0 on the wire)
  kBinaryEmpty = 57,  // an empty binary message
};

// How a channel delivers (RFC 8832 §5.1 channel types).
struct Reliability {
  bool ordered = true;
  // At most one of these: retransmissions, or a lifetime in ms; neither is
  // fully reliable.
  std::optional<uint32_t> max_retransmits;
  std::optional<uint32_t> max_lifetime_ms;
  bool reliable() const { return !max_retransmits && !max_lifetime_ms; }
  bool operator==(const Reliability&) const = default;
};

struct OpenMessage {
  Reliability reliability;
  uint16_t priority = 0;
  std::string label;
  std::string protocol;
};

inline constexpr uint8_t kDcepAck = 0x02;
inline constexpr uint8_t kDcepOpen = 0x03;

// A DATA_CHANNEL_OPEN (RFC 8832 §5.1), or nullopt when malformed: wrong
// type, an unknown channel type, lengths past the end, bytes after them.
std::optional<OpenMessage> parse_open(std::span<const uint8_t> msg);

// Whether the message is a DATA_CHANNEL_ACK (one byte 0x02; §5.2).
bool is_ack(std::span<const uint8_t> msg);

std::vector<uint8_t> build_open(const OpenMessage& m);
std::vector<uint8_t> build_ack();

}  // namespace edgesfu::sp::sctp
