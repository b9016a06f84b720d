#include "tools/loadgen/media_source.hpp"

#include <opus/opus.h>

#include <cmath>
#include <numbers>

namespace edgesfu::loadgen {

Result<OpusLoop> OpusLoop::encode(int bitrate) {
  int err = 0;
  OpusEncoder* enc = opus_encoder_create(static_cast<opus_int32>(kClockRate), 1, OPUS_APPLICATION_VOIP, &err);
  if (enc == nullptr || err != OPUS_OK) {
    return make_error(std::string("loadgen: opus_encoder_create: ") + opus_strerror(err));
  }
  if (opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitrate)) != OPUS_OK) {
    opus_encoder_destroy(enc);
    return make_error("loadgen: Opus bit rate " + std::to_string(bitrate) + " refused");
  }
  OpusLoop loop;
  constexpr int kSeconds = 6;
  constexpr int kFrames = kSeconds * 1000 / kFrameMs;
  std::vector<opus_int16> pcm(kSamplesPerFrame);
  std::vector<uint8_t> buf(1500);
  uint32_t noise = 0x12345678;
  const double two_pi = 2 * std::numbers::pi;
  double phase = 0;
  for (int f = 0; f < kFrames; ++f) {
    for (uint32_t i = 0; i < kSamplesPerFrame; ++i) {
      const double t = (f * static_cast<double>(kSamplesPerFrame) + i) / kClockRate;
      // Syllables at ~4 Hz, a pause of 0.5 s every 2 s, pitch 140 Hz +-10%.
      const double syl = std::max(0.0, std::sin(two_pi * 4 * t));
      const double speaking = std::fmod(t, 2.0) < 1.5 ? 1.0 : 0.0;
      const double pitch = 140 * (1 + 0.1 * std::sin(two_pi * 0.7 * t));
      phase += two_pi * pitch / kClockRate;
      double v = 0;
      for (int h = 1; h <= 8; ++h) v += std::sin(phase * h) / h;  // voiced: harmonics
      noise = noise * 1664525u + 1013904223u;
      const double n = (static_cast<double>(noise >> 8) / (1 << 24) - 0.5) * 0.05;
      pcm[i] = static_cast<opus_int16>(std::lround(8000 * (v * syl * speaking * 0.6 + n)));
    }
    const opus_int32 n = opus_encode(enc, pcm.data(), static_cast<int>(kSamplesPerFrame), buf.data(),
                                     static_cast<opus_int32>(buf.size()));
    if (n < 0) {
      opus_encoder_destroy(enc);
      return make_error(std::string("loadgen: opus_encode: ") + opus_strerror(n));
    }
    loop.frames_.emplace_back(buf.begin(), buf.begin() + n);
  }
  opus_encoder_destroy(enc);
  return loop;
}

std::vector<std::size_t> vp8_packet_sizes(std::size_t bytes, std::size_t max_payload) {
  std::vector<std::size_t> out;
  if (max_payload < 2) return out;
  const std::size_t per = max_payload - 1;  // the descriptor byte
  const std::size_t n = bytes == 0 ? 1 : (bytes + per - 1) / per;
  // Even sizes, as an encoder's packetizer makes them.
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t share = bytes / n + (i < bytes % n ? 1 : 0);
    out.push_back(share + 1);
  }
  return out;
}

void vp8_payload(std::span<uint8_t> out, bool first, bool key_frame, uint32_t frame_number) {
  if (out.empty()) return;
  out[0] = first ? 0x10 : 0x00;  // X=0 R=0 N=0 S=first PID=0 (RFC 7741 §4.2)
  std::size_t at = 1;
  if (first && out.size() >= 11) {
    // RFC 6386 §9.1 frame tag: bit 0 = !key_frame, version 0, show_frame 1,
    // first partition size (19 bits) set to the rest of this packet.
    const uint32_t part = static_cast<uint32_t>(out.size() - 11);
    const uint32_t tag = (key_frame ? 0u : 1u) | (1u << 4) | ((part & 0x7FFFF) << 5);
    out[1] = static_cast<uint8_t>(tag);
    out[2] = static_cast<uint8_t>(tag >> 8);
    out[3] = static_cast<uint8_t>(tag >> 16);
    at = 4;
    if (key_frame) {
      const uint8_t hdr[7] = {0x9d, 0x01, 0x2a, 640 & 0xFF, 640 >> 8, 360 & 0xFF, 360 >> 8};
      for (uint8_t b : hdr) out[at++] = b;
    }
  }
  for (; at < out.size(); ++at) out[at] = static_cast<uint8_t>(frame_number * 31 + at);
}

}  // namespace edgesfu::loadgen
