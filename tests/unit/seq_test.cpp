#include <gtest/gtest.h>

#include "dataplane/pkt/seq.hpp"

namespace edgesfu::dp::pkt {
namespace {

TEST(SeqTest, NewerAcrossWrap) {
  EXPECT_TRUE(seq_newer(1, 0));
  EXPECT_TRUE(seq_newer(0, 65535));
  EXPECT_TRUE(seq_newer(100, 65500));
  EXPECT_FALSE(seq_newer(65535, 0));
  EXPECT_FALSE(seq_newer(5, 5));
  EXPECT_EQ(seq_delta(0, 65535), 1);
  EXPECT_EQ(seq_delta(65535, 0), -1);
  EXPECT_EQ(seq_delta(10, 20), -10);
  EXPECT_TRUE(ts_newer(5, 0xfffffff0u));
  EXPECT_FALSE(ts_newer(0xfffffff0u, 5));
}

TEST(SeqTest, UnwrapperCountsWrapsAndToleratesReorder) {
  SeqUnwrapper u;
  const uint64_t base = u.unwrap(65534);
  EXPECT_EQ(u.unwrap(65535), base + 1);
  EXPECT_EQ(u.unwrap(0), base + 2);     // wrap
  EXPECT_EQ(u.unwrap(65535), base + 1); // late packet keeps its number
  EXPECT_EQ(u.highest(), base + 2);
  EXPECT_EQ(u.unwrap(3), base + 5);
  EXPECT_EQ(u.unwrap(65533), base - 1); // older than the first: still representable
}

}  // namespace
}  // namespace edgesfu::dp::pkt
