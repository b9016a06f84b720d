// LiveKit's descriptions of the rooms model (issue 13): what a LiveKit client
// is told about a room and about participants of the WHIP door.
#include "slowpath/signalling/livekit/lk_info.hpp"

#include <gtest/gtest.h>

namespace edgesfu::sp::livekit {
namespace {

rooms::Track track(const std::string& sid, const std::string& publisher, const std::string& kind,
                   const std::string& codec) {
  rooms::Track t;
  t.sid = sid;
  t.publisher = publisher;
  t.desc.kind = kind;
  t.desc.mid = kind == "video" ? "1" : "0";
  t.desc.codec.name = codec;
  return t;
}

TEST(LivekitInfoTest, RoomAndWhipParticipantsAsLivekitSeesThem) {
  rooms::Room r;
  r.sid = "RM_x";
  r.name = "demo";
  r.participants["PA_pub"] = rooms::Participant{"PA_pub", "camera-1", 1, {}, false};
  r.participants["PA_sub"] = rooms::Participant{"PA_sub", "viewer", 2, {}, false};
  r.tracks.push_back(track("TR_a", "PA_pub", "audio", "opus"));
  r.tracks.push_back(track("TR_v", "PA_pub", "video", "VP8"));
  config::Config cfg;
  cfg.room.empty_timeout_s = 120;
  cfg.room.departure_timeout_s = 15;
  cfg.room.max_participants = 10;
  const ::livekit::Room ri = room_info(r, cfg);
  EXPECT_EQ(ri.sid(), "RM_x");
  EXPECT_EQ(ri.name(), "demo");
  EXPECT_EQ(ri.num_participants(), 2u);
  EXPECT_EQ(ri.num_publishers(), 1u);
  EXPECT_EQ(ri.empty_timeout(), 120u);
  EXPECT_EQ(ri.departure_timeout(), 15u);
  EXPECT_EQ(ri.max_participants(), 10u);

  const ::livekit::ParticipantInfo pub = door_participant_info(r, r.participants["PA_pub"]);
  EXPECT_EQ(pub.sid(), "PA_pub");
  EXPECT_EQ(pub.identity(), "camera-1");
  EXPECT_EQ(pub.state(), ::livekit::ParticipantInfo::ACTIVE);
  EXPECT_GT(pub.version(), 0u);
  EXPECT_TRUE(pub.is_publisher());
  ASSERT_EQ(pub.tracks_size(), 2);
  EXPECT_EQ(pub.tracks(0).sid(), "TR_a");
  EXPECT_EQ(pub.tracks(0).type(), ::livekit::AUDIO);
  EXPECT_EQ(pub.tracks(0).source(), ::livekit::MICROPHONE);
  EXPECT_EQ(pub.tracks(0).mime_type(), "audio/opus");
  EXPECT_EQ(pub.tracks(1).type(), ::livekit::VIDEO);
  EXPECT_EQ(pub.tracks(1).mime_type(), "video/VP8");
  const ::livekit::ParticipantInfo sub = door_participant_info(r, r.participants["PA_sub"]);
  EXPECT_EQ(sub.tracks_size(), 0);
  EXPECT_FALSE(sub.is_publisher());
}

TEST(LivekitInfoTest, PublishSourceGrantNames) {
  EXPECT_EQ(source_from_grant("camera"), ::livekit::CAMERA);
  EXPECT_EQ(source_from_grant("microphone"), ::livekit::MICROPHONE);
  EXPECT_EQ(source_from_grant("screen_share"), ::livekit::SCREEN_SHARE);
  EXPECT_EQ(source_from_grant("screen_share_audio"), ::livekit::SCREEN_SHARE_AUDIO);
  EXPECT_EQ(source_from_grant("Camera"), ::livekit::UNKNOWN);
  EXPECT_EQ(source_from_grant(""), ::livekit::UNKNOWN);
}

}  // namespace
}  // namespace edgesfu::sp::livekit
