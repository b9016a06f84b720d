#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "slowpath/auth/token.hpp"

namespace edgesfu::sp::auth {
namespace {

const std::map<std::string, std::string> kKeys = {
    {"APIkey1", "0123456789abcdef0123456789abcdef-secret"}};
constexpr int64_t kNow = 1'800'000'000;

Claims claims() {
  Claims c;
  c.api_key = "APIkey1";
  c.identity = "alice";
  c.name = "Alice";
  c.expires = kNow + 600;
  c.video.room = "lobby";
  c.video.room_join = true;
  c.video.can_subscribe = false;
  return c;
}

TEST(TokenTest, MintThenVerify) {
  const std::string t = mint(claims(), kKeys.at("APIkey1"));
  const TokenResult r = verify(t, kKeys, kNow);
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.claims.identity, "alice");
  EXPECT_EQ(r.claims.name, "Alice");
  EXPECT_EQ(r.claims.video.room, "lobby");
  EXPECT_TRUE(r.claims.video.room_join);
  EXPECT_TRUE(r.claims.video.can_publish);
  EXPECT_FALSE(r.claims.video.can_subscribe);
}

// A token as livekit-server-sdk writes it: grants it leaves out take LiveKit's
// defaults (canPublish/canSubscribe true). Signed here independently of mint().
TEST(TokenTest, AbsentPublishGrantsDefaultToTrue) {
  const std::string signing =
      base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
      base64url_encode(
          R"({"exp":1800000600,"iss":"APIkey1","nbf":1799999000,"sub":"bob","video":{"room":"r","roomJoin":true}})");
  unsigned char mac[32];
  unsigned int len = 0;
  const std::string& secret = kKeys.at("APIkey1");
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing.data()), signing.size(), mac, &len);
  const std::string token =
      signing + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
  const TokenResult r = verify(token, kKeys, kNow);
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.claims.identity, "bob");
  EXPECT_TRUE(r.claims.video.can_publish);
  EXPECT_TRUE(r.claims.video.can_subscribe);
  EXPECT_EQ(r.claims.not_before, 1799999000);
}

TEST(TokenTest, RefusalsByClass) {
  const std::string good = mint(claims(), kKeys.at("APIkey1"));
  auto expect = [](const TokenResult& r, TokenError e) {
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, e) << r.detail;
  };
  // Forged: signed with another secret, or a payload changed after signing.
  expect(verify(mint(claims(), "another-secret-of-thirty-two-chars!!"), kKeys, kNow),
         TokenError::kBadSignature);
  std::string tampered = good;
  tampered[tampered.find('.') + 5] ^= 1;
  const TokenResult tr = verify(tampered, kKeys, kNow);
  EXPECT_FALSE(tr.ok);
  // Expired, not yet valid: each with LiveKit's minute of clock leeway.
  EXPECT_TRUE(verify(good, kKeys, kNow + 600 + kClockLeewayS - 1).ok);
  expect(verify(good, kKeys, kNow + 600 + kClockLeewayS), TokenError::kExpired);
  Claims later = claims();
  later.not_before = kNow + 100;
  expect(verify(mint(later, kKeys.at("APIkey1")), kKeys, kNow), TokenError::kNotYetValid);
  expect(verify(mint(later, kKeys.at("APIkey1")), kKeys, kNow + 100 - kClockLeewayS - 1),
         TokenError::kNotYetValid);
  // Inside the leeway it is valid already (a minting clock a tick ahead).
  EXPECT_TRUE(verify(mint(later, kKeys.at("APIkey1")), kKeys, kNow + 100 - kClockLeewayS).ok);
  EXPECT_TRUE(verify(mint(later, kKeys.at("APIkey1")), kKeys, kNow + 99).ok);
  // Unknown key.
  Claims other = claims();
  other.api_key = "nobody";
  expect(verify(mint(other, "x"), kKeys, kNow), TokenError::kUnknownKey);
  // alg none / HS512: refused before any key is looked at.
  const std::string none = base64url_encode(R"({"alg":"none"})") + good.substr(good.find('.'));
  expect(verify(none, kKeys, kNow), TokenError::kUnsupportedAlg);
  // Malformed.
  expect(verify("", kKeys, kNow), TokenError::kMalformed);
  expect(verify("a.b", kKeys, kNow), TokenError::kMalformed);
  expect(verify("a.b.c.d", kKeys, kNow), TokenError::kMalformed);
  expect(verify("!!.??.**", kKeys, kNow), TokenError::kMalformed);
  expect(verify(base64url_encode("[1]") + "." + base64url_encode("{}") + ".x", kKeys, kNow),
         TokenError::kMalformed);
  expect(verify(std::string(9000, 'a'), kKeys, kNow), TokenError::kMalformed);
}

TEST(TokenTest, Base64urlRoundTrip) {
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    std::string back;
    ASSERT_TRUE(base64url_decode(base64url_encode(s), back));
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  std::string out;
  EXPECT_FALSE(base64url_decode("a", out));
  EXPECT_FALSE(base64url_decode("ab==", out));
}

}  // namespace
}  // namespace edgesfu::sp::auth
