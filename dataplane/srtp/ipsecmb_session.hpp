// The intel-ipsec-mb engine's session: internal to dataplane/srtp.
//
// Layout, for a downtrack (one outbound SSRC): line 0 holds everything a
// protect reads or writes except the key schedule (flags, the SRTP salt, the
// stream's index state, where the keys are), so a burst touches one line of
// session state plus the RTP key schedule. The key schedules live in a
// KeySet shared by every session made from the same master key: a
// subscriber's downtracks (one DTLS export, one SSRC each) touch one copy.
// SRTCP's salt and schedules follow the RTP schedule there, off the lines a
// media protect touches. Inbound sessions accept several SSRCs: their further
// streams and the replay windows live after line 0, read only on unprotect.
#pragma once

#include <intel-ipsec-mb.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/srtp/srtp_engine.hpp"
#include "dataplane/srtp/srtp_index.hpp"

namespace edgesfu::dp::srtp::imb {

inline constexpr unsigned kMaxStreams = 16;       // SSRCs per inbound session
inline constexpr unsigned kRtpWindowBits = 1024;  // largest SRTP replay window
inline constexpr unsigned kRtcpWindowBits = 128;  // SRTCP replay window (as libsrtp)

// A stream's index state: 16 bytes, four to a cache line.
struct StreamState {
  uint32_t ssrc = 0;
  uint32_t rtcp_index = 0;  // outbound: the last SRTCP index sent
  uint64_t highest = 0;     // highest RTP index seen (ROC << 16 | SEQ)
};
static_assert(sizeof(StreamState) == 16);

struct Windows {
  ReplayWindow<kRtpWindowBits> rtp;
  ReplayWindow<kRtcpWindowBits> rtcp;
};

// Key schedules of one kind of traffic (SRTP or SRTCP).
struct alignas(64) CmKeys {
  alignas(16) uint8_t aes_enc[16 * 11];  // AES-128 round keys
  alignas(16) uint8_t ipad[32];          // SHA-1 state after (key ^ ipad)
  alignas(16) uint8_t opad[32];          // SHA-1 state after (key ^ opad)
};
struct alignas(64) GcmKeys {
  gcm_key_data gcm;
};

// The key schedules and session salts derived from one master key and salt
// (one DTLS-SRTP export, one direction). Made and freed on the slow path,
// which counts the sessions using it; lcores only read it.
struct alignas(64) KeySet {
  // ---- SRTP: the one a fan-out touches
  union {
    CmKeys rtp_cm;
    GcmKeys rtp_gcm;
  };
  // ---- SRTCP, then what only the slow path reads
  union {
    CmKeys rtcp_cm;
    GcmKeys rtcp_gcm;
  };
  uint8_t rtcp_salt[16] = {};
  uint8_t rtp_salt[16] = {};     // copied into each session's line 0
  std::array<uint8_t, 32> id{};  // profile, master key, master salt: the engine's lookup key
  uint32_t refs = 0;             // sessions using this set

  KeySet() : rtp_cm{}, rtcp_cm{} {}
};

// Zeroes `n` bytes at `p` in a way the compiler keeps (key material).
void wipe(void* p, std::size_t n);

// What identifies a key set: the profile, the master key and the master salt
// (the bytes the profile uses).
std::array<uint8_t, 32> key_set_id(const Keys& keys);

struct alignas(64) ImbSession final : Session {
  // ---- line 0: the hot state
  Profile profile = Profile::kAeadAes128Gcm;
  Direction direction = Direction::kInbound;
  bool any_ssrc = false;
  bool allow_retransmit = true;
  uint8_t nstreams = 0;  // streams in use (stream0 first, then more[])
  uint16_t window = 1024;
  uint8_t rtp_tag_len = 10;
  uint8_t pad0[7] = {};
  uint8_t rtp_salt[16] = {};  // k_s: 14 bytes (AES-CM) or 12 (GCM), zero-padded
  KeySet* keys = nullptr;     // shared; never null in a session the engine returned
  uint8_t pad1[8] = {};
  StreamState stream0;
  // ---- cold: further streams of an any-SSRC session and the replay windows
  StreamState more[kMaxStreams - 1];
  Windows* windows = nullptr;  // kMaxStreams of them (any-SSRC) or one

  StreamState& stream(unsigned i) { return i == 0 ? stream0 : more[i - 1]; }
  // The stream for `ssrc`, or kMaxStreams.
  unsigned find(uint32_t ssrc) const {
    if (nstreams > 0 && stream0.ssrc == ssrc) return 0;
    for (unsigned i = 1; i < nstreams; ++i) {
      if (more[i - 1].ssrc == ssrc) return i;
    }
    return kMaxStreams;
  }
};
static_assert(offsetof(ImbSession, stream0) + sizeof(StreamState) <= 64,
              "a protect's session state must fit in the first cache line");

// Fills a key set from the master key and salt (RFC 3711 §4.3 with the
// AES-CM PRF; RFC 7714 §11 for GCM), using `mgr` for the AES and SHA-1
// primitives. False if the library reports an error.
bool derive_session_keys(IMB_MGR* mgr, const Keys& keys, KeySet& k);

// Installs session keys directly (what derive_session_keys does after the KDF;
// tests use it for the RFC 7714 vectors, which give session keys): the AES
// (or GCM) schedule of `enc`, HMAC states of `auth` (AES-CM only), the salt.
bool install_keys(IMB_MGR* mgr, bool gcm, const uint8_t enc[16], const uint8_t auth[20],
                  const uint8_t* salt, std::size_t salt_len, CmKeys& cm, GcmKeys& g,
                  uint8_t session_salt[16]);

// The AES-CM keystream of `key` from counter block `iv`: n bytes into out.
// Slow path (one job, flushed). False on a library error.
bool ctr_keystream(IMB_MGR* mgr, const uint8_t key[16], const uint8_t iv[16], uint8_t* out,
                   std::size_t n);

// The SRTP key derivation function alone (RFC 3711 §4.3.1, key derivation
// rate 0): `n` bytes for `label` from the master key and a master salt of
// salt_len (14, or 12 zero-padded to 14 for GCM).
bool kdf(IMB_MGR* mgr, const uint8_t master_key[16], const uint8_t* master_salt,
         std::size_t salt_len, uint8_t label, uint8_t* out, std::size_t n);

}  // namespace edgesfu::dp::srtp::imb
