// Session keys for the intel-ipsec-mb engine: the SRTP KDF (RFC 3711 §4.3,
// AES-CM PRF, key derivation rate 0) and the key schedules the job API takes.
// Slow path only.
#include <cstring>

#include "dataplane/srtp/ipsecmb_session.hpp"

namespace edgesfu::dp::srtp::imb {

void wipe(void* p, std::size_t n) {
  volatile uint8_t* v = static_cast<volatile uint8_t*>(p);
  while (n-- > 0) *v++ = 0;
}

namespace {

// Labels of RFC 3711 §4.3.2 (the same for RFC 7714 §11).
constexpr uint8_t kLabelRtpEncryption = 0x00, kLabelRtpAuth = 0x01, kLabelRtpSalt = 0x02;
constexpr uint8_t kLabelRtcpEncryption = 0x03, kLabelRtcpAuth = 0x04, kLabelRtcpSalt = 0x05;

// HMAC-SHA1 inner and outer states for a 20-byte key (RFC 2104).
void hmac_pads(IMB_MGR* mgr, const uint8_t key[20], CmKeys& k) {
  alignas(16) uint8_t block[IMB_SHA1_BLOCK_SIZE];
  std::memset(block, 0x36, sizeof block);
  for (std::size_t i = 0; i < 20; ++i) block[i] ^= key[i];
  IMB_SHA1_ONE_BLOCK(mgr, block, k.ipad);
  std::memset(block, 0x5c, sizeof block);
  for (std::size_t i = 0; i < 20; ++i) block[i] ^= key[i];
  IMB_SHA1_ONE_BLOCK(mgr, block, k.opad);
  wipe(block, sizeof block);
}

bool derive_kind(IMB_MGR* mgr, const uint8_t master_key[16], const uint8_t* salt,
                 std::size_t salt_len, bool gcm, uint8_t label_enc, uint8_t label_auth,
                 uint8_t label_salt, CmKeys& cm, GcmKeys& g, uint8_t session_salt[16]) {
  alignas(16) uint8_t enc[16];
  alignas(16) uint8_t auth[20] = {};
  alignas(16) uint8_t ss[14];
  const std::size_t ss_len = gcm ? 12 : 14;
  bool ok = kdf(mgr, master_key, salt, salt_len, label_enc, enc, sizeof enc) &&
            kdf(mgr, master_key, salt, salt_len, label_salt, ss, ss_len) &&
            (gcm || kdf(mgr, master_key, salt, salt_len, label_auth, auth, sizeof auth));
  if (ok) ok = install_keys(mgr, gcm, enc, auth, ss, ss_len, cm, g, session_salt);
  wipe(enc, sizeof enc);
  wipe(auth, sizeof auth);
  wipe(ss, sizeof ss);
  return ok;
}

}  // namespace

bool install_keys(IMB_MGR* mgr, bool gcm, const uint8_t enc[16], const uint8_t auth[20],
                  const uint8_t* salt, std::size_t salt_len, CmKeys& cm, GcmKeys& g,
                  uint8_t session_salt[16]) {
  std::memset(session_salt, 0, 16);
  std::memcpy(session_salt, salt, salt_len);
  if (gcm) {
    IMB_AES128_GCM_PRE(mgr, enc, &g.gcm);
  } else {
    alignas(16) uint8_t dec_unused[16 * 11];
    IMB_AES_KEYEXP_128(mgr, enc, cm.aes_enc, dec_unused);
    wipe(dec_unused, sizeof dec_unused);
    hmac_pads(mgr, auth, cm);
  }
  return imb_get_errno(mgr) == 0;
}

bool ctr_keystream(IMB_MGR* mgr, const uint8_t key[16], const uint8_t iv[16], uint8_t* out,
                   std::size_t n) {
  alignas(16) uint8_t enc_keys[16 * 11], dec_keys[16 * 11];
  IMB_AES_KEYEXP_128(mgr, key, enc_keys, dec_keys);
  std::memset(out, 0, n);  // the keystream is the encryption of zeros
  IMB_JOB* job = IMB_GET_NEXT_JOB(mgr);
  job->cipher_mode = IMB_CIPHER_CNTR;
  job->cipher_direction = IMB_DIR_ENCRYPT;
  job->chain_order = IMB_ORDER_CIPHER_HASH;
  job->hash_alg = IMB_AUTH_NULL;
  job->key_len_in_bytes = IMB_KEY_128_BYTES;
  job->enc_keys = enc_keys;
  job->dec_keys = enc_keys;
  job->src = out;
  job->dst = out;
  job->cipher_start_src_offset_in_bytes = 0;
  job->msg_len_to_cipher_in_bytes = n;
  job->iv = iv;
  job->iv_len_in_bytes = 16;
  bool ok = true;
  job = IMB_SUBMIT_JOB(mgr);
  while (job == nullptr) job = IMB_FLUSH_JOB(mgr);
  if (job->status != IMB_STATUS_COMPLETED) ok = false;
  while ((job = IMB_FLUSH_JOB(mgr)) != nullptr) {
    if (job->status != IMB_STATUS_COMPLETED) ok = false;
  }
  wipe(enc_keys, sizeof enc_keys);
  wipe(dec_keys, sizeof dec_keys);
  return ok;
}

bool kdf(IMB_MGR* mgr, const uint8_t master_key[16], const uint8_t* master_salt,
         std::size_t salt_len, uint8_t label, uint8_t* out, std::size_t n) {
  // x = (label || r) XOR master_salt, r = 0; the IV is x * 2^16.
  alignas(16) uint8_t iv[16] = {};
  std::memcpy(iv, master_salt, salt_len < 14 ? salt_len : 14);
  iv[7] ^= label;
  return ctr_keystream(mgr, master_key, iv, out, n);
}

bool derive_session_keys(IMB_MGR* mgr, const Keys& keys, KeySet& k) {
  const bool gcm = keys.profile == Profile::kAeadAes128Gcm;
  const std::size_t salt_len = master_salt_len(keys.profile);
  const uint8_t* mk = keys.master_key.data();
  const uint8_t* ms = keys.master_salt.data();
  return derive_kind(mgr, mk, ms, salt_len, gcm, kLabelRtpEncryption, kLabelRtpAuth, kLabelRtpSalt,
                     k.rtp_cm, k.rtp_gcm, k.rtp_salt) &&
         derive_kind(mgr, mk, ms, salt_len, gcm, kLabelRtcpEncryption, kLabelRtcpAuth,
                     kLabelRtcpSalt, k.rtcp_cm, k.rtcp_gcm, k.rtcp_salt);
}

std::array<uint8_t, 32> key_set_id(const Keys& keys) {
  static_assert(sizeof(uint16_t) + 16 + 14 == 32);
  std::array<uint8_t, 32> id{};
  const auto p = static_cast<uint16_t>(keys.profile);
  id[0] = static_cast<uint8_t>(p >> 8);
  id[1] = static_cast<uint8_t>(p);
  std::memcpy(id.data() + 2, keys.master_key.data(), 16);
  std::memcpy(id.data() + 18, keys.master_salt.data(), master_salt_len(keys.profile));
  return id;
}

}  // namespace edgesfu::dp::srtp::imb
