// Admission of new sessions (issue 12 #7): the room's size, sessions still
// connecting in all and per identity; tickets give their place back.
#include "slowpath/session/admission.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace edgesfu::sp::session {
namespace {

TEST(AdmissionTest, PendingCapsPerIdentityAndInAll) {
  AdmissionLimits l;
  l.max_pending = 5;
  l.max_pending_per_identity = 2;
  Admission a(l);
  std::vector<Admission::Ticket> held;
  for (int i = 0; i < 2; ++i) {
    auto t = a.admit("mallory", 0);
    ASSERT_TRUE(t.ok());
    held.push_back(std::move(t).value());
  }
  auto third = a.admit("mallory", 0);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(third.error().message.find("connecting already"), std::string::npos);
  // Others are still admitted, up to the cap in all.
  for (const char* who : {"alice", "bob", "carol"}) {
    auto t = a.admit(who, 0);
    ASSERT_TRUE(t.ok()) << who;
    held.push_back(std::move(t).value());
  }
  EXPECT_EQ(a.pending(), 5u);
  auto dave = a.admit("dave", 0);
  ASSERT_FALSE(dave.ok());
  EXPECT_NE(dave.error().message.find("too many sessions connecting"), std::string::npos);
  EXPECT_EQ(a.refused(), 2u);
  // A session that connects gives its place back (once, even if released again).
  held[0].release();
  held[0].release();
  EXPECT_EQ(a.pending("mallory"), 1u);
  EXPECT_EQ(a.pending(), 4u);
  EXPECT_TRUE(a.admit("mallory", 0).ok());  // the ticket goes at once
  EXPECT_EQ(a.pending(), 4u);
  held.clear();  // sessions that end give theirs back too
  EXPECT_EQ(a.pending(), 0u);
  EXPECT_EQ(a.pending("mallory"), 0u);
}

TEST(AdmissionTest, RoomMaxParticipantsAndMovedTickets) {
  AdmissionLimits l;
  l.room_max_participants = 3;
  Admission a(l);
  EXPECT_TRUE(a.admit("x", 2).ok());
  auto full = a.admit("x", 3);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.error().message.find("the room is full"), std::string::npos);
  auto t = a.admit("y", 0);
  ASSERT_TRUE(t.ok());
  Admission::Ticket moved = std::move(t).value();
  EXPECT_TRUE(moved.held());
  Admission::Ticket again;
  again = std::move(moved);
  EXPECT_FALSE(moved.held());  // NOLINT(bugprone-use-after-move): checking the move
  EXPECT_EQ(a.pending(), 1u);
  again = Admission::Ticket();
  EXPECT_EQ(a.pending(), 0u);
}

}  // namespace
}  // namespace edgesfu::sp::session
