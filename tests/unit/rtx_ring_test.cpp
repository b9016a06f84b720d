#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "dataplane/nack_cache/rtx_ring.hpp"

namespace edgesfu::dp::nack_cache {
namespace {

// A handle is an int; the test counts references like mbuf refcounts.
struct Refs {
  std::map<int, int> held;
};
struct Release {
  Refs* r;
  void operator()(int h) const { --r->held[h]; }
};

class RtxRingTest : public ::testing::Test {
 protected:
  int take(int h) {
    ++refs.held[h];
    return h;
  }
  int outstanding() const {
    int n = 0;
    for (auto& [h, c] : refs.held) n += c;
    return n;
  }
  Refs refs;
};

TEST_F(RtxRingTest, HoldsTheLastDepthPackets) {
  RtxRing<int, Release> ring(8, Release{&refs});
  EXPECT_EQ(ring.capacity(), 8u);
  for (int s = 0; s < 20; ++s) ring.put(static_cast<uint16_t>(s), take(s));
  EXPECT_EQ(outstanding(), 8);  // 12 evicted and released
  int h = -1;
  EXPECT_FALSE(ring.get(11, h));
  ASSERT_TRUE(ring.get(12, h));
  EXPECT_EQ(h, 12);
  ASSERT_TRUE(ring.get(19, h));
  EXPECT_FALSE(ring.get(20, h));  // not yet received
}

// A shared budget narrows the window: the newest `keep` packets, the rest
// released now and as the window moves (jumps, wraps and late packets too).
TEST_F(RtxRingTest, KeepNarrowsTheWindowAndReleasesTheRest) {
  RtxRing<int, Release> ring(16, Release{&refs});
  for (int s = 0; s < 16; ++s) ring.put(static_cast<uint16_t>(s), take(s));
  EXPECT_EQ(outstanding(), 16);
  ring.set_keep(4);
  EXPECT_EQ(ring.keep(), 4u);
  EXPECT_EQ(outstanding(), 4);  // 12-15
  int h = -1;
  EXPECT_FALSE(ring.get(11, h));
  EXPECT_TRUE(ring.get(12, h));
  for (int s = 16; s < 40; ++s) ring.put(static_cast<uint16_t>(s), take(s));
  EXPECT_EQ(outstanding(), 4);  // 36-39
  EXPECT_FALSE(ring.get(35, h));
  EXPECT_TRUE(ring.get(36, h));
  EXPECT_FALSE(ring.put(30, take(30)));   // late, and older than the kept window
  EXPECT_TRUE(ring.put(37, take(1037)));  // a duplicate in the window replaces
  ring.put(45, take(45));                 // a gap: 36-41 fall out
  EXPECT_EQ(outstanding(), 1);            // 45 (42-44 never came)
  ring.put(20045, take(20045));           // far ahead: everything goes
  for (int s = 20046; s < 20054; ++s) ring.put(static_cast<uint16_t>(s), take(s));
  EXPECT_EQ(outstanding(), 4);  // 20050-20053
  ring.set_keep(64);            // at most the capacity
  EXPECT_EQ(ring.keep(), 16u);
  for (int s = 20054; s < 20086; ++s) ring.put(static_cast<uint16_t>(s), take(s));
  EXPECT_EQ(outstanding(), 16);
  ring.set_keep(0);  // nothing kept
  EXPECT_EQ(outstanding(), 0);
  EXPECT_FALSE(ring.put(20086, take(20086)));
  EXPECT_EQ(outstanding(), 0);
  // Kept again: the ring starts afresh from whatever comes (even "older"
  // than the last it saw: nothing is remembered from before keep 0).
  ring.set_keep(8);
  EXPECT_TRUE(ring.put(100, take(100)));
  EXPECT_TRUE(ring.get(100, h));
  EXPECT_EQ(outstanding(), 1);
}

TEST_F(RtxRingTest, WrapsAt65535) {
  RtxRing<int, Release> ring(4, Release{&refs});
  for (int s = 65533; s < 65533 + 6; ++s) ring.put(static_cast<uint16_t>(s), take(s));
  int h = -1;
  ASSERT_TRUE(ring.get(0, h));
  EXPECT_EQ(h, 65536);
  ASSERT_TRUE(ring.get(65535, h));
  EXPECT_FALSE(ring.get(65534, h));
  EXPECT_EQ(outstanding(), 4);
}

TEST_F(RtxRingTest, GapsAndLateArrivals) {
  RtxRing<int, Release> ring(16, Release{&refs});
  ring.put(100, take(100));
  ring.put(105, take(105));  // 101-104 lost
  int h = -1;
  EXPECT_FALSE(ring.get(102, h));
  ring.put(102, take(102));  // arrives late (e.g. a retransmission)
  ASSERT_TRUE(ring.get(102, h));
  EXPECT_EQ(h, 102);
  // Too old for the window: released at once, not stored.
  ring.put(200, take(200));
  EXPECT_FALSE(ring.put(150, take(150)));
  EXPECT_EQ(refs.held[150], 0);
}

TEST_F(RtxRingTest, DuplicateReplacesAndReleasesTheOld) {
  RtxRing<int, Release> ring(8, Release{&refs});
  ring.put(5, take(50));
  ring.put(5, take(51));
  EXPECT_EQ(refs.held[50], 0);
  EXPECT_EQ(refs.held[51], 1);
}

TEST_F(RtxRingTest, BigJumpReleasesEverything) {
  RtxRing<int, Release> ring(8, Release{&refs});
  for (int s = 0; s < 8; ++s) ring.put(static_cast<uint16_t>(s), take(s));
  ring.put(30000, take(30000));
  EXPECT_EQ(outstanding(), 1);
}

TEST_F(RtxRingTest, DestructionReleasesAll) {
  {
    RtxRing<int, Release> ring(8, Release{&refs});
    for (int s = 0; s < 5; ++s) ring.put(static_cast<uint16_t>(s), take(s));
  }
  EXPECT_EQ(outstanding(), 0);
}

// Over slots the caller owns (a worker's tables on its NUMA node): the same
// ring, its packets in those slots, released when it goes; the slots stay.
TEST_F(RtxRingTest, OverCallerSlotsItIsTheSameRing) {
  using Ring = RtxRing<int, Release>;
  std::vector<Ring::Slot> slots(Ring::capacity_for(12));
  ASSERT_EQ(slots.size(), 16u);
  {
    Ring ring(12, Release{&refs}, slots.data());
    EXPECT_EQ(ring.capacity(), 16u);
    for (int s = 0; s < 20; ++s) ring.put(static_cast<uint16_t>(s), take(s));
    int h = -1;
    EXPECT_FALSE(ring.get(3, h));  // out of the 16 kept
    ASSERT_TRUE(ring.get(4, h));
    EXPECT_EQ(h, 4);
    EXPECT_EQ(outstanding(), 16);
    EXPECT_TRUE(slots[19 & 15].used);
    EXPECT_EQ(slots[19 & 15].h, 19);
  }
  EXPECT_EQ(outstanding(), 0);
  EXPECT_FALSE(slots[19 & 15].used);
}

}  // namespace
}  // namespace edgesfu::dp::nack_cache
