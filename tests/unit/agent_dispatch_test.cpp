// AgentDispatcher: LiveKit's dispatch rules and the hand-over of a job when
// a worker refuses it, does not answer, or goes away.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "slowpath/auth/token.hpp"
#include "slowpath/signalling/livekit/agent_dispatch.hpp"

namespace edgesfu::sp::livekit {
namespace {

using Kind = AgentAction::Kind;

::livekit::RegisterWorkerRequest reg(const std::string& name,
                                     ::livekit::JobType type = ::livekit::JT_ROOM) {
  ::livekit::RegisterWorkerRequest r;
  r.set_agent_name(name);
  r.set_type(type);
  return r;
}

::livekit::Room room(const std::string& name) {
  ::livekit::Room r;
  r.set_sid("RM_" + name);
  r.set_name(name);
  return r;
}

::livekit::ParticipantInfo person(const std::string& identity, bool agent = false) {
  ::livekit::ParticipantInfo p;
  p.set_identity(identity);
  p.set_sid("PA_" + identity);
  if (agent) p.set_kind(::livekit::ParticipantInfo::AGENT);
  return p;
}

::livekit::AvailabilityResponse answer(const AgentAction& offer, bool available) {
  ::livekit::AvailabilityResponse r;
  r.set_job_id(offer.job.id());
  r.set_available(available);
  return r;
}

TEST(AgentDispatcher, ARoomWithoutAgentsGetsTheDefaultDispatch) {
  AgentDispatcher d;
  const std::string unnamed = d.add_worker(reg(""));
  d.add_worker(reg("helper"));
  AgentActions a = d.room_started(room("r"), {}, 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Kind::kOffer);
  EXPECT_EQ(a[0].worker, unnamed);
  EXPECT_EQ(a[0].job.type(), ::livekit::JT_ROOM);
  EXPECT_EQ(a[0].job.room().sid(), "RM_r");
  EXPECT_EQ(a[0].job.agent_name(), "");
  EXPECT_EQ(a[0].job.id().rfind("AJ_", 0), 0u);
  // Accepted: a token for agent-<job id> with lk.agent_name and the
  // worker's default permissions.
  AgentActions b = d.availability(unnamed, answer(a[0], true), 1);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].kind, Kind::kAssign);
  EXPECT_EQ(b[0].answer.participant_identity(), "agent-" + a[0].job.id());
  EXPECT_EQ(b[0].answer.participant_attributes().at(kAgentNameAttribute), "");
  EXPECT_TRUE(b[0].permissions.can_publish());
  EXPECT_TRUE(b[0].permissions.can_update_metadata());
  EXPECT_EQ(b[0].job.state().status(), ::livekit::JS_RUNNING);
  EXPECT_EQ(b[0].job.state().worker_id(), unnamed);
  // The room finishes: the worker is told.
  AgentActions c = d.room_finished("r");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, Kind::kTerminate);
  EXPECT_EQ(d.jobs(), 0u);
}

TEST(AgentDispatcher, NamedAgentsOnlyWhereAskedAndNoDefaultThen) {
  AgentDispatcher d;
  d.add_worker(reg(""));
  const std::string helper = d.add_worker(reg("helper"));
  AgentActions a = d.room_started(room("r"), {{"helper", "meta"}}, 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].worker, helper);
  EXPECT_EQ(a[0].job.metadata(), "meta");
  // No worker of a name: no job at all (LiveKit launches none).
  EXPECT_TRUE(d.room_started(room("s"), {{"nobody", ""}}, 0).empty());
  EXPECT_EQ(d.jobs(), 1u);
}

TEST(AgentDispatcher, RefusedOrUnansweredJobsGoToTheNextWorkerThenAreDropped) {
  AgentDispatcher d;
  const std::string w1 = d.add_worker(reg(""));
  const std::string w2 = d.add_worker(reg(""));
  ::livekit::UpdateWorkerStatus busy;
  busy.set_load(0.5f);
  d.update_worker(w1, busy);  // w2 is the less loaded
  AgentActions a = d.room_started(room("r"), {}, 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].worker, w2);
  AgentActions b = d.availability(w2, answer(a[0], false), 1);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].kind, Kind::kOffer);
  EXPECT_EQ(b[0].worker, w1);
  // A late answer from w2 changes nothing.
  EXPECT_TRUE(d.availability(w2, answer(a[0], true), 2).empty());
  EXPECT_TRUE(d.tick(kAvailabilityTimeoutUs).empty());  // not yet
  AgentActions c = d.tick(1 + kAvailabilityTimeoutUs);  // w1 never answered
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, Kind::kUnplaced);
  EXPECT_EQ(d.jobs(), 0u);
}

TEST(AgentDispatcher, FullWorkersAreSkipped) {
  AgentDispatcher d;
  const std::string w1 = d.add_worker(reg(""));
  ::livekit::UpdateWorkerStatus full;
  full.set_status(::livekit::WS_FULL);
  d.update_worker(w1, full);
  AgentActions a = d.room_started(room("r"), {}, 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Kind::kUnplaced);
}

TEST(AgentDispatcher, AWorkerGoneBeforeItsAgentJoinedPassesTheJobOn) {
  AgentDispatcher d;
  const std::string w1 = d.add_worker(reg(""));
  AgentActions a = d.room_started(room("r"), {}, 0);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(d.availability(w1, answer(a[0], true), 1).size(), 1u);
  const std::string w2 = d.add_worker(reg(""));
  AgentActions b = d.remove_worker(w1, 2);  // assigned, agent not joined yet
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].kind, Kind::kOffer);
  EXPECT_EQ(b[0].worker, w2);
  EXPECT_EQ(b[0].job.id(), a[0].job.id());
  AgentActions c = d.availability(w2, answer(b[0], true), 3);
  ASSERT_EQ(c.size(), 1u);
  // Its agent joins: the job runs; the worker going now ends it, the room
  // carries on with nothing re-offered.
  d.participant_joined(room("r"), person(c[0].answer.participant_identity(), true), 4);
  EXPECT_TRUE(d.remove_worker(w2, 5).empty());
  EXPECT_EQ(d.jobs(), 0u);
  EXPECT_EQ(d.workers(), 0u);
}

TEST(AgentDispatcher, AnAcceptedJobWhoseAgentNeverJoinsEnds) {
  AgentDispatcher d;
  const std::string w = d.add_worker(reg(""));
  AgentActions a = d.room_started(room("r"), {}, 0);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(d.availability(w, answer(a[0], true), 1).size(), 1u);
  ASSERT_EQ(d.list_dispatches("r", "").at(0).state().jobs_size(), 1);
  EXPECT_TRUE(d.tick(kAgentJoinTimeoutUs).empty());
  AgentActions b = d.tick(2 + kAgentJoinTimeoutUs);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].kind, Kind::kTerminate);
  EXPECT_EQ(b[0].worker, w);
  EXPECT_EQ(d.jobs(), 0u);
  EXPECT_EQ(d.list_dispatches("r", "").at(0).state().jobs_size(), 0);  // live jobs only
}

TEST(AgentDispatcher, ASimulatedJobIsForItsWorkerOnly) {
  AgentDispatcher d;
  const std::string w1 = d.add_worker(reg("helper"));
  d.add_worker(reg("helper"));
  ::livekit::SimulateJobRequest req;
  *req.mutable_room() = room("r");
  AgentActions a = d.simulate_job(w1, req, 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Kind::kOffer);
  EXPECT_EQ(a[0].worker, w1);
  EXPECT_EQ(a[0].job.type(), ::livekit::JT_ROOM);
  EXPECT_EQ(a[0].job.agent_name(), "helper");
  AgentActions b = d.availability(w1, answer(a[0], false), 1);  // refused: not passed on
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].kind, Kind::kUnplaced);
  *req.mutable_participant() = person("alice");
  AgentActions c = d.simulate_job(w1, req, 2);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].job.type(), ::livekit::JT_PUBLISHER);
  EXPECT_EQ(d.availability(w1, answer(c[0], true), 3).at(0).kind, Kind::kAssign);
  EXPECT_TRUE(d.simulate_job("AW_nobody", req, 4).empty());
}

TEST(AgentDispatcher, ParticipantAndPublisherJobsForPeopleNotAgents) {
  AgentDispatcher d;
  const std::string per_participant = d.add_worker(reg("", ::livekit::JT_PARTICIPANT));
  const std::string per_publisher = d.add_worker(reg("", ::livekit::JT_PUBLISHER));
  EXPECT_TRUE(d.room_started(room("r"), {}, 0).empty());  // no JT_ROOM worker
  AgentActions a = d.participant_joined(room("r"), person("alice"), 1);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].worker, per_participant);
  EXPECT_EQ(a[0].job.participant().identity(), "alice");
  EXPECT_TRUE(d.participant_joined(room("r"), person("bot", true), 1).empty());
  AgentActions b = d.participant_published(room("r"), person("alice"), 2);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].worker, per_publisher);
  EXPECT_TRUE(d.participant_published(room("r"), person("alice"), 3).empty());  // first only
  d.participant_left("r", "alice");
  EXPECT_EQ(d.participant_published(room("r"), person("alice"), 4).size(), 1u);  // a new life
}

TEST(AgentDispatcher, CreateListDeleteDispatch) {
  AgentDispatcher d;
  const std::string helper = d.add_worker(reg("helper"));
  d.room_started(room("r"), {}, 0);
  AgentActions a;
  ::livekit::CreateAgentDispatchRequest req;
  req.set_agent_name("helper");
  req.set_room("r");
  req.set_metadata("m");
  auto made = d.create_dispatch(room("r"), req, {person("alice")}, 1, a);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->id().rfind("AD_", 0), 0u);
  ASSERT_EQ(a.size(), 1u);  // its room job (no participant-type worker)
  EXPECT_EQ(made->state().jobs_size(), 1);
  EXPECT_EQ(d.list_dispatches("r", "").size(), 2u);  // the default one and this
  EXPECT_EQ(d.list_dispatches("r", made->id()).size(), 1u);
  ASSERT_EQ(d.availability(helper, answer(a[0], true), 2).size(), 1u);
  AgentActions gone;
  auto del = d.delete_dispatch("r", made->id(), gone);
  ASSERT_TRUE(del.ok());
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].kind, Kind::kTerminate);
  EXPECT_TRUE(gone[0].remove_agent);
  AgentActions none;
  EXPECT_EQ(d.delete_dispatch("r", made->id(), none).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(d.delete_dispatch("nowhere", "AD_x", none).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace edgesfu::sp::livekit

namespace edgesfu::sp::auth {
namespace {

TEST(AgentToken, JobTokensAndRoomConfigAgentsRoundTrip) {
  const std::map<std::string, std::string> keys{{"k", std::string(32, 's')}};
  Claims c;
  c.api_key = "k";
  c.identity = "agent-AJ_1";
  c.kind = "agent";
  c.attributes["lk.agent_name"] = "helper";
  c.expires = 2000;
  c.video.room = "r";
  c.video.room_join = true;
  c.video.agent = true;
  c.video.hidden = true;
  c.video.can_update_own_metadata = true;
  c.room_agents = {{"helper", "m"}, {"", ""}};
  const TokenResult t = verify(mint(c, keys.at("k")), keys, 1000);
  ASSERT_TRUE(t.ok) << t.detail;
  EXPECT_EQ(t.claims.kind, "agent");
  EXPECT_EQ(t.claims.attributes.at("lk.agent_name"), "helper");
  EXPECT_TRUE(t.claims.video.agent);
  EXPECT_TRUE(t.claims.video.hidden);
  EXPECT_TRUE(t.claims.video.can_update_own_metadata);
  ASSERT_EQ(t.claims.room_agents.size(), 2u);
  EXPECT_EQ(t.claims.room_agents[0].agent_name, "helper");
  EXPECT_EQ(t.claims.room_agents[0].metadata, "m");
}

}  // namespace
}  // namespace edgesfu::sp::auth
