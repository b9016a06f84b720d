#include <gtest/gtest.h>

#include "slowpath/rooms/rooms.hpp"

namespace edgesfu::sp::rooms {
namespace {

TEST(RoomsTest, IdsCarryLiveKitPrefixes) {
  const std::string id = new_id("RM_");
  EXPECT_EQ(id.rfind("RM_", 0), 0u);
  EXPECT_EQ(id.size(), 15u);
  EXPECT_NE(new_id("PA_"), new_id("PA_"));
}

TEST(RoomsTest, CreatedOnJoinClosedAfterEmptyTimeout) {
  Rooms rooms;
  Participant a{"PA_a", "alice", true, {}}, b{"PA_b", "bob", false, {}};
  Room& r = rooms.join("lobby", a, 1000);
  EXPECT_EQ(r.sid.rfind("RM_", 0), 0u);
  const std::string sid = r.sid;
  EXPECT_EQ(rooms.join("lobby", b, 1000).sid, sid);  // the same room
  Track t;
  t.sid = "TR_1";
  t.publisher = "PA_a";
  rooms.add_track("lobby", t);
  EXPECT_EQ(rooms.find("lobby")->tracks.size(), 1u);
  rooms.leave("lobby", "PA_a", 2000);  // the publisher's tracks go with it
  EXPECT_TRUE(rooms.find("lobby")->tracks.empty());
  EXPECT_TRUE(rooms.sweep(10'000'000, 1, 20'000'000).empty());  // bob is still there
  rooms.leave("lobby", "PA_b", 3'000'000);
  // Someone was in it: departure_timeout (20 s here), not empty_timeout.
  EXPECT_TRUE(rooms.sweep(3'000'000 + 19'999'999, 1, 20'000'000).empty());
  EXPECT_EQ(rooms.sweep(3'000'000 + 20'000'000, 300'000'000, 20'000'000),
            std::vector<std::string>{"lobby"});
  EXPECT_EQ(rooms.find("lobby"), nullptr);
  // Rejoining an empty room stops its timer.
  rooms.join("x", a, 1);
  rooms.leave("x", "PA_a", 5);
  rooms.join("x", b, 6);
  EXPECT_TRUE(rooms.sweep(1'000'000'000, 1, 1).empty());
}

TEST(RoomsTest, TrackReadiness) {
  Rooms rooms;
  rooms.join("r", Participant{"PA_a", "a", true, {}, false}, 1);
  Track t;
  t.sid = "TR_x";
  t.publisher = "PA_a";
  rooms.add_track("r", t);
  EXPECT_FALSE(rooms.track("r", "TR_x")->ready);
  rooms.track_ready("r", "TR_x", TrackRef{0, 7});
  EXPECT_TRUE(rooms.track("r", "TR_x")->ready);
  EXPECT_EQ(rooms.track("r", "TR_x")->ref.slot, 7);
  EXPECT_EQ(rooms.track("r", "TR_none"), nullptr);
}

}  // namespace
}  // namespace edgesfu::sp::rooms
