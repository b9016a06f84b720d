// Which simulcast layer of a track is forwarded: the best one flowing. A
// packet of a better layer, or of any layer once the current one has stopped
// (the browser pauses its upper layers when its bandwidth estimate drops),
// switches to it at a keyframe; until one comes the layer is asked for it.
// Pure state and decision (no DPDK); owned by the track's lcore.
#pragma once

#include <cstdint>

namespace edgesfu::dp::fanout {

inline constexpr uint8_t kNoLayer = 0xff;

enum class LayerVerdict : uint8_t {
  kForward,       // the layer forwarded
  kSwitch,        // forwarded, and from now on this layer (a keyframe starts it)
  kSkip,          // a worse layer than the one flowing
  kWantKeyframe,  // the layer to switch to, but no keyframe: ask for one
};

template <int Layers>
class LayerSelector {
 public:
  // A layer not heard from for this long has stopped.
  static constexpr uint64_t kStaleUs = 600'000;

  // A packet of `layer` (< Layers, higher is better) arrived at `now_us`;
  // `keyframe` when it starts a keyframe (or the codec's keyframes cannot be
  // seen: then a switch happens at once).
  LayerVerdict on_packet(uint8_t layer, uint64_t now_us, bool keyframe) {
    seen_us_[layer] = now_us;
    if (layer == current_) return LayerVerdict::kForward;
    const bool current_alive = current_ != kNoLayer && now_us - seen_us_[current_] < kStaleUs;
    if (current_alive && layer < current_) return LayerVerdict::kSkip;
    if (!keyframe) return LayerVerdict::kWantKeyframe;
    current_ = layer;
    return LayerVerdict::kSwitch;
  }

  uint8_t current() const { return current_; }
  void reset() { *this = LayerSelector(); }

 private:
  uint8_t current_ = kNoLayer;
  uint64_t seen_us_[Layers] = {};
};

}  // namespace edgesfu::dp::fanout
