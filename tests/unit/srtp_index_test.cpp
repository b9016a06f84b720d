// SRTP index estimation (RFC 3711 §3.3.1) and the replay windows.
#include <gtest/gtest.h>

#include "dataplane/srtp/srtp_index.hpp"

namespace edgesfu::dp::srtp {
namespace {

uint64_t idx(uint32_t roc, uint16_t seq) { return static_cast<uint64_t>(roc) << 16 | seq; }

TEST(SrtpIndex, FirstPacketsTakeRocZero) {
  EXPECT_EQ(estimate_index(0, 65000), 65000u);
  EXPECT_EQ(estimate_index(100, 40000), 40000u);
  EXPECT_EQ(estimate_index(32768, 5), 5u);
}

TEST(SrtpIndex, RollsOverForwardAndBack) {
  EXPECT_EQ(estimate_index(idx(0, 65530), 3), idx(1, 3));         // wrapped forward
  EXPECT_EQ(estimate_index(idx(1, 3), 65530), idx(0, 65530));      // a late one from before
  EXPECT_EQ(estimate_index(idx(7, 40000), 40100), idx(7, 40100));  // ordinary
  EXPECT_EQ(estimate_index(idx(7, 100), 200), idx(7, 200));
  EXPECT_EQ(estimate_index(idx(7, 100), 60000), idx(6, 60000));
  EXPECT_EQ(estimate_index(idx(7, 50000), 10000), idx(8, 10000));
  EXPECT_EQ(estimate_index(idx(0xffff, 65535), 0), idx(0x10000, 0));
}

TEST(ReplayWindow, NewSeenAndTooOld) {
  ReplayWindow<1024> w;
  EXPECT_EQ(w.check(500, 1024), ReplayVerdict::kNew);
  w.add(500);
  EXPECT_EQ(w.check(500, 1024), ReplayVerdict::kSeen);
  EXPECT_EQ(w.check(499, 1024), ReplayVerdict::kNew);
  w.add(499);
  EXPECT_EQ(w.check(499, 1024), ReplayVerdict::kSeen);
  w.add(2000);  // a jump of more than a word and less than the window
  EXPECT_EQ(w.check(500, 1024), ReplayVerdict::kTooOld);
  EXPECT_EQ(w.check(2000 - 1023, 1024), ReplayVerdict::kNew);
  EXPECT_EQ(w.check(2000 - 1024, 1024), ReplayVerdict::kTooOld);
  EXPECT_EQ(w.check(1999, 64), ReplayVerdict::kNew);
  EXPECT_EQ(w.check(1900, 64), ReplayVerdict::kTooOld);  // a smaller configured window
  w.add(1990);
  w.add(2070);  // shift by 70: bits move across words
  EXPECT_EQ(w.check(1990, 1024), ReplayVerdict::kSeen);
  EXPECT_EQ(w.check(2000, 1024), ReplayVerdict::kSeen);
  EXPECT_EQ(w.check(1995, 1024), ReplayVerdict::kNew);
  w.add(100000);  // beyond the window: everything before is too old
  EXPECT_EQ(w.check(2070, 1024), ReplayVerdict::kTooOld);
  EXPECT_EQ(w.check(100000, 1024), ReplayVerdict::kSeen);
}

TEST(ReplayWindow, MatchesABruteForceModel) {
  ReplayWindow<128> w;
  std::vector<bool> seen(5000, false);
  uint64_t highest = 0;
  bool any = false;
  uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245u + 12345u;
    const uint64_t cand = (x >> 8) % 5000;
    ReplayVerdict want = ReplayVerdict::kNew;
    if (any && cand <= highest) {
      if (highest - cand >= 128) want = ReplayVerdict::kTooOld;
      else if (seen[cand]) want = ReplayVerdict::kSeen;
    }
    ASSERT_EQ(w.check(cand, 128), want) << i;
    if (want == ReplayVerdict::kNew) {
      w.add(cand);
      seen[cand] = true;
      if (!any || cand > highest) highest = cand;
      any = true;
    }
  }
}

}  // namespace
}  // namespace edgesfu::dp::srtp
