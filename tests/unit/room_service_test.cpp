// The RoomService's pure parts (issue 15): Twirp framing, LiveKit's grant
// rules per method, and the rooms model it changes (created rooms, their
// settings, unsubscribed tracks).
#include <gtest/gtest.h>

#include <string>

#include "livekit_room.pb.h"
#include "slowpath/rooms/rooms.hpp"
#include "slowpath/signalling/livekit/room_service_rules.hpp"
#include "slowpath/signalling/livekit/twirp.hpp"

namespace edgesfu::sp::livekit {
namespace {

TEST(Twirp, PathsNameAServiceAndAMethod) {
  twirp::Route r;
  ASSERT_TRUE(twirp::parse_path("/twirp/livekit.RoomService/CreateRoom", r));
  EXPECT_EQ(r.service, "livekit.RoomService");
  EXPECT_EQ(r.method, "CreateRoom");
  for (const char* bad :
       {"/twirp/", "/twirp/livekit.RoomService", "/twirp/livekit.RoomService/",
        "/twirp//CreateRoom", "/rtc/v1", "/twirp/a b/C", "/twirp/s/a.b", "/twirp/s/m/extra"}) {
    EXPECT_FALSE(twirp::parse_path(bad, r)) << bad;
  }
}

TEST(Twirp, ContentTypesChooseTheEncoding) {
  twirp::Encoding e{};
  ASSERT_TRUE(twirp::encoding_of("application/json;charset=UTF-8", e));  // the Node SDK's
  EXPECT_EQ(e, twirp::Encoding::kJson);
  ASSERT_TRUE(twirp::encoding_of(" Application/JSON ", e));
  EXPECT_EQ(e, twirp::Encoding::kJson);
  ASSERT_TRUE(twirp::encoding_of("application/protobuf", e));
  EXPECT_EQ(e, twirp::Encoding::kProtobuf);
  EXPECT_FALSE(twirp::encoding_of("text/plain", e));
  EXPECT_FALSE(twirp::encoding_of("", e));
}

TEST(Twirp, JsonBodiesAsTheNodeSdkWritesThem) {
  // camelCase names, defaults left out, enums by name, bytes in base64, an
  // unknown field (ignored).
  ::livekit::SendDataRequest req;
  const std::string body =
      R"({"room":"r","data":"aGk=","kind":"LOSSY","destinationIdentities":["bob"],)"
      R"("topic":"t","nonce":"BwcHBwcHBwcHBwcHBwcHBw==","futureField":1})";
  ASSERT_TRUE(twirp::decode(body, twirp::Encoding::kJson, req).ok());
  EXPECT_EQ(req.room(), "r");
  EXPECT_EQ(req.data(), "hi");
  EXPECT_EQ(req.kind(), ::livekit::DataPacket::LOSSY);
  EXPECT_EQ(req.destination_identities(0), "bob");
  EXPECT_TRUE(req.has_topic());
  EXPECT_EQ(req.nonce().size(), 16u);
  // snake_case names too (other SDKs), and an empty body for an empty message.
  ::livekit::UpdateSubscriptionsRequest sub;
  ASSERT_TRUE(twirp::decode(R"({"room":"r","track_sids":["TR_a"],"subscribe":true})",
                            twirp::Encoding::kJson, sub)
                  .ok());
  EXPECT_EQ(sub.track_sids(0), "TR_a");
  EXPECT_TRUE(sub.subscribe());
  ::livekit::ListRoomsRequest list;
  EXPECT_TRUE(twirp::decode("", twirp::Encoding::kJson, list).ok());
}

TEST(Twirp, BadBodiesAreRefusedWithTheReason) {
  ::livekit::CreateRoomRequest req;
  const Status s = twirp::decode("{\"name\": 5", twirp::Encoding::kJson, req);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("CreateRoomRequest"), std::string::npos);
  EXPECT_FALSE(twirp::decode("\xff\xff\xff", twirp::Encoding::kProtobuf, req).ok());
  EXPECT_FALSE(
      twirp::decode(std::string(twirp::kMaxBody + 1, ' '), twirp::Encoding::kJson, req).ok());
}

TEST(Twirp, ResponsesEncodeInTheRequestsEncoding) {
  ::livekit::Room r;
  r.set_name("r1");
  r.set_creation_time(1700000000);
  const std::string json = twirp::encode(r, twirp::Encoding::kJson);
  EXPECT_NE(json.find(R"("name":"r1")"), std::string::npos);
  EXPECT_NE(json.find(R"("creation_time":"1700000000")"), std::string::npos);  // int64: a string
  ::livekit::Room back;
  ASSERT_TRUE(back.ParseFromString(twirp::encode(r, twirp::Encoding::kProtobuf)));
  EXPECT_EQ(back.name(), "r1");
  EXPECT_EQ(twirp::encode(::livekit::DeleteRoomResponse(), twirp::Encoding::kJson), "{}");
}

TEST(Twirp, ErrorsAreTwirpsJson) {
  EXPECT_EQ(twirp::error_body(twirp::Code::kNotFound, "no \"x\"\n"),
            R"({"code":"not_found","msg":"no \"x\"\u000a"})");
  EXPECT_EQ(twirp::http_status(twirp::Code::kUnauthenticated), 401);
  EXPECT_EQ(twirp::http_status(twirp::Code::kBadRoute), 404);
  EXPECT_EQ(twirp::http_status(twirp::Code::kUnimplemented), 501);
  EXPECT_EQ(twirp::http_status(twirp::Code::kFailedPrecondition), 412);
  EXPECT_EQ(twirp::code_of(ErrorCode::kNotFound), twirp::Code::kNotFound);
  EXPECT_EQ(twirp::code_of(ErrorCode::kUnsupported), twirp::Code::kUnimplemented);
  EXPECT_STREQ(twirp::to_string(twirp::code_of(ErrorCode::kInvalidArgument)), "invalid_argument");
}

TEST(RoomServiceRules, EachMethodNeedsLiveKitsGrant) {
  RoomMethod m{};
  ASSERT_TRUE(room_method("CreateRoom", m));
  EXPECT_FALSE(room_method("PerformRpc", m));
  EXPECT_FALSE(room_method("createroom", m));

  auth::VideoGrant none, create, list, admin;
  create.room_create = true;
  list.room_list = true;
  admin.room_admin = true;
  admin.room = "r1";
  EXPECT_TRUE(room_method_allowed(RoomMethod::kCreateRoom, create, "x").ok());
  EXPECT_TRUE(room_method_allowed(RoomMethod::kDeleteRoom, create, "x").ok());
  EXPECT_FALSE(room_method_allowed(RoomMethod::kDeleteRoom, admin, "r1").ok());
  EXPECT_TRUE(room_method_allowed(RoomMethod::kListRooms, list, "").ok());
  EXPECT_FALSE(room_method_allowed(RoomMethod::kListRooms, create, "").ok());
  EXPECT_TRUE(room_method_allowed(RoomMethod::kRemoveParticipant, admin, "r1").ok());
  EXPECT_FALSE(room_method_allowed(RoomMethod::kRemoveParticipant, admin, "r2").ok());
  EXPECT_FALSE(room_method_allowed(RoomMethod::kSendData, none, "").ok());
  const Status s = room_method_allowed(RoomMethod::kSendData, list, "r1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated);  // LiveKit: 401, not 403
  EXPECT_EQ(s.error().message, "permissions denied");
}

TEST(RoomsModel, CreatedRoomsKeepTheirSettingsAndTimeOutAlone) {
  rooms::Rooms rs;
  rooms::RoomSettings s;
  s.empty_timeout_s = 2;
  s.metadata = "m";
  auto [r, made] = rs.create("api", s, 1000);
  ASSERT_TRUE(made);
  const std::string sid = r->sid;
  EXPECT_GT(r->created_unix_ms, 0);
  // A second CreateRoom leaves it as it is.
  rooms::RoomSettings other;
  other.metadata = "changed";
  auto [again, made_again] = rs.create("api", other, 2000);
  EXPECT_FALSE(made_again);
  EXPECT_EQ(again->sid, sid);
  EXPECT_EQ(again->settings.metadata, "m");
  // Its own empty timeout (2 s), not the config's (300 s).
  EXPECT_TRUE(rs.sweep(1000 + 1999999, 300000000, 20000000).empty());
  EXPECT_EQ(rs.sweep(1000 + 2000000, 300000000, 20000000), std::vector<std::string>{"api"});
  EXPECT_EQ(rs.find("api"), nullptr);
}

TEST(RoomsModel, UnsubscribedTracksAreNotWanted) {
  rooms::Rooms rs;
  rs.join("r", rooms::Participant{"PA_a", "a", 0, {}, false}, 1);
  rs.join("r", rooms::Participant{"PA_b", "b", 0, {}, false}, 1);
  rooms::Track t1, t2;
  t1.sid = "TR_1";
  t1.publisher = "PA_a";
  t2.sid = "TR_2";
  t2.publisher = "PA_a";
  rs.add_track("r", t1);
  rs.add_track("r", t2);
  ASSERT_EQ(rs.wanted("r", "PA_b").size(), 2u);
  EXPECT_TRUE(rs.set_subscribed("r", "PA_b", "TR_1", false));
  ASSERT_EQ(rs.wanted("r", "PA_b").size(), 1u);
  EXPECT_EQ(rs.wanted("r", "PA_b")[0]->sid, "TR_2");
  EXPECT_TRUE(rs.set_subscribed("r", "PA_b", "TR_1", true));
  EXPECT_EQ(rs.wanted("r", "PA_b").size(), 2u);
  EXPECT_FALSE(rs.set_subscribed("r", "PA_b", "TR_nope", false));
  EXPECT_FALSE(rs.set_subscribed("r", "PA_x", "TR_1", false));
  EXPECT_FALSE(rs.set_subscribed("nope", "PA_b", "TR_1", false));
  rs.remove("r");
  EXPECT_EQ(rs.find("r"), nullptr);
}

}  // namespace
}  // namespace edgesfu::sp::livekit
