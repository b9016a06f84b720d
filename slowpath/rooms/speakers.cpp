#include "slowpath/rooms/speakers.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace edgesfu::sp::rooms {

namespace {

double linear(double db) { return std::pow(10.0, -db / 20.0); }

constexpr float kLevelStep = 0.05F;        // a smaller move is not news
constexpr int64_t kForgetUs = 10'000'000;  // a track silent this long is forgotten

}  // namespace

AudioLevel::AudioLevel(const AudioConfig& c) : cfg_(c), threshold_(linear(c.active_level)) {
  if (c.smooth_intervals > 0) smooth_ = 2.0 / (static_cast<double>(c.smooth_intervals) + 1.0);
}

void AudioLevel::observe(uint8_t loudest, uint32_t active_ms, uint32_t observed_ms,
                         int64_t now_us) {
  last_us_ = now_us;
  const uint32_t window = std::max<uint32_t>(observed_ms, 1);
  const uint32_t min_active = cfg_.min_percentile * window / 100;
  if (active_ms == 0 || active_ms < min_active) {
    level_ = 0;
    return;
  }
  // Weighted by the active part of the window: 0 dB when active throughout.
  const double weight = 20.0 * std::log10(static_cast<double>(active_ms) / window);
  const double lin = linear(static_cast<double>(loudest) - weight);
  level_ += (lin - level_) * smooth_;
}

double AudioLevel::level(int64_t now_us) const {
  const int64_t stale = 2 * static_cast<int64_t>(cfg_.update_interval_ms) * 1000;
  if (last_us_ == 0 || now_us - last_us_ > stale) return 0;
  return level_;
}

void Speakers::observe(const TrackRef& t, uint8_t loudest, uint32_t active_ms, uint32_t observed_ms,
                       int64_t now_us) {
  auto it = tracks_.try_emplace(key(t), cfg_).first;
  it->second.observe(loudest, active_ms, observed_ms, now_us);
}

std::pair<double, bool> Speakers::level(const TrackRef& t, int64_t now_us) const {
  const auto it = tracks_.find(key(t));
  if (it == tracks_.end()) return {0.0, false};
  return {it->second.level(now_us), it->second.active(now_us)};
}

std::vector<SpeakerChange> Speakers::changes(
    const std::string& room, const std::map<std::string, std::pair<double, bool>>& now) {
  std::map<std::string, float>& told = sent_[room];
  std::vector<SpeakerChange> out;
  for (const auto& [sid, lv] : now) {
    if (!lv.second) continue;
    const auto level = static_cast<float>(lv.first);
    const auto it = told.find(sid);
    if (it == told.end() || std::fabs(it->second - level) >= kLevelStep) {
      out.push_back({sid, level, true});
      told[sid] = level;
    }
  }
  for (auto it = told.begin(); it != told.end();) {
    const auto n = now.find(it->first);
    if (n == now.end() || !n->second.second) {
      out.push_back({it->first, 0.0F, false});
      it = told.erase(it);
    } else {
      ++it;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const SpeakerChange& a, const SpeakerChange& b) {
    return a.level > b.level;
  });
  return out;
}

void Speakers::sweep(int64_t now_us, const std::vector<std::string>& live_rooms) {
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    it = now_us - it->second.last_us() > kForgetUs ? tracks_.erase(it) : std::next(it);
  }
  const std::set<std::string> live(live_rooms.begin(), live_rooms.end());
  for (auto it = sent_.begin(); it != sent_.end();) {
    it = live.count(it->first) == 0 ? sent_.erase(it) : std::next(it);
  }
}

}  // namespace edgesfu::sp::rooms
