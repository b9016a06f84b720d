// LiveKit's signalling wire (issue 13): join_request decode (base64url,
// gzip or none, padding or none), every SignalRequest variant in binary and
// protojson, and clear errors for what is not.
#include <gtest/gtest.h>

#include <string>

#include "slowpath/auth/token.hpp"
#include "slowpath/signalling/livekit/signal_codec.hpp"

namespace edgesfu::sp::livekit {
namespace {

::livekit::JoinRequest sample_join() {
  ::livekit::JoinRequest j;
  j.mutable_client_info()->set_sdk(::livekit::ClientInfo::JS);
  j.mutable_client_info()->set_version("2.23.0");
  j.mutable_client_info()->set_protocol(17);
  j.mutable_client_info()->set_client_protocol(2);
  j.mutable_connection_settings()->set_auto_subscribe(true);
  (*j.mutable_participant_attributes())["role"] = "host";
  auto* o = j.mutable_publisher_offer();
  o->set_type("offer");
  o->set_id(1);
  o->set_sdp(std::string(18000, 'a'));  // offers are ~18 KB
  return j;
}

TEST(LivekitCodecTest, JoinRequestGzipOrNotPaddedOrNot) {
  for (bool gz : {true, false}) {
    const std::string param = encode_join_request(sample_join(), gz);
    auto j = decode_join_request(param);
    ASSERT_TRUE(j.ok()) << j.error().message;
    EXPECT_EQ(j->client_info().version(), "2.23.0");
    EXPECT_TRUE(j->connection_settings().auto_subscribe());
    EXPECT_EQ(j->publisher_offer().id(), 1u);
    EXPECT_EQ(j->publisher_offer().sdp().size(), 18000u);
    EXPECT_EQ(j->participant_attributes().at("role"), "host");
    // The JS SDK keeps base64 padding (Go's URLEncoding).
    std::string padded = param;
    while (padded.size() % 4 != 0) padded += '=';
    EXPECT_TRUE(decode_join_request(padded).ok());
  }
  EXPECT_LT(encode_join_request(sample_join(), true).size(),
            encode_join_request(sample_join(), false).size() / 10);
}

TEST(LivekitCodecTest, JoinRequestRefusals) {
  auto err = [](std::string_view p) {
    auto r = decode_join_request(p);
    EXPECT_FALSE(r.ok()) << p.substr(0, 40);
    return r.ok() ? std::string() : r.error().message;
  };
  EXPECT_NE(err("").find("empty"), std::string::npos);
  EXPECT_NE(err("not*base64").find("base64url"), std::string::npos);
  EXPECT_NE(err(std::string(kMaxJoinParam + 1, 'A')).find("over"), std::string::npos);
  // A wrapper with garbage where the gzip stream should be.
  ::livekit::WrappedJoinRequest w;
  w.set_compression(::livekit::WrappedJoinRequest::GZIP);
  w.set_join_request("definitely not gzip");
  EXPECT_NE(err(auth::base64url_encode(w.SerializeAsString())).find("gzip"), std::string::npos);
  // A truncated gzip stream.
  const std::string whole = gzip(sample_join().SerializeAsString());
  w.set_join_request(whole.substr(0, whole.size() / 2));
  EXPECT_NE(err(auth::base64url_encode(w.SerializeAsString())).find("gzip"), std::string::npos);
  // A gzip bomb: 2 MiB of zeros in a few KB.
  w.set_join_request(gzip(std::string(2 * 1024 * 1024, '\0')));
  EXPECT_LT(w.join_request().size(), 10000u);
  EXPECT_NE(err(auth::base64url_encode(w.SerializeAsString())).find("more than"),
            std::string::npos);
  // An unknown compression, and bytes that are no JoinRequest.
  w.set_compression(static_cast<::livekit::WrappedJoinRequest::Compression>(7));
  w.set_join_request("x");
  EXPECT_NE(err(auth::base64url_encode(w.SerializeAsString())).find("compression"),
            std::string::npos);
  w.set_compression(::livekit::WrappedJoinRequest::NONE);
  w.set_join_request("\xff\xff\xff");
  EXPECT_NE(err(auth::base64url_encode(w.SerializeAsString())).find("JoinRequest"),
            std::string::npos);
}

TEST(LivekitCodecTest, EverySignalRequestVariantInBinary) {
  std::vector<::livekit::SignalRequest> all(14);
  all[0].mutable_offer()->set_sdp("v=0");
  all[1].mutable_answer()->set_id(3);
  all[2].mutable_trickle()->set_candidateinit("{\"candidate\":\"\"}");
  all[3].mutable_add_track()->set_cid("mic");
  all[4].mutable_mute()->set_muted(true);
  all[5].mutable_subscription()->add_track_sids("TR_x");
  all[6].mutable_track_setting()->set_disabled(true);
  all[7].mutable_leave()->set_reason(::livekit::CLIENT_INITIATED);
  all[8].mutable_subscription_permission()->set_all_participants(true);
  all[9].set_ping(12345);
  all[10].mutable_update_metadata()->set_name("n");
  all[11].mutable_ping_req()->set_timestamp(99);
  all[12].mutable_update_audio_track()->set_track_sid("TR_a");
  all[13].mutable_update_video_track()->set_width(640);
  for (const auto& r : all) {
    const std::string b = r.SerializeAsString();
    auto d = decode_signal({reinterpret_cast<const uint8_t*>(b.data()), b.size()});
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->message_case(), r.message_case());
    EXPECT_EQ(d->SerializeAsString(), b);
  }
  // A variant this build does not know (LiveKit's sync_state = 12): parsed,
  // no message set, its bytes kept.
  const std::string unknown("\x62\x02\x08\x01", 4);
  auto u = decode_signal({reinterpret_cast<const uint8_t*>(unknown.data()), unknown.size()});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->message_case(), ::livekit::SignalRequest::MESSAGE_NOT_SET);
  const std::string junk("\x0a\xff\xff\xff\xff\x0f", 6);
  EXPECT_FALSE(decode_signal({reinterpret_cast<const uint8_t*>(junk.data()), junk.size()}).ok());
}

TEST(LivekitCodecTest, ProtojsonTextFrames) {
  auto ping = decode_signal_json(R"({"ping":"42"})");
  ASSERT_TRUE(ping.ok()) << ping.error().message;
  EXPECT_EQ(ping->ping(), 42);
  auto offer = decode_signal_json(
      R"({"offer":{"type":"offer","sdp":"v=0","id":7,"midToTrackId":{"0":"TR_a"}},"futureField":1})");
  ASSERT_TRUE(offer.ok()) << offer.error().message;
  EXPECT_EQ(offer->offer().id(), 7u);
  EXPECT_EQ(offer->offer().mid_to_track_id().at("0"), "TR_a");
  auto trickle = decode_signal_json(R"({"trickle":{"candidateInit":"{}","target":"SUBSCRIBER"}})");
  ASSERT_TRUE(trickle.ok());
  EXPECT_EQ(trickle->trickle().target(), ::livekit::SUBSCRIBER);
  EXPECT_FALSE(decode_signal_json("{not json").ok());
  EXPECT_FALSE(decode_signal_json(R"({"ping":{"nested":true}})").ok());
}

}  // namespace
}  // namespace edgesfu::sp::livekit
