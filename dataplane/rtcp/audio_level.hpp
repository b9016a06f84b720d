// One audio track's RFC 6464 levels over an observation window, as LiveKit
// measures speakers: how long the track was at or above the active level
// (0 loudest .. 127 silent: "above" means a smaller number), and the loudest
// level in that time. The fast path fills a window per track from the
// level extension of each packet and reports it to the slow path when full;
// the slow path smooths the reports and decides who speaks. Pure; one owner.
#pragma once

#include <cstdint>

namespace edgesfu::dp::rtcp {

struct AudioLevelWindow {
  static constexpr uint8_t kSilent = 127;

  uint16_t observed_ms = 0;
  uint16_t active_ms = 0;
  uint8_t loudest = kSilent;
  bool have_ts = false;
  uint32_t last_ts = 0;

  // One packet of RTP timestamp `ts` at `level`; the time it covers comes
  // from the timestamp step (20 ms when unknown or implausible, e.g. after
  // DTX or a restart). True when `window_ms` have been observed: the caller
  // reports the window, then resets it.
  bool observe(uint8_t level, uint32_t ts, uint32_t clock_rate, uint8_t active_level,
               uint16_t window_ms) {
    uint32_t ms = 20;
    if (have_ts && clock_rate >= 1000) {
      const uint32_t d = (ts - last_ts) / (clock_rate / 1000);
      if (d != 0 && d <= 120) ms = d;
    }
    have_ts = true;
    last_ts = ts;
    observed_ms = static_cast<uint16_t>(observed_ms + ms);
    level &= 0x7f;
    if (level <= active_level) {
      active_ms = static_cast<uint16_t>(active_ms + ms);
      if (level < loudest) loudest = level;
    }
    return observed_ms >= window_ms;
  }

  void reset() {
    observed_ms = active_ms = 0;
    loudest = kSilent;
  }
};

}  // namespace edgesfu::dp::rtcp
