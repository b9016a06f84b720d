// What a webhook POST carries, as LiveKit's server makes it
// (protocol/webhook/url_notifier.go): the event as protojson (camelCase
// names, defaults left out, int64 as strings) and an Authorization header
// that is a bare JWT (no "Bearer"), HS256 with the webhook key: iss = the
// key, valid for 5 minutes, and the claim sha256 = standard base64 of the
// body's SHA-256, which livekit-server-sdk's WebhookReceiver checks. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "livekit_webhook.pb.h"

namespace edgesfu::sp::webhook {

inline constexpr const char* kContentType = "application/webhook+json";
inline constexpr const char* kUserAgent = "LiveKit";  // LiveKit's DefaultUserAgent

// "" when it does not encode (not valid UTF-8 in a string): not sent.
std::string event_body(const ::livekit::WebhookEvent& e);
// Standard base64 (RFC 4648 §4, padded) of SHA-256(body).
std::string body_sha256(std::string_view body);
// The Authorization header's value for `body` at unix time `now_s`.
std::string authorization(std::string_view body, const std::string& api_key,
                          const std::string& secret, int64_t now_s);

}  // namespace edgesfu::sp::webhook
