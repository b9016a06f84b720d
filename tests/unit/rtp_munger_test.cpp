// Sequence/timestamp munging, table-driven: each case is a run of publisher
// packets and what the subscriber must see.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/munge/rtp_munger.hpp"

namespace edgesfu::dp::munge {
namespace {

struct Step {
  uint32_t ssrc;
  uint16_t seq;
  uint32_t ts;
  uint64_t now_us;
  bool forward;      // expected verdict
  uint16_t out_seq;  // expected, when forwarded
  uint32_t out_ts;
  bool skip = false; // instead of munging, the SFU skips this seq
};

struct Case {
  std::string name;
  std::vector<Step> steps;
};

constexpr uint32_t kA = 0xaaaa, kB = 0xbbbb;
constexpr uint32_t kRate = 48000;

const Case kCases[] = {
    {"in_order",
     {{kA, 1000, 5000, 0, true, 100, 9000}, {kA, 1001, 5960, 20000, true, 101, 9960},
      {kA, 1002, 6920, 40000, true, 102, 10920}}},
    {"loss_keeps_gap_for_nack",
     {{kA, 1000, 5000, 0, true, 100, 9000}, {kA, 1003, 7880, 60000, true, 103, 11880}}},
    {"reorder_keeps_numbers",
     {{kA, 1000, 5000, 0, true, 100, 9000}, {kA, 1002, 6920, 40000, true, 102, 10920},
      {kA, 1001, 5960, 41000, true, 101, 9960}, {kA, 1003, 7880, 60000, true, 103, 11880}}},
    {"wrap_at_65535_in",
     {{kA, 65534, 5000, 0, true, 100, 9000}, {kA, 65535, 5960, 20000, true, 101, 9960},
      {kA, 0, 6920, 40000, true, 102, 10920}, {kA, 1, 7880, 60000, true, 103, 11880}}},
    {"older_than_start_dropped",
     {{kA, 1000, 5000, 0, true, 100, 9000}, {kA, 999, 4040, 1000, false, 0, 0},
      {kA, 1001, 5960, 20000, true, 101, 9960}}},
    {"publisher_restart_continues",
     // Same SSRC jumps by 30000: a restart. 500 ms later at 48 kHz = 24000 ticks.
     {{kA, 1000, 5000, 0, true, 100, 9000}, {kA, 1001, 5960, 20000, true, 101, 9960},
      {kA, 31001, 777, 520000, true, 102, 9960 + 24000},
      {kA, 31002, 1737, 540000, true, 103, 9960 + 24000 + 960}}},
    {"source_switch_continues",
     {{kA, 1000, 5000, 0, true, 100, 9000}, {kA, 1001, 5960, 20000, true, 101, 9960},
      {kB, 50, 123456, 30000, true, 102, 9960 + 480},
      {kB, 51, 124416, 50000, true, 103, 9960 + 480 + 960},
      // a late packet of the old source is from before this epoch: a new epoch
      // starts again for it (the source changed back).
      {kA, 1002, 6920, 60000, true, 104, 9960 + 480 + 960 + 480}}},
    {"switch_with_no_time_passing_advances_one_tick",
     {{kA, 1000, 5000, 0, true, 100, 9000}, {kB, 7, 1, 0, true, 101, 9001}}},
    {"skip_leaves_no_gap",
     {{kA, 1000, 5000, 0, true, 100, 9000}, {kA, 1001, 0, 0, true, 0, 0, true},
      {kA, 1002, 6920, 40000, true, 101, 10920}, {kA, 1003, 7880, 60000, true, 102, 11880}}},
    {"late_packet_before_skip_keeps_its_number",
     {{kA, 1000, 5000, 0, true, 100, 9000}, {kA, 1002, 6920, 40000, true, 102, 10920},
      {kA, 1003, 0, 0, true, 0, 0, true}, {kA, 1004, 8840, 80000, true, 103, 12840},
      {kA, 1001, 5960, 81000, true, 101, 9960}}},
};

TEST(RtpMungerTest, Table) {
  for (const Case& c : kCases) {
    RtpMunger m(100, 9000);
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      const Step& s = c.steps[i];
      if (s.skip) {
        m.skip(s.seq);
        continue;
      }
      MungeOut out;
      const MungeVerdict v = m.munge(s.ssrc, s.seq, s.ts, s.now_us, kRate, out);
      ASSERT_EQ(v == MungeVerdict::kForward, s.forward) << c.name << " step " << i;
      if (!s.forward) continue;
      EXPECT_EQ(out.seq, s.out_seq) << c.name << " step " << i;
      EXPECT_EQ(out.ts, s.out_ts) << c.name << " step " << i;
    }
  }
}

TEST(RtpMungerTest, OutputWrapsAt65535) {
  RtpMunger m(65534, 0xfffffe00u);
  MungeOut out;
  const uint16_t want[] = {65534, 65535, 0, 1};
  for (uint16_t i = 0; i < 4; ++i) {
    ASSERT_EQ(m.munge(kA, static_cast<uint16_t>(500 + i), 960u * i, 20000u * i, kRate, out),
              MungeVerdict::kForward);
    EXPECT_EQ(out.seq, want[i]);
    EXPECT_EQ(out.ts, 0xfffffe00u + 960u * i);  // the timestamp wraps too
  }
}

TEST(RtpMungerTest, UnmapForNack) {
  RtpMunger m(100, 0);
  MungeOut out;
  for (uint16_t s = 1000; s < 1005; ++s) m.munge(kA, s, 0, 0, kRate, out);  // out 100..104
  m.skip(1005);
  for (uint16_t s = 1006; s < 1008; ++s) m.munge(kA, s, 0, 0, kRate, out);  // out 105, 106
  uint16_t in = 0;
  ASSERT_TRUE(m.unmap_seq(102, in));
  EXPECT_EQ(in, 1002);
  ASSERT_TRUE(m.unmap_seq(105, in));
  EXPECT_EQ(in, 1006);
  ASSERT_TRUE(m.unmap_seq(106, in));
  EXPECT_EQ(in, 1007);
  EXPECT_FALSE(m.unmap_seq(107, in));  // not sent yet
  EXPECT_FALSE(m.unmap_seq(99, in));   // before the epoch
  // After a source switch, the previous epoch's numbers no longer map.
  m.munge(kB, 1, 0, 0, kRate, out);
  EXPECT_EQ(out.seq, 107);
  EXPECT_FALSE(m.unmap_seq(104, in));
  ASSERT_TRUE(m.unmap_seq(107, in));
  EXPECT_EQ(in, 1);
}

TEST(RtpMungerTest, TranslateTsFollowsTheEpoch) {
  RtpMunger m(0, 1000);
  MungeOut out;
  m.munge(kA, 1, 50000, 0, kRate, out);
  EXPECT_EQ(m.translate_ts(50000), 1000u);
  EXPECT_EQ(m.translate_ts(50960), 1960u);
}

}  // namespace
}  // namespace edgesfu::dp::munge

namespace edgesfu::dp::munge {
namespace {
// Found by the fast-path benchmark: an epoch longer than half the 16-bit space
// must not start calling its own packets "too old".
TEST(RtpMungerTest, LongStreamsStayContinuous) {
  RtpMunger m(500, 0);
  MungeOut out;
  for (uint32_t i = 0; i < 200000; ++i) {
    ASSERT_EQ(m.munge(kA, static_cast<uint16_t>(7 + i), 960u * i, 20000u * i, kRate, out),
              MungeVerdict::kForward) << i;
    ASSERT_EQ(out.seq, static_cast<uint16_t>(500 + i)) << i;
  }
  uint16_t in = 0;
  ASSERT_TRUE(m.unmap_seq(static_cast<uint16_t>(500 + 199990), in));
  EXPECT_EQ(in, static_cast<uint16_t>(7 + 199990));
  // A late packet from just before the newest still maps to its number.
  ASSERT_EQ(m.munge(kA, static_cast<uint16_t>(7 + 199995), 0, 0, kRate, out), MungeVerdict::kForward);
  EXPECT_EQ(out.seq, static_cast<uint16_t>(500 + 199995));
}
}  // namespace
}  // namespace edgesfu::dp::munge
