// Whether an RTP payload starts a video keyframe, per codec payload format:
// VP8 (RFC 7741) and H.264 (RFC 6184), the codecs edgesfu forwards. A
// simulcast layer switch waits for one, so that the subscriber's decoder never
// gets a delta frame of a stream it has no reference for. Pure; any thread.
#pragma once

#include <cstdint>
#include <span>

namespace edgesfu::dp::pkt {

enum class VideoCodec : uint8_t { kOther, kVp8, kH264 };

// True when `payload` (the RTP payload, after the header and before padding)
// is the first packet of a keyframe: VP8 with S=1, PID=0 and the P bit of the
// frame header clear; H.264 with an IDR slice or an SPS in a single NAL, a
// STAP-A, or the first fragment of an FU-A. Always false for kOther and for
// anything malformed.
bool starts_keyframe(VideoCodec codec, std::span<const uint8_t> payload);

}  // namespace edgesfu::dp::pkt
