// STUN (RFC 5389) as an ICE-lite agent needs it: check an incoming Binding
// Request (RFC 8445 §7.3: short-term credentials, MESSAGE-INTEGRITY,
// FINGERPRINT, the ICE attributes) and write the answer. Pure functions over
// byte spans; any thread. Fuzzed (tests/fuzz/fuzz_stun.cpp).
//
// Written here rather than taken from a library: libnice has a STUN codec but
// Debian's libnice-dev installs no header for it, and what a lite agent needs is
// this small (checked against the RFC 5769 test vectors).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/pkt/net.hpp"

namespace edgesfu::sp::ice::stun {

inline constexpr uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kHeaderSize = 20;

using TransactionId = std::array<uint8_t, 12>;

// What a Binding Request says, once parsed (integrity not yet checked).
struct BindingRequest {
  TransactionId txid{};
  std::string username;  // "<our ufrag>:<their ufrag>" (RFC 8445 §7.2.2)
  bool has_integrity = false;
  bool has_fingerprint = false;
  bool use_candidate = false;  // USE-CANDIDATE (RFC 8445 §7.1.2)
  bool controlling = false;    // ICE-CONTROLLING present
  bool controlled = false;     // ICE-CONTROLLED present
  uint32_t priority = 0;
  uint64_t tie_breaker = 0;
  std::vector<uint16_t> unknown_required;  // comprehension-required attributes we don't know
};

enum class ParseResult {
  kOk,
  kNotStun,         // not a STUN message (RFC 7983 demux, magic cookie, length)
  kNotRequest,      // a STUN message, but not a Binding Request (indication, response)
  kMalformed,       // a Binding Request whose attributes do not parse
  kBadFingerprint,  // FINGERPRINT present and wrong (RFC 5389 §7.3: discarded)
};

// Parses `msg` as a Binding Request into `out`.
ParseResult parse_binding_request(std::span<const uint8_t> msg, BindingRequest& out);

// RFC 5389 §15.4: true when `msg` carries a MESSAGE-INTEGRITY that matches
// `key` (the short-term password, RFC 5389 §15.4: key = SASLprep(password),
// which ICE's ASCII passwords leave as they are).
bool check_integrity(std::span<const uint8_t> msg, std::string_view key);

// A Binding success response to `txid` with XOR-MAPPED-ADDRESS = `mapped`
// (the request's source as we saw it), MESSAGE-INTEGRITY with `key` and
// FINGERPRINT (RFC 8445 §7.3.1.1).
std::vector<uint8_t> binding_success(const TransactionId& txid, const dp::pkt::IpAddr& mapped,
                                     uint16_t mapped_port, std::string_view key);

// A Binding error response (RFC 5389 §15.6): 400 Bad Request, 401
// Unauthorized, 420 Unknown Attribute (with `unknown`), 487 Role Conflict.
// With a non-empty `key` it carries MESSAGE-INTEGRITY (487 does: RFC 8445
// §7.3.1.1); always FINGERPRINT.
std::vector<uint8_t> binding_error(const TransactionId& txid, int code, std::string_view reason,
                                   std::string_view key = {},
                                   std::span<const uint16_t> unknown = {});

}  // namespace edgesfu::sp::ice::stun
