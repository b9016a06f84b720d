// Active speakers with LiveKit's semantics (audio.active_level,
// min_percentile, update_interval, smooth_intervals): the fast path reports
// each audio track's levels one window (update_interval) at a time; a window
// counts when the track was at or above active_level for min_percentile of
// it; its loudest level, lowered by how little of the window was active,
// becomes a linear level (10^(-dB/20)) smoothed over smooth_intervals
// windows; a participant speaks while that level reaches active_level's.
// Then each room's changes (who started or stopped, levels that moved) for
// SpeakersChanged. Pure: the caller gives the time. Slow-path thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "slowpath/dp_control/refs.hpp"

namespace edgesfu::sp::rooms {

struct AudioConfig {
  uint8_t active_level = 35;  // RFC 6464 dBov as 0..127 (0 loudest)
  uint8_t min_percentile = 40;
  uint32_t update_interval_ms = 400;
  uint32_t smooth_intervals = 2;
};

// One track's smoothed level.
class AudioLevel {
 public:
  explicit AudioLevel(const AudioConfig& c);
  // One window: the loudest level while active, the active and observed time.
  void observe(uint8_t loudest, uint32_t active_ms, uint32_t observed_ms, int64_t now_us);
  // The smoothed linear level (0..1); 0 once no window came for two intervals.
  double level(int64_t now_us) const;
  bool active(int64_t now_us) const { return level(now_us) >= threshold_ && threshold_ > 0; }
  int64_t last_us() const { return last_us_; }

 private:
  AudioConfig cfg_;
  double smooth_ = 1, threshold_ = 0, level_ = 0;
  int64_t last_us_ = 0;
};

struct SpeakerChange {
  std::string sid;  // participant
  float level = 0;
  bool active = false;
};

class Speakers {
 public:
  explicit Speakers(AudioConfig c) : cfg_(c) {}
  const AudioConfig& config() const { return cfg_; }

  void observe(const TrackRef& t, uint8_t loudest, uint32_t active_ms, uint32_t observed_ms,
               int64_t now_us);
  // A track's level now, and whether it speaks (0, false when unknown).
  std::pair<double, bool> level(const TrackRef& t, int64_t now_us) const;

  // Given each participant's loudest track level now (participant sid ->
  // level, active), what changed in `room` since the last call: speakers
  // that started, stopped (level 0, inactive) or moved by 0.05 or more,
  // loudest first.
  std::vector<SpeakerChange> changes(const std::string& room,
                                     const std::map<std::string, std::pair<double, bool>>& now);
  // Forgets tracks silent for 10 s and rooms not asked about in `live_rooms`.
  void sweep(int64_t now_us, const std::vector<std::string>& live_rooms);

 private:
  static std::tuple<uint16_t, uint16_t, uint32_t> key(const TrackRef& t) {
    return {t.worker, t.slot, t.generation};
  }
  AudioConfig cfg_;
  std::map<std::tuple<uint16_t, uint16_t, uint32_t>, AudioLevel> tracks_;
  std::map<std::string, std::map<std::string, float>> sent_;  // room -> active sid -> level told
};

}  // namespace edgesfu::sp::rooms
