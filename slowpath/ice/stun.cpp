#include "slowpath/ice/stun.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::sp::ice::stun {

namespace {

using dp::pkt::load_be16;
using dp::pkt::load_be32;
using dp::pkt::load_be64;

constexpr uint16_t kBindingRequest = 0x0001;
constexpr uint16_t kBindingSuccess = 0x0101;
constexpr uint16_t kBindingError = 0x0111;

// RFC 5389 §15, RFC 8445 §16.1.
constexpr uint16_t kAttrUsername = 0x0006;
constexpr uint16_t kAttrMessageIntegrity = 0x0008;
constexpr uint16_t kAttrErrorCode = 0x0009;
constexpr uint16_t kAttrUnknownAttributes = 0x000A;
constexpr uint16_t kAttrXorMappedAddress = 0x0020;
constexpr uint16_t kAttrPriority = 0x0024;
constexpr uint16_t kAttrUseCandidate = 0x0025;
constexpr uint16_t kAttrFingerprint = 0x8028;
constexpr uint16_t kAttrIceControlled = 0x8029;
constexpr uint16_t kAttrIceControlling = 0x802A;

constexpr uint32_t kFingerprintXor = 0x5354554e;  // RFC 5389 §15.5
constexpr std::size_t kIntegritySize = 20;        // HMAC-SHA1
constexpr std::size_t kMaxUsername = 513;         // RFC 5389 §15.3

void put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
  put16(v, static_cast<uint16_t>(x >> 16));
  put16(v, static_cast<uint16_t>(x));
}
void set_length(std::vector<uint8_t>& v, std::size_t body) {
  v[2] = static_cast<uint8_t>(body >> 8);
  v[3] = static_cast<uint8_t>(body);
}

std::vector<uint8_t> header(uint16_t type, const TransactionId& txid) {
  std::vector<uint8_t> v;
  v.reserve(128);
  put16(v, type);
  put16(v, 0);
  put32(v, kMagicCookie);
  v.insert(v.end(), txid.begin(), txid.end());
  return v;
}

void attribute(std::vector<uint8_t>& v, uint16_t type, std::span<const uint8_t> value) {
  put16(v, type);
  put16(v, static_cast<uint16_t>(value.size()));
  v.insert(v.end(), value.begin(), value.end());
  while (v.size() % 4 != 0) v.push_back(0);
}

bool hmac_sha1(std::string_view key, std::span<const uint8_t> data, uint8_t out[kIntegritySize]) {
  unsigned int len = 0;
  const unsigned char* r = HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data.data(),
                                data.size(), out, &len);
  return r != nullptr && len == kIntegritySize;
}

uint32_t fingerprint_of(std::span<const uint8_t> data) {
  const uLong c = crc32(0L, data.data(), static_cast<uInt>(data.size()));
  return static_cast<uint32_t>(c) ^ kFingerprintXor;
}

// MESSAGE-INTEGRITY (RFC 5389 §15.4): the length field covers up to the end of
// this attribute while it is computed.
void add_integrity(std::vector<uint8_t>& v, std::string_view key) {
  set_length(v, v.size() - kHeaderSize + 4 + kIntegritySize);
  uint8_t mac[kIntegritySize] = {};
  if (!hmac_sha1(key, v, mac)) std::memset(mac, 0, sizeof mac);  // a peer then rejects it
  attribute(v, kAttrMessageIntegrity, {mac, kIntegritySize});
}

// FINGERPRINT (RFC 5389 §15.5), always last.
void add_fingerprint(std::vector<uint8_t>& v) {
  set_length(v, v.size() - kHeaderSize + 8);
  const uint32_t crc = fingerprint_of(v);
  const uint8_t b[4] = {static_cast<uint8_t>(crc >> 24), static_cast<uint8_t>(crc >> 16),
                        static_cast<uint8_t>(crc >> 8), static_cast<uint8_t>(crc)};
  attribute(v, kAttrFingerprint, b);
}

// Checks the fixed header: RFC 5389 §6 (top bits zero, magic cookie, length a
// multiple of 4 that matches the datagram).
bool is_stun(std::span<const uint8_t> msg) {
  if (msg.size() < kHeaderSize || (msg[0] & 0xC0) != 0) return false;
  const std::size_t len = load_be16(msg.data() + 2);
  return len % 4 == 0 && kHeaderSize + len == msg.size() &&
         load_be32(msg.data() + 4) == kMagicCookie;
}

// Walks the attributes; calls f(type, value, offset_of_attribute) until f
// returns false. Returns false when the attributes do not parse.
template <typename F>
bool for_each_attribute(std::span<const uint8_t> msg, F&& f) {
  std::size_t off = kHeaderSize;
  while (off < msg.size()) {
    if (msg.size() - off < 4) return false;
    const uint16_t type = load_be16(msg.data() + off);
    const std::size_t len = load_be16(msg.data() + off + 2);
    const std::size_t padded = (len + 3) & ~std::size_t{3};
    if (msg.size() - off - 4 < padded) return false;
    if (!f(type, msg.subspan(off + 4, len), off)) return true;
    off += 4 + padded;
  }
  return true;
}

}  // namespace

ParseResult parse_binding_request(std::span<const uint8_t> msg, BindingRequest& out) {
  out = BindingRequest{};
  if (!is_stun(msg)) return ParseResult::kNotStun;
  if (load_be16(msg.data()) != kBindingRequest) return ParseResult::kNotRequest;
  std::memcpy(out.txid.data(), msg.data() + 8, out.txid.size());
  bool ok = true;
  bool after_integrity = false;
  bool fingerprint_ok = true;
  const bool parsed =
      for_each_attribute(msg, [&](uint16_t type, std::span<const uint8_t> v, std::size_t at) {
        if (out.has_fingerprint) {  // RFC 5389 §15.5: FINGERPRINT is the last attribute
          ok = false;
          return false;
        }
        if (type == kAttrFingerprint) {
          if (v.size() != 4) {
            ok = false;
            return false;
          }
          out.has_fingerprint = true;
          // The CRC covers the message up to this attribute, with the length
          // field as it is (it already ends after FINGERPRINT).
          fingerprint_ok = fingerprint_of(msg.first(at)) == load_be32(v.data());
          return true;
        }
        // RFC 5389 §15.4: attributes after MESSAGE-INTEGRITY (but FINGERPRINT)
        // are ignored.
        if (after_integrity) return true;
        switch (type) {
          case kAttrUsername:
            if (v.empty() || v.size() > kMaxUsername) {
              ok = false;
              return false;
            }
            out.username.assign(reinterpret_cast<const char*>(v.data()), v.size());
            break;
          case kAttrMessageIntegrity:
            if (v.size() != kIntegritySize) {
              ok = false;
              return false;
            }
            out.has_integrity = true;
            after_integrity = true;
            break;
          case kAttrPriority:
            if (v.size() != 4) {
              ok = false;
              return false;
            }
            out.priority = load_be32(v.data());
            break;
          case kAttrUseCandidate: out.use_candidate = true; break;
          case kAttrIceControlled:
          case kAttrIceControlling:
            if (v.size() != 8) {
              ok = false;
              return false;
            }
            (type == kAttrIceControlling ? out.controlling : out.controlled) = true;
            out.tie_breaker = load_be64(v.data());
            break;
          default:
            // RFC 5389 §7.3: comprehension-required (0x0000-0x7FFF) attributes
            // we do not know make the request fail with 420.
            if (type < 0x8000 && out.unknown_required.size() < 8)
              out.unknown_required.push_back(type);
            break;
        }
        return true;
      });
  if (!parsed || !ok) return ParseResult::kMalformed;
  if (!fingerprint_ok) return ParseResult::kBadFingerprint;
  return ParseResult::kOk;
}

bool check_integrity(std::span<const uint8_t> msg, std::string_view key) {
  if (!is_stun(msg)) return false;
  bool found = false;
  bool match = false;
  for_each_attribute(msg, [&](uint16_t type, std::span<const uint8_t> v, std::size_t at) {
    if (type != kAttrMessageIntegrity) return true;
    found = true;
    if (v.size() != kIntegritySize) return false;
    // The HMAC covers the message up to this attribute, with the length field
    // set as if the message ended after it.
    std::vector<uint8_t> copy(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(at));
    set_length(copy, at - kHeaderSize + 4 + kIntegritySize);
    uint8_t mac[kIntegritySize];
    if (!hmac_sha1(key, copy, mac)) return false;
    // Not secret-dependent timing that matters here (the peer knows the
    // message), but compare in constant time anyway.
    uint8_t diff = 0;
    for (std::size_t i = 0; i < kIntegritySize; ++i) diff |= static_cast<uint8_t>(mac[i] ^ v[i]);
    match = diff == 0;
    return false;
  });
  return found && match;
}

std::vector<uint8_t> binding_success(const TransactionId& txid, const dp::pkt::IpAddr& mapped,
                                     uint16_t mapped_port, std::string_view key) {
  std::vector<uint8_t> v = header(kBindingSuccess, txid);
  // XOR-MAPPED-ADDRESS (RFC 5389 §15.2).
  std::vector<uint8_t> a;
  a.push_back(0);
  a.push_back(mapped.family == 6 ? 0x02 : 0x01);
  put16(a, static_cast<uint16_t>(mapped_port ^ (kMagicCookie >> 16)));
  uint8_t mask[16];
  const uint32_t c = kMagicCookie;
  mask[0] = static_cast<uint8_t>(c >> 24);
  mask[1] = static_cast<uint8_t>(c >> 16);
  mask[2] = static_cast<uint8_t>(c >> 8);
  mask[3] = static_cast<uint8_t>(c);
  std::memcpy(mask + 4, txid.data(), txid.size());
  const std::size_t n = mapped.family == 6 ? 16 : 4;
  for (std::size_t i = 0; i < n; ++i) a.push_back(static_cast<uint8_t>(mapped.b[i] ^ mask[i]));
  attribute(v, kAttrXorMappedAddress, a);
  add_integrity(v, key);
  add_fingerprint(v);
  return v;
}

std::vector<uint8_t> binding_error(const TransactionId& txid, int code, std::string_view reason,
                                   std::string_view key, std::span<const uint16_t> unknown) {
  std::vector<uint8_t> v = header(kBindingError, txid);
  std::vector<uint8_t> e = {0, 0, static_cast<uint8_t>((code / 100) & 0x07),
                            static_cast<uint8_t>(code % 100)};
  e.insert(e.end(), reason.begin(),
           reason.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(reason.size(), 127)));
  attribute(v, kAttrErrorCode, e);
  if (!unknown.empty()) {
    std::vector<uint8_t> u;
    for (uint16_t t : unknown) put16(u, t);
    attribute(v, kAttrUnknownAttributes, u);
  }
  if (!key.empty()) add_integrity(v, key);
  add_fingerprint(v);
  return v;
}

}  // namespace edgesfu::sp::ice::stun
