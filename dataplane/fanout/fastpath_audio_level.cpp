// Fastpath: audio levels (RFC 6464) of published tracks, reported to the
// control thread one window at a time for active-speaker detection.
#include <rte_ring_elem.h>

#include "dataplane/control/ring_count.hpp"
#include "dataplane/fanout/fastpath.hpp"

namespace edgesfu::dp::fanout {

void Fastpath::send_telemetry(const control::Event& ev) {
  // Single producer (this lcore); never into the room kept for releases. The
  // ring API takes a non-const pointer.
  control::Event copy = ev;
  if (control::ring_free_count(events_) <= event_release_reserve(limits_) ||
      rte_ring_sp_enqueue_elem(events_, &copy, sizeof copy) != 0) {
    stats_->media.events_lost.add(1);
  }
}

void Fastpath::observe_level(Track& t, uint16_t slot, const uint8_t* rtp, const pkt::RtpHeader& h) {
  const std::span<const uint8_t> v =
      pkt::find_extension({rtp + h.ext_offset, h.ext_len}, h.ext_profile, t.level_ext);
  if (v.empty()) return;
  if (!t.level.observe(v[0], h.timestamp, t.clock_rate, limits_.audio_active_level,
                       limits_.audio_window_ms)) {
    return;
  }
  control::Event ev{};
  ev.type = control::EventType::kAudioLevel;
  ev.slot = slot;
  ev.id = t.id;
  ev.level = t.level.loudest;
  ev.active_ms = t.level.active_ms;
  ev.observed_ms = t.level.observed_ms;
  t.level.reset();
  send_telemetry(ev);
}

}  // namespace edgesfu::dp::fanout
