// Access tokens: JWTs signed with HS256 (RFC 7519, RFC 7515) carrying
// LiveKit's claim names, so that tokens minted by livekit-server-sdk work here
// unchanged: iss = API key, sub = identity, exp/nbf, name, metadata, and the
// "video" grant (room, roomJoin, canPublish, canSubscribe, ...). Slow path;
// pure functions over strings with an explicit `now`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace edgesfu::sp::auth {

struct VideoGrant {
  std::string room;
  bool room_join = false;
  bool room_create = false;
  bool room_admin = false;
  bool room_list = false;
  // LiveKit: an absent canPublish/canSubscribe/canPublishData means true.
  bool can_publish = true;
  bool can_subscribe = true;
  bool can_publish_data = true;
  bool hidden = false;
  bool can_update_own_metadata = false;
  bool agent = false;
  // canPublishSources: "camera", "microphone", "screen_share",
  // "screen_share_audio"; absent (sources_limited false): any source.
  bool sources_limited = false;
  std::vector<std::string> can_publish_sources;
};

// An agent the token's room configuration asks for (roomConfig.agents),
// dispatched when this token's join creates the room.
struct RoomAgent {
  std::string agent_name;
  std::string metadata;
};

struct Claims {
  std::string api_key;   // iss
  std::string identity;  // sub
  std::string name;
  std::string metadata;
  std::string kind;  // "agent", "ingress", ... ("" = standard)
  std::map<std::string, std::string> attributes;
  int64_t expires = 0;     // exp, seconds since the epoch
  int64_t not_before = 0;  // nbf, 0 when absent
  VideoGrant video;
  std::vector<RoomAgent> room_agents;  // roomConfig.agents
  // LiveKit's webhook signature: std base64 of the body's SHA-256 ("" = none).
  std::string sha256;
};

// Why a token was refused: all of these are 401 to a client.
enum class TokenError {
  kMalformed,
  kUnsupportedAlg,
  kUnknownKey,
  kBadSignature,
  kExpired,
  kNotYetValid
};
const char* to_string(TokenError e);

struct TokenResult {
  bool ok = false;
  TokenError error = TokenError::kMalformed;
  std::string detail;  // for logs and the response body
  Claims claims;
};

// exp and nbf are honoured with this much slack either way, as LiveKit does
// (go-jose's DefaultLeeway). Without it a token minted in the same second it
// is checked can fail: glibc's time() reads the coarse clock, which trails
// the gettimeofday() a minting SDK reads by up to a tick.
inline constexpr int64_t kClockLeewayS = 60;

// Verifies `token` against `keys` (API key -> secret) at unix time `now`.
// Only HS256 is accepted (no "none", no algorithm confusion); exp is required.
TokenResult verify(const std::string& token, const std::map<std::string, std::string>& keys,
                   int64_t now);

// Signs claims with HS256 (tests, tools, agent job tokens and webhook
// signatures): every claim that verify() reads, and sha256.
std::string mint(const Claims& c, const std::string& secret);

// RFC 4648 §5 base64url without padding.
std::string base64url_encode(const std::string& in);
bool base64url_decode(const std::string& in, std::string& out);

}  // namespace edgesfu::sp::auth
