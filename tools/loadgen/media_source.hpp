// What loadgen publishers send. Audio: a 6 s loop of a speech-like signal
// (a voiced tone with vibrato under a syllable-rate envelope, pauses, some
// noise) encoded once with libopus into 20 ms frames at 48 kHz; every
// publisher plays the loop from its own offset. Video: VP8 RTP packets of a
// set bit rate at 30 frames/s (RFC 7741 payload descriptor, a well-formed key
// frame header every 2 s, filler bytes): sized like video, not decodable.
// Slow path of the load client; not real-time sensitive.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace edgesfu::loadgen {

class OpusLoop {
 public:
  static constexpr int kFrameMs = 20;
  static constexpr uint32_t kClockRate = 48000;
  static constexpr uint32_t kSamplesPerFrame = kClockRate / 1000 * kFrameMs;
  // Encodes the loop at `bitrate` bit/s (libopus, VOIP application).
  static Result<OpusLoop> encode(int bitrate);
  std::size_t frames() const { return frames_.size(); }
  std::span<const uint8_t> frame(std::size_t i) const { return frames_[i % frames_.size()]; }

 private:
  std::vector<std::vector<uint8_t>> frames_;
};

// Splits one video frame of `bytes` bytes into RTP payloads of at most
// `max_payload` bytes (descriptor included). Payload sizes only: the sender
// fills them in with vp8_payload().
std::vector<std::size_t> vp8_packet_sizes(std::size_t bytes, std::size_t max_payload);

// Writes one VP8 RTP payload of `out.size()` bytes: the 1-byte payload
// descriptor (S set on the frame's first packet), on a first packet the frame
// header (key frame: frame tag, start code 9d 01 2a, 640x360), then filler.
void vp8_payload(std::span<uint8_t> out, bool first, bool key_frame, uint32_t frame_number);

}  // namespace edgesfu::loadgen
