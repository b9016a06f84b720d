// Active speakers: the fast path's level windows (rtcp::AudioLevelWindow)
// and the slow path's smoothing and room changes (rooms::Speakers), with
// LiveKit's defaults (active_level 35, min_percentile 40, 400 ms, 2 windows).
#include <gtest/gtest.h>

#include <cmath>

#include "dataplane/rtcp/audio_level.hpp"
#include "slowpath/rooms/speakers.hpp"

namespace edgesfu::sp::rooms {
namespace {

using dp::rtcp::AudioLevelWindow;
constexpr int64_t kMs = 1000;

TEST(AudioLevelWindow, CountsTimeFromTimestampsAndReportsFullWindows) {
  AudioLevelWindow w;
  uint32_t ts = 1000;
  int full = 0;
  // 20 packets of 20 ms (960 ticks at 48 kHz): the window fills at the 20th.
  for (int i = 0; i < 20; ++i) {
    const bool done = w.observe(i < 12 ? 20 : 90, ts, 48000, 35, 400);
    ts += 960;
    full += done ? 1 : 0;
    if (i < 19) {
      EXPECT_FALSE(done) << i;
    }
  }
  EXPECT_EQ(full, 1);
  EXPECT_EQ(w.observed_ms, 400);
  EXPECT_EQ(w.active_ms, 240);  // the 12 packets at level 20 (louder than 35)
  EXPECT_EQ(w.loudest, 20);
  w.reset();
  EXPECT_EQ(w.loudest, AudioLevelWindow::kSilent);
  // A jump (DTX, a restart) counts as one ordinary packet; the V bit is ignored.
  w.observe(0x80 | 10, ts + 48000 * 5, 48000, 35, 400);
  EXPECT_EQ(w.observed_ms, 20);
  EXPECT_EQ(w.loudest, 10);
}

TEST(Speakers, LevelsFollowLiveKitsFormula) {
  AudioLevel l(AudioConfig{});
  EXPECT_EQ(l.level(0), 0.0);
  // Active throughout at 20: linear 10^-1 = 0.1, smoothed by 2/3 per window.
  l.observe(20, 400, 400, 1000 * kMs);
  EXPECT_NEAR(l.level(1000 * kMs), 0.1 * 2 / 3, 1e-9);
  EXPECT_TRUE(l.active(1000 * kMs));  // above 10^(-35/20) = 0.0178
  l.observe(20, 400, 400, 1400 * kMs);
  EXPECT_NEAR(l.level(1400 * kMs), 0.1 * 2 / 3 + (0.1 - 0.1 * 2 / 3) * 2 / 3, 1e-9);
  // Active for half the window: the loudest level counts 6 dB lower.
  AudioLevel h(AudioConfig{});
  h.observe(20, 200, 400, 1000 * kMs);
  EXPECT_NEAR(h.level(1000 * kMs), std::pow(10.0, -(20 + 20 * std::log10(2.0)) / 20) * 2 / 3, 1e-9);
  // Under min_percentile (40 % of 400 ms = 160 ms): silence.
  h.observe(20, 150, 400, 1400 * kMs);
  EXPECT_EQ(h.level(1400 * kMs), 0.0);
  EXPECT_FALSE(h.active(1400 * kMs));
  // No window for two intervals: stale, 0.
  EXPECT_GT(l.level(2200 * kMs), 0.0);
  EXPECT_EQ(l.level(2201 * kMs), 0.0);
}

TEST(Speakers, RoomChangesNameStartsStopsAndMoves) {
  Speakers s(AudioConfig{});
  const TrackRef a{0, 1, 1}, b{0, 2, 1};
  s.observe(a, 10, 400, 400, 1000 * kMs);
  s.observe(b, 30, 400, 400, 1000 * kMs);
  auto now = [&](int64_t t) {
    std::map<std::string, std::pair<double, bool>> m;
    const auto la = s.level(a, t), lb = s.level(b, t);
    m["PA_a"] = la;
    m["PA_b"] = lb;
    return m;
  };
  auto c = s.changes("r", now(1000 * kMs));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].sid, "PA_a");  // loudest first
  EXPECT_TRUE(c[0].active && c[1].active);
  EXPECT_TRUE(s.changes("r", now(1000 * kMs)).empty());  // nothing new
  // a grows louder by more than 0.05; b stops (its track goes stale).
  s.observe(a, 0, 400, 400, 1400 * kMs);
  s.observe(a, 0, 400, 400, 1800 * kMs);
  c = s.changes("r", now(1900 * kMs));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].sid, "PA_a");
  EXPECT_TRUE(c[0].active);
  EXPECT_EQ(c[1].sid, "PA_b");
  EXPECT_FALSE(c[1].active);
  EXPECT_EQ(c[1].level, 0.0F);
  // Another room has its own state; forgotten rooms and tracks go.
  EXPECT_EQ(s.changes("other", now(1801 * kMs)).size(), 1u);
  s.sweep(30'000 * kMs, {"r"});
  EXPECT_EQ(s.level(a, 30'000 * kMs).first, 0.0);
}

}  // namespace
}  // namespace edgesfu::sp::rooms
