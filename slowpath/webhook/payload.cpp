#include "slowpath/webhook/payload.hpp"

#include <google/protobuf/util/json_util.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "slowpath/auth/token.hpp"

namespace edgesfu::sp::webhook {

std::string event_body(const ::livekit::WebhookEvent& e) {
  std::string out;
  // Defaults left out and lowerCamelCase names: protojson's defaults, as Go's.
  if (!google::protobuf::util::MessageToJsonString(e, &out).ok()) return "";
  return out;
}

std::string body_sha256(std::string_view body) {
  unsigned char sum[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), sum);
  unsigned char b64[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(b64, sum, SHA256_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(b64), n < 0 ? 0 : static_cast<std::size_t>(n));
}

std::string authorization(std::string_view body, const std::string& api_key,
                          const std::string& secret, int64_t now_s) {
  auth::Claims c;
  c.api_key = api_key;
  c.not_before = now_s;
  c.expires = now_s + 5 * 60;
  c.sha256 = body_sha256(body);
  return auth::mint(c, secret);
}

}  // namespace edgesfu::sp::webhook
