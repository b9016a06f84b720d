#include <gtest/gtest.h>

#include "dataplane/punt/token_bucket.hpp"

namespace edgesfu::dp::punt {
namespace {

constexpr uint64_t kHz = 1'000'000;  // a microsecond clock

TEST(TokenBucketTest, BurstThenRate) {
  TokenBucket b(100, 10, kHz, 0);  // 100/s, burst 10
  int taken = 0;
  for (int i = 0; i < 50; ++i) taken += b.take(0);
  EXPECT_EQ(taken, 10);  // the burst, then empty
  EXPECT_FALSE(b.take(9'999));  // 9.999 ms: not yet one token
  EXPECT_TRUE(b.take(10'000));  // 10 ms: one token
  EXPECT_FALSE(b.take(10'000));
  // One second later: 100 earned, capped at the burst.
  taken = 0;
  for (int i = 0; i < 50; ++i) taken += b.take(1'010'000);
  EXPECT_EQ(taken, 10);
}

TEST(TokenBucketTest, RemainderIsNotLostToRounding) {
  TokenBucket b(3, 1, kHz, 0);  // one token every 333,333.3 us
  ASSERT_TRUE(b.take(0));
  int taken = 0;
  // Poll every 1 ms for 10 s: exactly 30 tokens, not fewer.
  for (uint64_t t = 1000; t <= 10'000'000; t += 1000) taken += b.take(t);
  EXPECT_EQ(taken, 30);
}

TEST(TokenBucketTest, ZeroRateOnlyTheBurst) {
  TokenBucket b(0, 2, kHz, 0);
  EXPECT_TRUE(b.take(0));
  EXPECT_TRUE(b.take(5'000'000));
  EXPECT_FALSE(b.take(50'000'000));
}

TEST(TokenBucketTest, ClockGoingBackIsHarmless) {
  TokenBucket b(10, 1, kHz, 1'000'000);
  EXPECT_TRUE(b.take(1'000'000));
  EXPECT_FALSE(b.take(500'000));
  EXPECT_TRUE(b.take(1'100'000));
}

}  // namespace
}  // namespace edgesfu::dp::punt
