// LiveKit's signalling on the wire (/rtc/v1): the join_request query
// parameter, SignalRequest frames in (binary protobuf, or protojson text),
// SignalResponse frames out. Pure functions over bytes; every malformed input
// is an error with the reason (kInvalidArgument), never an exception out of
// here; sizes are bounded before anything is decoded or inflated.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "livekit_rtc.pb.h"

namespace edgesfu::sp::livekit {

inline constexpr std::size_t kMaxJoinParam = 256 * 1024;     // base64url text in the URL
inline constexpr std::size_t kMaxJoinRequest = 1024 * 1024;  // inflated JoinRequest
inline constexpr std::size_t kMaxSignalFrame = 1024 * 1024;  // one WebSocket message

// `join_request` of /rtc/v1: base64url (RFC 4648 §5; padding optional) of a
// WrappedJoinRequest whose join_request is a JoinRequest, gzip-compressed
// (RFC 1952) or not, as its compression says.
Result<::livekit::JoinRequest> decode_join_request(std::string_view param);

// The other way, for tests and tools: gzip when `gzip`.
std::string encode_join_request(const ::livekit::JoinRequest& j, bool gzip);

// One SignalRequest frame: binary protobuf, or protojson text (unknown
// fields ignored, as LiveKit's server does).
Result<::livekit::SignalRequest> decode_signal(std::span<const uint8_t> binary);
Result<::livekit::SignalRequest> decode_signal_json(std::string_view text);

// A SignalResponse frame as binary protobuf.
std::string encode_signal(const ::livekit::SignalResponse& r);

// gzip (RFC 1952) inflate, refusing output over `max_out`.
Result<std::string> gunzip(std::string_view in, std::size_t max_out);
std::string gzip(std::string_view in);

}  // namespace edgesfu::sp::livekit
