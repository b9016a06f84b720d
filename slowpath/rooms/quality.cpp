#include "slowpath/rooms/quality.hpp"

#include <algorithm>

namespace edgesfu::sp::rooms {

namespace {
constexpr int64_t kStaleUs = 10'000'000;
}

double mos(const QualityReport& r) {
  const double loss_pct = std::max(r.loss_in, r.loss_out) * 100.0 / 256.0;
  const double delay = r.rtt_ms / 2.0 + 2.0 * r.jitter_ms + 10.0;
  double rf = 93.2 - (delay < 160 ? delay / 40.0 : (delay - 120.0) / 10.0) - 2.5 * loss_pct;
  rf = std::clamp(rf, 0.0, 100.0);
  const double m = 1 + 0.035 * rf + 7e-6 * rf * (rf - 60) * (100 - rf);
  return std::clamp(m, 1.0, 4.5);
}

QualityLevel quality_of(double m) {
  if (m >= 4.0) return QualityLevel::kExcellent;
  if (m >= 3.0) return QualityLevel::kGood;
  return QualityLevel::kPoor;
}

bool Qualities::score(uint64_t room, uint32_t number, int64_t now_us, double& out) const {
  const auto it = last_.find({room, number});
  if (it == last_.end() || now_us - it->second.second > kStaleUs) return false;
  out = mos(it->second.first);
  return true;
}

void Qualities::sweep(int64_t now_us) {
  for (auto it = last_.begin(); it != last_.end();) {
    it = now_us - it->second.second > kStaleUs ? last_.erase(it) : std::next(it);
  }
}

}  // namespace edgesfu::sp::rooms
