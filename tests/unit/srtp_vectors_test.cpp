// The intel-ipsec-mb engine against published vectors: RFC 3711 Appendix B.2
// (AES-CM keystream) and B.3 (key derivation), libsrtp's reference packet for
// AES_CM_128_HMAC_SHA1_80, and RFC 7714 §16.1 / §17.1 (AEAD_AES_128_GCM SRTP
// and SRTCP, which give session keys: installed directly).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "dataplane/srtp/ipsecmb_session.hpp"
#include "dataplane/srtp/srtp_engine.hpp"

namespace edgesfu::dp::srtp {
namespace {

std::vector<uint8_t> hex(std::string s) {
  std::string h;
  for (char c : s) {
    if (c != ' ') h += c;
  }
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
  }
  return out;
}

class Mgr {
 public:
  Mgr() {
    m = alloc_mb_mgr(0);
    IMB_ARCH arch;
    init_mb_mgr_auto(m, &arch);
  }
  ~Mgr() { free_mb_mgr(m); }
  IMB_MGR* m;
};

TEST(SrtpVectors, Rfc3711B2AesCmKeystream) {
  Mgr mgr;
  const auto key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
  const auto iv = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
  uint8_t out[32];
  ASSERT_TRUE(imb::ctr_keystream(mgr.m, key.data(), iv.data(), out, sizeof out));
  EXPECT_EQ(std::vector<uint8_t>(out, out + 32),
            hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB"));
}

TEST(SrtpVectors, Rfc3711B3KeyDerivation) {
  Mgr mgr;
  const auto mk = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const auto ms = hex("0EC675AD498AFEEBB6960B3AABE6");
  uint8_t enc[16], auth[20], salt[14];
  ASSERT_TRUE(imb::kdf(mgr.m, mk.data(), ms.data(), 14, 0x00, enc, sizeof enc));
  ASSERT_TRUE(imb::kdf(mgr.m, mk.data(), ms.data(), 14, 0x01, auth, sizeof auth));
  ASSERT_TRUE(imb::kdf(mgr.m, mk.data(), ms.data(), 14, 0x02, salt, sizeof salt));
  EXPECT_EQ(std::vector<uint8_t>(enc, enc + 16), hex("C61E7A93744F39EE10734AFE3FF7A087"));
  EXPECT_EQ(std::vector<uint8_t>(auth, auth + 20), hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
  EXPECT_EQ(std::vector<uint8_t>(salt, salt + 14), hex("30CBBC08863D8C85D49DB34A9AE1"));
}

class VectorEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = make_ipsecmb_engine();
    ASSERT_TRUE(e.ok()) << e.error().message;
    engine = std::move(e).value();
  }
  void TearDown() override {
    for (Session* s : sessions) engine->destroy_session(s);
  }
  imb::ImbSession* session(Profile p, Direction d, uint32_t ssrc, const std::vector<uint8_t>& key,
                           const std::vector<uint8_t>& salt) {
    SessionParams sp;
    sp.keys.profile = p;
    std::copy(key.begin(), key.end(), sp.keys.master_key.begin());
    std::copy(salt.begin(), salt.end(), sp.keys.master_salt.begin());
    sp.direction = d;
    sp.ssrc = ssrc;
    auto s = engine->create_session(sp);
    EXPECT_TRUE(s.ok());
    sessions.push_back(s.value());
    return static_cast<imb::ImbSession*>(s.value());
  }
  // RFC 7714 gives session keys: the same key and salt for SRTP and SRTCP.
  imb::ImbSession* gcm_session(Direction d, uint32_t ssrc) {
    const auto key = hex("000102030405060708090a0b0c0d0e0f");
    const auto salt = hex("517569642070726f2071756f");
    imb::ImbSession* s = session(Profile::kAeadAes128Gcm, d, ssrc, key, salt);
    const uint8_t no_auth[20] = {};
    imb::KeySet& k = *s->keys;
    EXPECT_TRUE(imb::install_keys(mgr.m, true, key.data(), no_auth, salt.data(), 12, k.rtp_cm,
                                  k.rtp_gcm, k.rtp_salt));
    EXPECT_TRUE(imb::install_keys(mgr.m, true, key.data(), no_auth, salt.data(), 12, k.rtcp_cm,
                                  k.rtcp_gcm, k.rtcp_salt));
    std::memcpy(s->rtp_salt, k.rtp_salt, sizeof s->rtp_salt);
    return s;
  }
  Status run(void (Engine::*fn)(std::span<Op>), Session* s, std::vector<uint8_t>& pkt,
             std::size_t len) {
    pkt.resize(len + kMaxTrailer);
    Op op{pkt.data(), static_cast<uint32_t>(len), static_cast<uint32_t>(pkt.size()), s};
    ((*engine).*fn)({&op, 1});
    pkt.resize(op.status == Status::kOk ? op.len : len);
    return op.status;
  }
  Mgr mgr;
  std::unique_ptr<Engine> engine;
  std::vector<Session*> sessions;
};

// libsrtp's srtp_driver reference packet (master key and salt of RFC 3711 B.3).
TEST_F(VectorEngine, AesCmHmacSha1_80ReferencePacket) {
  const auto mk = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const auto ms = hex("0EC675AD498AFEEBB6960B3AABE6");
  const auto plain = hex("800f1234decafbadcafebabe abababababababababababababababab");
  const auto cipher =
      hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb");
  auto pkt = plain;
  ASSERT_EQ(run(&Engine::protect_rtp,
                session(Profile::kAes128CmHmacSha1_80, Direction::kOutbound, 0xcafebabe, mk, ms),
                pkt, plain.size()),
            Status::kOk);
  EXPECT_EQ(pkt, cipher);
  auto back = cipher;
  ASSERT_EQ(run(&Engine::unprotect_rtp,
                session(Profile::kAes128CmHmacSha1_80, Direction::kInbound, 0, mk, ms), back,
                cipher.size()),
            Status::kOk);
  EXPECT_EQ(back, plain);
}

const char* kRtp7714 =
    "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 "
    "61727465 73207472 6573";
const char* kSrtp7714 =
    "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a "
    "51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce";

TEST_F(VectorEngine, Rfc7714_16_1_1_GcmProtect) {
  auto pkt = hex(kRtp7714);
  ASSERT_EQ(
      run(&Engine::protect_rtp, gcm_session(Direction::kOutbound, 0x5501a0b2), pkt, pkt.size()),
      Status::kOk);
  EXPECT_EQ(pkt, hex(kSrtp7714));
}

TEST_F(VectorEngine, Rfc7714_16_1_2_GcmUnprotectAndTamper) {
  imb::ImbSession* rx = gcm_session(Direction::kInbound, 0);
  auto tampered = hex(kSrtp7714);
  tampered[20] ^= 0x01;
  EXPECT_EQ(run(&Engine::unprotect_rtp, rx, tampered, tampered.size()), Status::kAuthFail);
  auto pkt = hex(kSrtp7714);
  ASSERT_EQ(run(&Engine::unprotect_rtp, rx, pkt, pkt.size()), Status::kOk);
  EXPECT_EQ(pkt, hex(kRtp7714));
}

const char* kRtcp7714 =
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef "
    "deadbeef deadbeef deadbeef";
const char* kSrtcp7714 =
    "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda "
    "4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4";

TEST_F(VectorEngine, Rfc7714_17_1_GcmSrtcpProtect) {
  imb::ImbSession* tx = gcm_session(Direction::kOutbound, 0x4d617273);
  tx->stream0.rtcp_index = 0x5d4 - 1;  // the vector's SRTCP index is the next one
  auto pkt = hex(kRtcp7714);
  ASSERT_EQ(run(&Engine::protect_rtcp, tx, pkt, pkt.size()), Status::kOk);
  EXPECT_EQ(pkt, hex(kSrtcp7714));
}

TEST_F(VectorEngine, Rfc7714_17_1_GcmSrtcpUnprotectTamperAndIndex) {
  imb::ImbSession* rx = gcm_session(Direction::kInbound, 0);
  auto tampered = hex(kSrtcp7714);
  tampered[30] ^= 0x08;
  EXPECT_EQ(run(&Engine::unprotect_rtcp, rx, tampered, tampered.size()), Status::kAuthFail);
  auto index = hex(kSrtcp7714);
  index.back() ^= 0x01;  // another SRTCP index: another IV and AAD
  EXPECT_EQ(run(&Engine::unprotect_rtcp, rx, index, index.size()), Status::kAuthFail);
  auto pkt = hex(kSrtcp7714);
  ASSERT_EQ(run(&Engine::unprotect_rtcp, rx, pkt, pkt.size()), Status::kOk);
  EXPECT_EQ(pkt, hex(kRtcp7714));
  auto again = hex(kSrtcp7714);
  EXPECT_EQ(run(&Engine::unprotect_rtcp, rx, again, again.size()), Status::kReplay);
}

// A subscriber's downtracks are sessions made from one DTLS export: they
// share one key set (one copy of the schedules in cache), which lives as long
// as any of them. Other keys, or another profile, get their own.
TEST_F(VectorEngine, SessionsOfOneMasterKeyShareOneKeySet) {
  const auto mk = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const auto ms = hex("0EC675AD498AFEEBB6960B3AABE6");
  auto other = mk;
  other[15] ^= 0x01;
  const Profile p = Profile::kAes128CmHmacSha1_80;
  imb::ImbSession* a = session(p, Direction::kOutbound, 0x1111, mk, ms);
  imb::ImbSession* b = session(p, Direction::kOutbound, 0x2222, mk, ms);
  imb::ImbSession* rx = session(p, Direction::kInbound, 0, mk, ms);
  imb::ImbSession* c = session(p, Direction::kOutbound, 0x2222, other, ms);
  imb::ImbSession* d = session(Profile::kAes128CmHmacSha1_32, Direction::kOutbound, 0x1111, mk, ms);
  ASSERT_NE(a->keys, nullptr);
  EXPECT_EQ(a->keys, b->keys);
  EXPECT_EQ(a->keys, rx->keys);
  EXPECT_EQ(a->keys->refs, 3u);
  EXPECT_NE(a->keys, c->keys);
  EXPECT_NE(a->keys, d->keys);
  EXPECT_EQ(std::memcmp(a->rtp_salt, b->rtp_salt, sizeof a->rtp_salt), 0);

  // The first session goes; the others keep the set and still work.
  engine->destroy_session(a);
  sessions.erase(sessions.begin());
  EXPECT_EQ(b->keys->refs, 2u);
  auto plain = hex("800f1234decafbad00002222 abababababababababababababababab");
  auto pkt = plain;
  ASSERT_EQ(run(&Engine::protect_rtp, b, pkt, plain.size()), Status::kOk);
  ASSERT_EQ(run(&Engine::unprotect_rtp, rx, pkt, pkt.size()), Status::kOk);
  EXPECT_EQ(pkt, plain);
  // Under the other master key the same packet does not open.
  auto wrong = plain;
  wrong[3] = 0x35;  // the next sequence number: not a replay
  ASSERT_EQ(run(&Engine::protect_rtp, c, wrong, plain.size()), Status::kOk);
  EXPECT_EQ(run(&Engine::unprotect_rtp, rx, wrong, wrong.size()), Status::kAuthFail);

  // Once every session of a set is gone, the same keys derive a new one
  // that protects exactly as before.
  for (Session* s : sessions) engine->destroy_session(s);
  sessions.clear();
  imb::ImbSession* again = session(p, Direction::kOutbound, 0x2222, mk, ms);
  EXPECT_EQ(again->keys->refs, 1u);
  auto pkt2 = plain;
  ASSERT_EQ(run(&Engine::protect_rtp, again, pkt2, plain.size()), Status::kOk);
  imb::ImbSession* rx2 = session(p, Direction::kInbound, 0, mk, ms);
  ASSERT_EQ(run(&Engine::unprotect_rtp, rx2, pkt2, pkt2.size()), Status::kOk);
  EXPECT_EQ(pkt2, plain);
}

}  // namespace
}  // namespace edgesfu::dp::srtp
