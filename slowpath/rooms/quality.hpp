// Connection quality per participant (LiveKit's ConnectionQuality: POOR,
// GOOD, EXCELLENT, with a score), from what the fast path measured over its
// last report interval: the loss of the media the participant sends us, the
// loss, jitter and round trip its receiver reports gave for what we send it.
// The score is a mean opinion score by the ITU-T G.107 E-model reduced to
// delay (round trip / 2 + twice the jitter) and loss, as WebRTC quality
// scores commonly are: 4.5 best, 1 worst; EXCELLENT from 4.0, GOOD from 3.0.
// Pure; slow-path thread only.
#pragma once

#include <cstdint>
#include <map>
#include <utility>

namespace edgesfu::sp::rooms {

struct QualityReport {
  uint8_t loss_in = 0, loss_out = 0;  // RFC 3550 fractions (/256)
  uint16_t jitter_ms = 0, rtt_ms = 0;
};

enum class QualityLevel { kPoor = 0, kGood = 1, kExcellent = 2 };  // LiveKit's numbers

double mos(const QualityReport& r);
QualityLevel quality_of(double mos);

// The last report of each participant, by room key and participant number.
class Qualities {
 public:
  void report(uint64_t room, uint32_t number, const QualityReport& r, int64_t now_us) {
    last_[{room, number}] = {r, now_us};
  }
  // The participant's score, or none when no report came for 10 s.
  bool score(uint64_t room, uint32_t number, int64_t now_us, double& out) const;
  // Forgets reports older than 10 s.
  void sweep(int64_t now_us);

 private:
  std::map<std::pair<uint64_t, uint32_t>, std::pair<QualityReport, int64_t>> last_;
};

}  // namespace edgesfu::sp::rooms
