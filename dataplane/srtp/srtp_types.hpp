// SRTP profiles and master keys: what DTLS-SRTP negotiates (the slow path)
// and the engines use (the fast path). Header-only, no engine: the DTLS code
// needs these types, not the engines.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace edgesfu::dp::srtp {

// SRTP protection profiles by their DTLS-SRTP identifiers (RFC 5764 §4.1.2,
// RFC 7714 §14.2).
enum class Profile : uint16_t {
  kAes128CmHmacSha1_80 = 0x0001,
  kAes128CmHmacSha1_32 = 0x0002,  // 32-bit tag on SRTP, 80-bit on SRTCP
  kAeadAes128Gcm = 0x0007,
};

inline constexpr std::size_t master_key_len(Profile) { return 16; }
inline constexpr std::size_t master_salt_len(Profile p) {
  return p == Profile::kAeadAes128Gcm ? 12 : 14;  // RFC 7714 §12, RFC 3711 §8.2
}
// Bytes protect adds to an RTP packet (the auth tag) and to an RTCP packet
// (tag plus the 4-byte E||SRTCP index).
inline constexpr std::size_t rtp_overhead(Profile p) {
  return p == Profile::kAeadAes128Gcm ? 16 : p == Profile::kAes128CmHmacSha1_32 ? 4 : 10;
}
inline constexpr std::size_t rtcp_overhead(Profile p) {
  return (p == Profile::kAeadAes128Gcm ? 16 : 10) + 4;
}
// Room to leave after any packet that will be protected.
inline constexpr std::size_t kMaxTrailer = 20;

inline const char* to_string(Profile p) {
  switch (p) {
    case Profile::kAes128CmHmacSha1_80: return "AES_CM_128_HMAC_SHA1_80";
    case Profile::kAes128CmHmacSha1_32: return "AES_CM_128_HMAC_SHA1_32";
    case Profile::kAeadAes128Gcm: return "AEAD_AES_128_GCM";
  }
  return "?";
}

struct Keys {
  Profile profile = Profile::kAeadAes128Gcm;
  std::array<uint8_t, 16> master_key{};
  std::array<uint8_t, 14> master_salt{};  // first master_salt_len(profile) bytes used
};

}  // namespace edgesfu::dp::srtp
