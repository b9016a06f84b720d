// Connection quality (rooms::mos, quality_of, Qualities): the E-model score
// from loss, jitter and round trip, LiveKit's three levels, staleness.
#include <gtest/gtest.h>

#include "slowpath/rooms/quality.hpp"

namespace edgesfu::sp::rooms {
namespace {

TEST(Quality, ScoresFollowLossAndDelay) {
  const double clean = mos({0, 0, 0, 0});
  EXPECT_NEAR(clean, 4.41, 0.01);
  EXPECT_EQ(quality_of(clean), QualityLevel::kExcellent);
  // 10 % loss either way: GOOD; 30 %: POOR; the worse direction counts.
  const double ten = mos({26, 0, 0, 0});
  EXPECT_NEAR(ten, 3.48, 0.01);
  EXPECT_EQ(quality_of(ten), QualityLevel::kGood);
  EXPECT_EQ(mos({0, 26, 0, 0}), ten);
  EXPECT_EQ(quality_of(mos({77, 5, 0, 0})), QualityLevel::kPoor);
  // 400 ms round trip and 50 ms jitter, no loss: GOOD, not EXCELLENT.
  const double slow = mos({0, 0, 50, 400});
  EXPECT_NEAR(slow, 3.79, 0.01);
  EXPECT_EQ(quality_of(slow), QualityLevel::kGood);
  // Bounded whatever the input.
  EXPECT_GE(mos({255, 255, 65535, 65535}), 1.0);
  EXPECT_LE(mos({0, 0, 0, 0}), 4.5);
}

TEST(Quality, ReportsGoStale) {
  Qualities q;
  double s = 0;
  EXPECT_FALSE(q.score(1, 2, 0, s));
  q.report(1, 2, {0, 0, 0, 0}, 1'000'000);
  ASSERT_TRUE(q.score(1, 2, 11'000'000, s));
  EXPECT_NEAR(s, 4.41, 0.01);
  EXPECT_FALSE(q.score(1, 3, 1'000'000, s));  // another participant
  EXPECT_FALSE(q.score(1, 2, 11'000'001, s));
  q.sweep(11'000'001);
  EXPECT_FALSE(q.score(1, 2, 1'000'000, s));
}

}  // namespace
}  // namespace edgesfu::sp::rooms
