#include "slowpath/auth/token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

namespace edgesfu::sp::auth {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &len) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

TokenResult fail(TokenError e, std::string detail) {
  TokenResult r;
  r.ok = false;
  r.error = e;
  r.detail = std::move(detail);
  return r;
}

// A JSON member as a string/bool/integer when present with that type.
bool get_bool(const nlohmann::json& o, const char* k, bool def) {
  auto it = o.find(k);
  return it != o.end() && it->is_boolean() ? it->get<bool>() : def;
}
std::string get_str(const nlohmann::json& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

const char* to_string(TokenError e) {
  switch (e) {
    case TokenError::kMalformed: return "malformed token";
    case TokenError::kUnsupportedAlg: return "unsupported signing algorithm (HS256 only)";
    case TokenError::kUnknownKey: return "unknown API key";
    case TokenError::kBadSignature: return "signature does not verify";
    case TokenError::kExpired: return "token expired";
    case TokenError::kNotYetValid: return "token not yet valid";
  }
  return "?";
}

std::string base64url_encode(const std::string& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (in.size() - i == 1) {
    const uint32_t v = uint32_t{p[i]} << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (in.size() - i == 2) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

bool base64url_decode(const std::string& in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return false;  // no padding, no other alphabet (RFC 7515 §2)
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return bits < 6;  // a lone trailing character is not valid base64
}

TokenResult verify(const std::string& token, const std::map<std::string, std::string>& keys,
                   int64_t now) {
  if (token.size() > 8192) return fail(TokenError::kMalformed, "token longer than 8 KiB");
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string::npos || token.find('.', d2 + 1) != std::string::npos) {
    return fail(TokenError::kMalformed, "a JWT has three dot-separated parts");
  }
  std::string header_json, payload_json, sig;
  if (!base64url_decode(token.substr(0, d1), header_json) ||
      !base64url_decode(token.substr(d1 + 1, d2 - d1 - 1), payload_json) ||
      !base64url_decode(token.substr(d2 + 1), sig)) {
    return fail(TokenError::kMalformed, "a part is not base64url");
  }
  const auto header = nlohmann::json::parse(header_json, nullptr, false);
  const auto payload = nlohmann::json::parse(payload_json, nullptr, false);
  if (!header.is_object() || !payload.is_object()) {
    return fail(TokenError::kMalformed, "header or payload is not a JSON object");
  }
  if (get_str(header, "alg") != "HS256") {
    return fail(TokenError::kUnsupportedAlg, "alg is '" + get_str(header, "alg") + "'");
  }
  Claims c;
  c.api_key = get_str(payload, "iss");
  const auto key = keys.find(c.api_key);
  if (c.api_key.empty() || key == keys.end()) {
    return fail(TokenError::kUnknownKey, "iss '" + c.api_key + "' is not a configured key");
  }
  const std::string want = hmac_sha256(key->second, token.substr(0, d2));
  if (want.empty() || want.size() != sig.size() ||
      CRYPTO_memcmp(want.data(), sig.data(), want.size()) != 0) {
    return fail(TokenError::kBadSignature, "HS256 signature does not match");
  }
  // Only now that the payload is authentic do its claims count.
  auto exp = payload.find("exp");
  if (exp == payload.end() || !exp->is_number_integer()) {
    return fail(TokenError::kMalformed, "exp (an integer) is required");
  }
  c.expires = exp->get<int64_t>();
  if (now - kClockLeewayS >= c.expires) return fail(TokenError::kExpired, "exp is in the past");
  auto nbf = payload.find("nbf");
  if (nbf != payload.end() && nbf->is_number_integer()) c.not_before = nbf->get<int64_t>();
  if (c.not_before != 0 && now + kClockLeewayS < c.not_before)
    return fail(TokenError::kNotYetValid, "nbf is in the future");
  c.identity = get_str(payload, "sub");
  c.name = get_str(payload, "name");
  c.metadata = get_str(payload, "metadata");
  auto video = payload.find("video");
  if (video != payload.end() && video->is_object()) {
    const auto& v = *video;
    c.video.room = get_str(v, "room");
    c.video.room_join = get_bool(v, "roomJoin", false);
    c.video.room_create = get_bool(v, "roomCreate", false);
    c.video.room_admin = get_bool(v, "roomAdmin", false);
    c.video.room_list = get_bool(v, "roomList", false);
    c.video.can_publish = get_bool(v, "canPublish", true);
    c.video.can_subscribe = get_bool(v, "canSubscribe", true);
    c.video.can_publish_data = get_bool(v, "canPublishData", true);
    c.video.hidden = get_bool(v, "hidden", false);
    c.video.can_update_own_metadata = get_bool(v, "canUpdateOwnMetadata", false);
    c.video.agent = get_bool(v, "agent", false);
    auto sources = v.find("canPublishSources");
    if (sources != v.end() && sources->is_array()) {
      c.video.sources_limited = true;
      for (const auto& src : *sources) {
        if (src.is_string()) c.video.can_publish_sources.push_back(src.get<std::string>());
      }
    }
  }
  c.kind = get_str(payload, "kind");
  auto attrs = payload.find("attributes");
  if (attrs != payload.end() && attrs->is_object()) {
    for (const auto& [k, val] : attrs->items()) {
      if (val.is_string()) c.attributes[k] = val.get<std::string>();
    }
  }
  // roomConfig: a RoomConfiguration as protojson (lowerCamelCase; the
  // proto names accepted too); only its agents matter here.
  auto cfg = payload.find("roomConfig");
  if (cfg != payload.end() && cfg->is_object()) {
    auto agents = cfg->find("agents");
    if (agents != cfg->end() && agents->is_array()) {
      for (const auto& a : *agents) {
        if (!a.is_object() || c.room_agents.size() >= 16) continue;
        RoomAgent ra;
        ra.agent_name = get_str(a, "agentName");
        if (ra.agent_name.empty()) ra.agent_name = get_str(a, "agent_name");
        ra.metadata = get_str(a, "metadata");
        c.room_agents.push_back(std::move(ra));
      }
    }
  }
  TokenResult r;
  r.ok = true;
  r.claims = std::move(c);
  return r;
}

std::string mint(const Claims& c, const std::string& secret) {
  nlohmann::json video = {{"room", c.video.room},
                          {"roomJoin", c.video.room_join},
                          {"canPublish", c.video.can_publish},
                          {"canSubscribe", c.video.can_subscribe},
                          {"canPublishData", c.video.can_publish_data}};
  if (c.video.room_create) video["roomCreate"] = true;
  if (c.video.room_admin) video["roomAdmin"] = true;
  if (c.video.room_list) video["roomList"] = true;
  if (c.video.hidden) video["hidden"] = true;
  if (c.video.can_update_own_metadata) video["canUpdateOwnMetadata"] = true;
  if (c.video.agent) video["agent"] = true;
  if (c.video.sources_limited) video["canPublishSources"] = c.video.can_publish_sources;
  nlohmann::json payload = {{"iss", c.api_key}, {"exp", c.expires}, {"video", video}};
  if (!c.identity.empty()) payload["sub"] = c.identity;
  if (c.not_before != 0) payload["nbf"] = c.not_before;
  if (!c.name.empty()) payload["name"] = c.name;
  if (!c.metadata.empty()) payload["metadata"] = c.metadata;
  if (!c.kind.empty()) payload["kind"] = c.kind;
  if (!c.attributes.empty()) payload["attributes"] = c.attributes;
  if (!c.sha256.empty()) payload["sha256"] = c.sha256;
  if (!c.room_agents.empty()) {
    nlohmann::json agents = nlohmann::json::array();
    for (const RoomAgent& a : c.room_agents) {
      agents.push_back({{"agentName", a.agent_name}, {"metadata", a.metadata}});
    }
    payload["roomConfig"] = {{"agents", agents}};
  }
  const std::string signing =
      base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(payload.dump());
  return signing + "." + base64url_encode(hmac_sha256(secret, signing));
}

}  // namespace edgesfu::sp::auth
