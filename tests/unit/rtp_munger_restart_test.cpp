// RtpMunger::restart_at_next: a downtrack that resumes after a pause.
#include <gtest/gtest.h>

#include "dataplane/munge/rtp_munger.hpp"

namespace edgesfu::dp::munge {
namespace {

constexpr uint32_t kA = 0xaaaa;
constexpr uint32_t kRate = 48000;

// A downtrack paused while the publisher went on (and lost a packet): on
// resume its numbers follow the last one sent, its timestamp the time that
// passed, whatever the publisher did meanwhile.
TEST(RtpMungerTest, RestartAtNextContinuesAfterAPause) {
  RtpMunger m(100, 5000);
  MungeOut out;
  ASSERT_EQ(m.munge(kA, 10, 90000, 0, kRate, out), MungeVerdict::kForward);
  ASSERT_EQ(m.munge(kA, 11, 90960, 20000, kRate, out), MungeVerdict::kForward);
  EXPECT_EQ(out.seq, 101);
  EXPECT_EQ(out.ts, 5960u);
  // Paused: publisher packets 12..40 are not munged (25 is lost).
  m.restart_at_next();
  ASSERT_EQ(m.munge(kA, 41, 90960 + 30 * 960, 1000000, kRate, out), MungeVerdict::kForward);
  EXPECT_EQ(out.seq, 102);                         // no gap
  EXPECT_EQ(out.ts, 5960u + 980000u * 48 / 1000);  // 980 ms later on the subscriber's clock
  ASSERT_EQ(m.munge(kA, 42, 90960 + 31 * 960, 1020000, kRate, out), MungeVerdict::kForward);
  EXPECT_EQ(out.seq, 103);
  // A packet from the pause is too old for the new epoch.
  EXPECT_EQ(m.munge(kA, 30, 90960 + 19 * 960, 1030000, kRate, out), MungeVerdict::kDropTooOld);
}

}  // namespace
}  // namespace edgesfu::dp::munge
