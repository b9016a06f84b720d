#include <gtest/gtest.h>

#include <vector>

#include "dataplane/rtcp/nack_tracker.hpp"

namespace edgesfu::dp::rtcp {
namespace {

std::vector<uint16_t> due(NackTracker& n, uint64_t now_us, uint32_t& gave_up) {
  uint16_t out[64];
  const std::size_t k = n.due(now_us, out, gave_up);
  return {out, out + k};
}

TEST(NackTracker, GapAskedAfterFirstDelayThenRetriedUntilGivenUp) {
  NackParams p;
  p.first_delay_us = 10'000;
  p.retry_us = 50'000;
  p.max_tries = 3;
  NackTracker n(p);
  uint32_t gave_up = 0;
  EXPECT_EQ(n.on_packet(100, 0), NackTracker::Arrival::kNew);
  EXPECT_EQ(n.on_packet(103, 1'000), NackTracker::Arrival::kNew);  // 101, 102 missing
  EXPECT_EQ(n.missing(), 2);
  EXPECT_TRUE(due(n, 5'000, gave_up).empty());  // reordering allowance
  EXPECT_EQ(due(n, 11'000, gave_up), (std::vector<uint16_t>{101, 102}));
  EXPECT_TRUE(due(n, 30'000, gave_up).empty());  // not yet a round trip
  EXPECT_EQ(due(n, 61'000, gave_up), (std::vector<uint16_t>{101, 102}));
  EXPECT_EQ(due(n, 111'000, gave_up), (std::vector<uint16_t>{101, 102}));
  // Three tries made: the next time they are given up on.
  EXPECT_TRUE(due(n, 161'000, gave_up).empty());
  EXPECT_EQ(gave_up, 2u);
  EXPECT_EQ(n.missing(), 0);
  // One given up on that arrives after all is old, not recovered.
  EXPECT_EQ(n.on_packet(101, 170'000), NackTracker::Arrival::kOld);
}

TEST(NackTracker, RecoveredPacketsAreNotAskedForAgain) {
  NackTracker n;
  uint32_t gave_up = 0;
  n.on_packet(65534, 0);
  n.on_packet(3, 0);  // 65535, 0, 1, 2 missing across the wrap
  EXPECT_EQ(n.missing(), 4);
  EXPECT_EQ(n.on_packet(0, 2'000), NackTracker::Arrival::kRecovered);  // reordered
  EXPECT_EQ(n.on_packet(0, 2'500), NackTracker::Arrival::kOld);        // its duplicate
  EXPECT_EQ(due(n, 20'000, gave_up), (std::vector<uint16_t>{65535, 1, 2}));
  EXPECT_EQ(n.on_packet(65535, 30'000), NackTracker::Arrival::kRecovered);
  EXPECT_EQ(n.on_packet(2, 30'000), NackTracker::Arrival::kRecovered);
  EXPECT_EQ(due(n, 100'000, gave_up), (std::vector<uint16_t>{1}));
  EXPECT_EQ(n.on_packet(1, 110'000), NackTracker::Arrival::kRecovered);
  EXPECT_EQ(n.missing(), 0);
  EXPECT_EQ(gave_up, 0u);
}

TEST(NackTracker, WhatCouldStillBeDue) {
  NackTracker n;
  EXPECT_FALSE(n.could_be_due(5));  // nothing seen yet
  n.on_packet(65530, 0);
  EXPECT_TRUE(n.could_be_due(65531));
  EXPECT_TRUE(n.could_be_due(static_cast<uint16_t>(65530 + NackTracker::kCapacity)));
  EXPECT_FALSE(n.could_be_due(static_cast<uint16_t>(65530 + NackTracker::kCapacity + 1)));
  EXPECT_TRUE(n.could_be_due(65000));  // older: on_packet tells whether it is missing
}

TEST(NackTracker, AJumpIsARestartNotLoss) {
  NackTracker n;
  uint32_t gave_up = 0;
  n.on_packet(1000, 0);
  n.on_packet(1002, 0);  // 1001 missing
  n.on_packet(static_cast<uint16_t>(1002 + NackTracker::kCapacity + 2), 0);
  EXPECT_EQ(n.missing(), 0);
  EXPECT_TRUE(due(n, 1'000'000, gave_up).empty());
  // An old packet from before the jump is just old.
  EXPECT_EQ(n.on_packet(1001, 0), NackTracker::Arrival::kOld);
}

TEST(NackTracker, FullQueueLetsTheOldestGo) {
  NackTracker n;
  uint32_t gave_up = 0;
  uint16_t seq = 0;
  n.on_packet(seq, 0);
  // Gaps of 2 (one missing each) until more are missing than it holds.
  for (int i = 0; i < NackTracker::kCapacity + 10; ++i) {
    seq = static_cast<uint16_t>(seq + 2);
    n.on_packet(seq, 0);
  }
  EXPECT_EQ(n.missing(), NackTracker::kCapacity);
  uint16_t out[NackTracker::kCapacity];
  EXPECT_EQ(n.due(20'000, out, gave_up), NackTracker::kCapacity);
  EXPECT_EQ(out[0], 21);  // 1, 3, ... 19 were let go
  EXPECT_EQ(out[NackTracker::kCapacity - 1], static_cast<uint16_t>(seq - 1));
  // What was let go is old when it comes.
  EXPECT_EQ(n.on_packet(1, 30'000), NackTracker::Arrival::kOld);
  EXPECT_EQ(n.on_packet(21, 30'000), NackTracker::Arrival::kRecovered);
}

TEST(NackTracker, OutputBoundedAndTooOldGivenUp) {
  NackParams p;
  p.max_age_us = 100'000;
  NackTracker n(p);
  uint32_t gave_up = 0;
  n.on_packet(0, 0);
  n.on_packet(11, 0);  // 1..10 missing
  uint16_t out[4];
  EXPECT_EQ(n.due(20'000, out, gave_up), 4u);  // the first 4 now
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(n.due(20'000, out, gave_up), 4u);  // the next 4
  EXPECT_EQ(out[0], 5);
  EXPECT_EQ(n.due(20'000, out, gave_up), 2u);
  EXPECT_EQ(out[1], 10);
  EXPECT_EQ(n.due(200'000, out, gave_up), 0u);  // all too old by then
  EXPECT_EQ(gave_up, 10u);
  EXPECT_EQ(n.missing(), 0);
  n.reset();
  EXPECT_EQ(n.on_packet(5, 0), NackTracker::Arrival::kNew);
}

}  // namespace
}  // namespace edgesfu::dp::rtcp
