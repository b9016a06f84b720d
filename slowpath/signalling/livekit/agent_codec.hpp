// LiveKit's agent worker protocol on the wire (/agent): WorkerMessage frames
// in (binary protobuf, or protojson text), ServerMessage frames out. Pure;
// a malformed frame is an error with the reason, never an exception.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "livekit_agent.pb.h"

namespace edgesfu::sp::livekit {

inline constexpr std::size_t kMaxWorkerFrame = 256 * 1024;

Result<::livekit::WorkerMessage> decode_worker(std::span<const uint8_t> binary);
Result<::livekit::WorkerMessage> decode_worker_json(std::string_view text);

}  // namespace edgesfu::sp::livekit
