// LiveKit's webhooks: the delivery queue's order, limits and retries; the
// signed body; the config keys; the rooms model's events in LiveKit's order.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "slowpath/auth/token.hpp"
#include "slowpath/rooms/rooms.hpp"
#include "slowpath/webhook/outbox.hpp"
#include "slowpath/webhook/payload.hpp"

namespace edgesfu::sp {
namespace {

using webhook::Outbox;
using webhook::OutboxLimits;
using webhook::Outcome;

constexpr int64_t kS = 1000000;

TEST(WebhookOutbox, ClassifiesStatusesAsLiveKitsRetryPolicy) {
  EXPECT_EQ(webhook::classify(200), Outcome::kDelivered);
  EXPECT_EQ(webhook::classify(204), Outcome::kDelivered);
  EXPECT_EQ(webhook::classify(0), Outcome::kRetry);  // no answer
  EXPECT_EQ(webhook::classify(429), Outcome::kRetry);
  EXPECT_EQ(webhook::classify(500), Outcome::kRetry);
  EXPECT_EQ(webhook::classify(503), Outcome::kRetry);
  EXPECT_EQ(webhook::classify(501), Outcome::kRefused);
  EXPECT_EQ(webhook::classify(401), Outcome::kRefused);
  EXPECT_EQ(webhook::classify(404), Outcome::kRefused);
  EXPECT_EQ(webhook::classify(302), Outcome::kRefused);
  EXPECT_EQ(webhook::backoff_us(1), 1 * kS);
  EXPECT_EQ(webhook::backoff_us(2), 2 * kS);
  EXPECT_EQ(webhook::backoff_us(4), 8 * kS);
  EXPECT_EQ(webhook::backoff_us(40), 30 * kS);
}

TEST(WebhookOutbox, OneRoomInOrderOneAtATimeRoomsInParallel) {
  Outbox o;
  ASSERT_TRUE(o.push("a", "room_started", "a1", 0));
  ASSERT_TRUE(o.push("a", "participant_joined", "a2", 1));
  ASSERT_TRUE(o.push("b", "room_started", "b1", 2));
  const webhook::Delivery* d1 = o.start(10);
  ASSERT_NE(d1, nullptr);
  EXPECT_EQ(d1->body, "a1");
  const uint64_t id1 = d1->id;
  const webhook::Delivery* d2 = o.start(10);
  ASSERT_NE(d2, nullptr);
  EXPECT_EQ(d2->body, "b1");  // room a waits for a1
  const uint64_t id2 = d2->id;
  EXPECT_EQ(o.start(10), nullptr);
  o.finish(id2, Outcome::kDelivered, 11);
  EXPECT_EQ(o.start(11), nullptr);
  o.finish(id1, Outcome::kDelivered, 12);
  const webhook::Delivery* d3 = o.start(12);
  ASSERT_NE(d3, nullptr);
  EXPECT_EQ(d3->body, "a2");
  o.finish(d3->id, Outcome::kDelivered, 13);
  EXPECT_EQ(o.depth(), 0u);
  EXPECT_EQ(o.counters().delivered, 3u);
}

TEST(WebhookOutbox, RetriesWithBackoffThenDropsAndTheRoomMovesOn) {
  Outbox o;
  o.push("a", "room_started", "a1", 0);
  o.push("a", "room_finished", "a2", 0);
  int64_t now = 0;
  std::vector<int64_t> tries;
  for (int i = 0; i < 10 && o.counters().dropped_failed == 0; ++i) {
    const webhook::Delivery* d = nullptr;
    while ((d = o.start(now)) == nullptr) {
      ASSERT_NE(o.next_due_us(), INT64_MAX);
      now = o.next_due_us();
    }
    ASSERT_EQ(d->body, "a1");
    tries.push_back(now);
    o.finish(d->id, Outcome::kRetry, now);
  }
  // Five tries 1, 2, 4, 8 s apart (LiveKit: RetryMax 4), then a2's turn:
  // an old event being retried is not dropped as expired.
  EXPECT_EQ(tries, (std::vector<int64_t>{0, 1 * kS, 3 * kS, 7 * kS, 15 * kS}));
  EXPECT_EQ(o.counters().retries, 4u);
  EXPECT_EQ(o.counters().dropped_failed, 1u);
  const webhook::Delivery* next = o.start(now);  // 15 s old, under max_age
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->body, "a2");
}

TEST(WebhookOutbox, EventsThatWaitedTooLongAreDroppedNotSent) {
  OutboxLimits l;
  l.max_age_us = 30 * kS;
  Outbox o(l);
  o.push("a", "room_started", "a1", 0);
  o.push("a", "participant_joined", "a2", 20 * kS);
  const webhook::Delivery* d = o.start(31 * kS);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->body, "a2");
  EXPECT_EQ(o.counters().dropped_expired, 1u);
  o.finish(d->id, Outcome::kRefused, 31 * kS);
  EXPECT_EQ(o.counters().dropped_refused, 1u);
  EXPECT_EQ(o.depth(), 0u);
}

TEST(WebhookOutbox, FullQueuesRefuseAndCount) {
  OutboxLimits l;
  l.max_per_key = 2;
  l.max_total = 3;
  Outbox o(l);
  EXPECT_TRUE(o.push("a", "e", "1", 0));
  EXPECT_TRUE(o.push("a", "e", "2", 0));
  EXPECT_FALSE(o.push("a", "e", "3", 0));  // the room's queue
  EXPECT_TRUE(o.push("b", "e", "4", 0));
  EXPECT_FALSE(o.push("c", "e", "5", 0));  // the whole outbox
  EXPECT_EQ(o.counters().dropped_full, 2u);
  EXPECT_EQ(o.depth(), 3u);
  // A finished id that is not in flight changes nothing.
  o.finish(12345, Outcome::kDelivered, 0);
  EXPECT_EQ(o.depth(), 3u);
}

TEST(WebhookOutbox, QueuedBytesAreBounded) {
  OutboxLimits l;
  l.max_bytes = 10;
  Outbox o(l);
  EXPECT_TRUE(o.push("a", "e", "123456", 0));
  EXPECT_FALSE(o.push("b", "e", "12345", 0));
  EXPECT_TRUE(o.push("b", "e", "1234", 0));
  EXPECT_EQ(o.bytes(), 10u);
  const webhook::Delivery* d = o.start(0);
  ASSERT_NE(d, nullptr);
  o.finish(d->id, Outcome::kDelivered, 0);
  EXPECT_EQ(o.bytes(), 4u);
}

TEST(WebhookOutbox, InFlightIsBounded) {
  OutboxLimits l;
  l.max_in_flight = 2;
  Outbox o(l);
  for (const char* k : {"a", "b", "c"}) o.push(k, "e", k, 0);
  ASSERT_NE(o.start(0), nullptr);
  ASSERT_NE(o.start(0), nullptr);
  EXPECT_EQ(o.start(0), nullptr);
  EXPECT_EQ(o.next_due_us(), INT64_MAX);
  EXPECT_EQ(o.in_flight(), 2u);
}

nlohmann::json jwt_payload(const std::string& token) {
  const auto d1 = token.find('.');
  const auto d2 = token.find('.', d1 + 1);
  std::string json;
  EXPECT_TRUE(auth::base64url_decode(token.substr(d1 + 1, d2 - d1 - 1), json));
  return nlohmann::json::parse(json);
}

TEST(WebhookPayload, BodyIsProtojsonAndTheTokenSignsItsHash) {
  ::livekit::WebhookEvent ev;
  ev.set_event("participant_joined");
  ev.set_id("EV_abc");
  ev.set_created_at(1764547200);
  ev.mutable_room()->set_name("demo");
  ev.mutable_room()->set_creation_time(1764547100);
  ev.mutable_participant()->set_identity("alice");
  ev.mutable_participant()->set_state(::livekit::ParticipantInfo::ACTIVE);
  const std::string body = webhook::event_body(ev);
  const auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["event"], "participant_joined");
  EXPECT_EQ(j["createdAt"], "1764547200");  // int64 as a string, camelCase
  EXPECT_EQ(j["room"]["creationTime"], "1764547100");
  EXPECT_EQ(j["participant"]["state"], "ACTIVE");
  EXPECT_FALSE(j["participant"].contains("metadata"));  // defaults left out
  // SHA-256("abc"), standard base64 with padding.
  EXPECT_EQ(webhook::body_sha256("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  const std::string token = webhook::authorization(body, "APIkey1", std::string(32, 's'), 1000);
  const std::map<std::string, std::string> keys{{"APIkey1", std::string(32, 's')}};
  const auth::TokenResult v = auth::verify(token, keys, 1001);
  ASSERT_TRUE(v.ok) << v.detail;
  EXPECT_EQ(v.claims.api_key, "APIkey1");
  EXPECT_EQ(v.claims.expires, 1000 + 300);
  EXPECT_EQ(jwt_payload(token)["sha256"], webhook::body_sha256(body));
  EXPECT_FALSE(auth::verify(token, keys, 1000 + 300 + auth::kClockLeewayS).ok);  // expired
}

const char* const kDataplane = R"(
dataplane:
  worker_lcores: [1]
  wire:
    vdev: net_af_packet0,iface=veth0
  exception:
    iface: tap0
keys:
  APIkey1: secret-of-at-least-thirty-two-characters
)";

TEST(WebhookConfig, KeyMustBeKnownAndUrlsHttp) {
  auto ok =
      config::parse_config(std::string(kDataplane) +
                           "webhook:\n  api_key: APIkey1\n  urls: ['http://198.18.0.1:8080/"
                           "hook', 'https://hooks.example/lk']\n  request_timeout_ms: 2000\n");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok.value().webhook.urls.size(), 2u);
  EXPECT_EQ(ok.value().webhook.request_timeout_ms, 2000u);
  struct Bad {
    const char* yaml;
    const char* says;
  };
  for (const Bad& b : {
           Bad{"webhook: {api_key: nobody, urls: ['http://h/x']}", "webhook.api_key"},
           Bad{"webhook: {urls: ['http://h/x']}", "webhook.api_key"},
           Bad{"webhook: {api_key: APIkey1, urls: ['ftp://h/x']}", "webhook.urls"},
           Bad{"webhook: {api_key: APIkey1, urls: ['http:///x']}", "webhook.urls"},
           Bad{"webhook: {api_key: APIkey1, urls: ['h/x']}", "webhook.urls"},
           Bad{"webhook: {api_key: APIkey1, urls: 'http://h/x'}", "webhook.urls"},
           Bad{"webhook: {api_key: APIkey1, request_timeout_ms: 5}", "request_timeout_ms"},
       }) {
    auto r = config::parse_config(std::string(kDataplane) + b.yaml + "\n");
    ASSERT_FALSE(r.ok()) << b.yaml;
    EXPECT_NE(r.error().message.find(b.says), std::string::npos) << r.error().message;
  }
}

// Records the rooms model's events as "event:subject" strings.
class Recorder : public rooms::RoomEvents {
 public:
  std::vector<std::string> seen;
  void room_started(const rooms::Room& r) override { seen.push_back("started:" + r.name); }
  void room_finished(const rooms::Room& r) override { seen.push_back("finished:" + r.name); }
  void participant_active(const rooms::Room&, const rooms::Participant& p) override {
    seen.push_back("active:" + p.identity);
  }
  void participant_left(const rooms::Room&, const rooms::Participant& p) override {
    seen.push_back((p.active ? "left:" : "aborted:") + p.identity);
  }
  void track_published(const rooms::Room&, const rooms::Participant& p,
                       const rooms::Track& t) override {
    seen.push_back("published:" + p.identity + "/" + t.sid);
  }
  void track_unpublished(const rooms::Room&, const rooms::Participant& p,
                         const rooms::Track& t) override {
    seen.push_back("unpublished:" + p.identity + "/" + t.sid);
  }
};

rooms::Participant who(const char* sid, const char* identity) {
  rooms::Participant p;
  p.sid = sid;
  p.identity = identity;
  return p;
}

rooms::Track track(const char* sid, const char* publisher) {
  rooms::Track t;
  t.sid = sid;
  t.publisher = publisher;
  t.desc.kind = "audio";
  return t;
}

TEST(RoomEvents, ARoomsLifeInLiveKitsOrder) {
  rooms::Rooms rs;
  Recorder rec;
  rs.add_events(&rec);
  rs.join("r", who("PA_a", "alice"), 1);
  rs.join("r", who("PA_b", "bob"), 1);
  rs.activate("r", "PA_a");
  rs.activate("r", "PA_a");  // once
  rs.add_track("r", track("TR_1", "PA_a"));
  rs.add_track("r", track("TR_2", "PA_a"));
  rs.track_ready("r", "TR_1", TrackRef{});
  rs.track_ready("r", "TR_1", TrackRef{});  // once
  rs.remove_track("r", "TR_2");             // never ready: never announced
  rs.leave("r", "PA_b", 2);                 // never active
  rs.leave("r", "PA_a", 3);
  EXPECT_TRUE(rs.sweep(3, 10, 10).empty());
  EXPECT_EQ(rs.sweep(20, 10, 10), std::vector<std::string>{"r"});
  EXPECT_EQ(rec.seen, (std::vector<std::string>{"started:r", "active:alice", "published:alice/TR_1",
                                                "aborted:bob", "unpublished:alice/TR_1",
                                                "left:alice", "finished:r"}));
  rs.remove_events(&rec);
  rs.join("s", who("PA_c", "carol"), 30);
  EXPECT_EQ(rec.seen.size(), 7u);
}

TEST(RoomEvents, AnOldSessionsTracksGoEvenFromARoomMadeAgain) {
  rooms::Rooms rs;
  rs.join("r", who("PA_a", "alice"), 1);
  rs.remove("r");
  rs.join("r", who("PA_b", "bob"), 2);         // the same name, a new room
  rs.add_track("r", track("TR_old", "PA_a"));  // alice's session, not ended yet
  rs.leave("r", "PA_a", 3);                    // ... now ended
  EXPECT_EQ(rs.track("r", "TR_old"), nullptr);
  EXPECT_EQ(rs.find("r")->participants.size(), 1u);
}

TEST(RoomEvents, DeletingARoomEndsItsParticipantsFirst) {
  rooms::Rooms rs;
  Recorder rec;
  rs.add_events(&rec);
  auto made = rs.create("r", {}, 1);
  EXPECT_TRUE(made.second);
  EXPECT_FALSE(rs.create("r", {}, 1).second);  // started once
  rs.join("r", who("PA_a", "alice"), 1);
  rs.activate("r", "PA_a");
  rs.add_track("r", track("TR_1", "PA_a"));
  rs.track_ready("r", "TR_1", TrackRef{});
  rs.remove("r");
  rs.leave("r", "PA_a", 2);  // its door ends it later: nothing more
  EXPECT_EQ(rec.seen,
            (std::vector<std::string>{"started:r", "active:alice", "published:alice/TR_1",
                                      "unpublished:alice/TR_1", "left:alice", "finished:r"}));
}

}  // namespace
}  // namespace edgesfu::sp

namespace edgesfu::sp {
namespace {

TEST(RoomEvents, ARoomWithOnlyAgentsLeftClosesAndTheyLeaveFirst) {
  rooms::Rooms rs;
  Recorder rec;
  rs.add_events(&rec);
  rooms::Participant agent = who("PA_g", "agent-AJ_1");
  agent.dependent = true;
  rs.join("r", who("PA_a", "alice"), 1);
  rs.join("r", agent, 1);
  EXPECT_TRUE(rs.sweep(100, 10, 10).empty());  // alice keeps it open
  rs.leave("r", "PA_a", 200);
  EXPECT_TRUE(rs.sweep(205, 10, 10).empty());  // its departure timeout runs
  EXPECT_EQ(rs.sweep(210, 10, 10), std::vector<std::string>{"r"});
  EXPECT_EQ(rec.seen, (std::vector<std::string>{"started:r", "aborted:alice", "aborted:agent-AJ_1",
                                                "finished:r"}));
  // An agent alone in a room made for it does not stop its empty timeout.
  rs.create("s", {}, 300);
  rs.join("s", agent, 301);
  EXPECT_EQ(rs.sweep(311, 10, 10), std::vector<std::string>{"s"});
}

}  // namespace
}  // namespace edgesfu::sp
