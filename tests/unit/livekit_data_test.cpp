// The LiveKit door's data packet rules (data_relay): what the server writes
// into a packet, what it refuses, where it goes.
#include <gtest/gtest.h>

#include <string>

#include "livekit_models.pb.h"
#include "slowpath/signalling/livekit/data_relay.hpp"

namespace edgesfu::sp::livekit {
namespace {

std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

DataSender alice() { return DataSender{"PA_alice", "alice", true, false, false}; }

::livekit::DataPacket parsed(const DataRoute& r) {
  ::livekit::DataPacket p;
  EXPECT_TRUE(p.ParseFromString(r.packet));
  return p;
}

TEST(LivekitDataTest, LivekitClientUserPacketGetsTheSenderAndItsDestinations) {
  // livekit-client: destinations only in the UserPacket, no sender fields.
  ::livekit::DataPacket in;
  in.mutable_user()->set_payload("hi");
  in.mutable_user()->set_topic("chat");
  in.mutable_user()->add_destination_identities("bob");
  in.set_participant_identity("mallory");  // a claim the server overwrites
  DataSenderState st;
  DataRoute r = route_data(span_of(in.SerializeAsString()), DataKind::kLossy, alice(), st);
  ASSERT_EQ(r.drop, DataDrop::kNone);
  EXPECT_EQ(r.to_identities, std::vector<std::string>{"bob"});
  const ::livekit::DataPacket out = parsed(r);
  EXPECT_EQ(out.participant_identity(), "alice");
  EXPECT_EQ(out.participant_sid(), "PA_alice");
  EXPECT_EQ(out.kind(), ::livekit::DataPacket::LOSSY);
  EXPECT_EQ(out.user().participant_identity(), "alice");
  EXPECT_EQ(out.user().participant_sid(), "PA_alice");
  EXPECT_EQ(out.user().payload(), "hi");
  EXPECT_EQ(out.user().topic(), "chat");
  ASSERT_EQ(out.destination_identities_size(), 1);  // copied to where Rust reads them
  EXPECT_EQ(out.destination_identities(0), "bob");
  EXPECT_TRUE(is_recipient(r, "PA_bob", "bob"));
  EXPECT_FALSE(is_recipient(r, "PA_carol", "carol"));
}

TEST(LivekitDataTest, RustDestinationsAndUnknownPayloadsRelayedAsSent) {
  // The Rust SDKs: destinations in the DataPacket; an RPC request (field
  // 10, not modelled here) must come out byte for byte.
  ::livekit::DataPacket in;
  in.add_destination_identities("bob");
  in.set_sequence(7);
  std::string bytes = in.SerializeAsString();
  const std::string rpc = std::string("\x52\x05", 2) + "abcde";  // field 10, 5 bytes
  bytes += rpc;
  DataSenderState st;
  DataRoute r = route_data(span_of(bytes), DataKind::kReliable, alice(), st);
  ASSERT_EQ(r.drop, DataDrop::kNone);
  EXPECT_EQ(r.to_identities, std::vector<std::string>{"bob"});
  EXPECT_NE(r.packet.find(rpc), std::string::npos);
  EXPECT_EQ(parsed(r).sequence(), 7u);
  EXPECT_EQ(st.last_reliable_seq, 7u);
  // The same sequence again, or an older one: a duplicate. Lossy packets and
  // sequence 0 are never deduplicated.
  EXPECT_EQ(route_data(span_of(bytes), DataKind::kReliable, alice(), st).drop,
            DataDrop::kDuplicate);
  EXPECT_EQ(route_data(span_of(bytes), DataKind::kLossy, alice(), st).drop, DataDrop::kNone);
  ::livekit::DataPacket zero;
  zero.mutable_user()->set_payload("x");
  EXPECT_EQ(route_data(span_of(zero.SerializeAsString()), DataKind::kReliable, alice(), st).drop,
            DataDrop::kNone);
  EXPECT_EQ(route_data(span_of(zero.SerializeAsString()), DataKind::kReliable, alice(), st).drop,
            DataDrop::kNone);
}

TEST(LivekitDataTest, RefusalsAndHiddenSenders) {
  ::livekit::DataPacket in;
  in.mutable_user()->set_payload("x");
  const std::string bytes = in.SerializeAsString();
  DataSenderState st;
  DataSender no_data = alice();
  no_data.can_publish_data = false;
  EXPECT_EQ(route_data(span_of(bytes), DataKind::kReliable, no_data, st).drop,
            DataDrop::kNotAllowed);
  EXPECT_EQ(wrap_unlabeled(span_of(bytes), no_data).drop, DataDrop::kNotAllowed);
  const std::string junk = "\x0a\xff\xff\xff";
  EXPECT_EQ(route_data(span_of(junk), DataKind::kReliable, alice(), st).drop, DataDrop::kMalformed);

  ::livekit::DataPacket tr;
  tr.set_transcription("t");
  EXPECT_EQ(route_data(span_of(tr.SerializeAsString()), DataKind::kReliable, alice(), st).drop,
            DataDrop::kTranscriptionNotAgent);
  DataSender agent = alice();
  agent.agent = true;
  EXPECT_EQ(route_data(span_of(tr.SerializeAsString()), DataKind::kReliable, agent, st).drop,
            DataDrop::kNone);
  ::livekit::DataPacket metrics;
  metrics.set_metrics("m");
  EXPECT_EQ(route_data(span_of(metrics.SerializeAsString()), DataKind::kReliable, agent, st).drop,
            DataDrop::kMetrics);

  DataSender hidden = alice();
  hidden.hidden = true;
  DataRoute r = route_data(span_of(bytes), DataKind::kReliable, hidden, st);
  ASSERT_EQ(r.drop, DataDrop::kNone);
  EXPECT_EQ(parsed(r).participant_identity(), "");
  EXPECT_EQ(parsed(r).participant_sid(), "PA_alice");
  EXPECT_EQ(parsed(r).user().participant_identity(), "");
  EXPECT_EQ(parsed(r).user().participant_sid(), "");
}

TEST(LivekitDataTest, AnAppsOwnChannelIsWrappedAndCountersAdd) {
  const std::string raw = "raw bytes";
  DataRoute r = wrap_unlabeled(span_of(raw), alice());
  ASSERT_EQ(r.drop, DataDrop::kNone);
  EXPECT_EQ(parsed(r).user().payload(), raw);
  EXPECT_EQ(parsed(r).participant_identity(), "alice");
  EXPECT_TRUE(is_recipient(r, "PA_x", "x"));  // everyone

  ::livekit::UserPacket* u = nullptr;
  ::livekit::DataPacket by_sid;
  u = by_sid.mutable_user();
  u->add_destination_sids("PA_bob");
  DataSenderState st;
  r = route_data(span_of(by_sid.SerializeAsString()), DataKind::kReliable, alice(), st);
  EXPECT_TRUE(is_recipient(r, "PA_bob", "whoever"));
  EXPECT_FALSE(is_recipient(r, "PA_carol", "carol"));

  DataCounters a, b;
  a.in[0].messages = 2;
  a.drops[static_cast<std::size_t>(DataDrop::kDuplicate)] = 1;
  b.in[0].messages = 3;
  b.slow_receiver[1] = 4;
  a += b;
  EXPECT_EQ(a.in[0].messages, 5u);
  const std::string line = to_string(a);
  EXPECT_NE(line.find("in 5 reliable"), std::string::npos) << line;
  EXPECT_NE(line.find("duplicate 1"), std::string::npos) << line;
  EXPECT_NE(line.find("slow_receiver_lossy 4"), std::string::npos) << line;
  EXPECT_EQ(to_string(DataCounters{}).find("dropped: none") != std::string::npos, true);
}

}  // namespace
}  // namespace edgesfu::sp::livekit
