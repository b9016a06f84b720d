// Which agent worker gets which job, as LiveKit's server decides it
// (pkg/rtc/room.go, pkg/agent): a room's dispatches (CreateRoom's or the
// first join token's agents, CreateDispatch; none: one default dispatch for
// workers registered without an agent name) launch a JT_ROOM job when the
// room starts, a JT_PARTICIPANT job for each participant that joins and a
// JT_PUBLISHER job for each first publication (agents themselves launch
// none). A job goes to the least loaded available worker registered with
// the dispatch's agent name and the job's type; a worker that refuses, does
// not answer within 10 s, or goes away before its agent joined passes the
// job to the next one. Pure: the caller carries out the actions (WebSocket
// frames, tokens) and brings the clock. Slow-path thread only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "livekit_agent.pb.h"
#include "slowpath/rooms/rooms.hpp"

namespace edgesfu::sp::livekit {

inline constexpr int64_t kAvailabilityTimeoutUs = 10 * 1000000LL;  // LiveKit's AssignJobTimeout
// An accepted job whose agent has not joined by then is ended.
inline constexpr int64_t kAgentJoinTimeoutUs = 60 * 1000000LL;
inline constexpr const char* kAgentNameAttribute = "lk.agent_name";

struct AgentAction {
  enum class Kind {
    kOffer,      // AvailabilityRequest{job} to `worker`
    kAssign,     // JobAssignment{job, token for `answer`'s identity} to `worker`
    kTerminate,  // JobTermination{job.id} to `worker`
    kUnplaced,   // no worker took the job: it is dropped (logged)
  };
  Kind kind = Kind::kOffer;
  std::string worker;
  ::livekit::Job job;
  // kAssign: who the agent joins as (attributes with lk.agent_name) and
  // what the worker asked its agents may do.
  ::livekit::AvailabilityResponse answer;
  ::livekit::ParticipantPermission permissions;
  // kTerminate: the agent's participant is to be removed too (its dispatch
  // was deleted).
  bool remove_agent = false;
};
using AgentActions = std::vector<AgentAction>;

class AgentDispatcher {
 public:
  // Workers. add_worker returns the worker's id (AW_...).
  std::string add_worker(const ::livekit::RegisterWorkerRequest& req);
  void update_worker(const std::string& worker, const ::livekit::UpdateWorkerStatus& s);
  AgentActions remove_worker(const std::string& worker, int64_t now_us);
  AgentActions availability(const std::string& worker, const ::livekit::AvailabilityResponse& r,
                            int64_t now_us);
  // JS_SUCCESS / JS_FAILED from the worker: the job is over.
  void job_status(const std::string& worker, const ::livekit::UpdateJobStatus& s);
  // simulate_job (the agents CLI's `connect --room`): a job for `worker`
  // alone, JT_PUBLISHER when a participant is named, else JT_ROOM, into the
  // room as the worker describes it (LiveKit's HandleSimulateJob).
  AgentActions simulate_job(const std::string& worker, const ::livekit::SimulateJobRequest& req,
                            int64_t now_us);
  // Offers not answered in time go to the next worker; accepted jobs whose
  // agent did not join in time end.
  AgentActions tick(int64_t now_us);

  // Rooms (the rooms model's events, described as LiveKit does).
  AgentActions room_started(const ::livekit::Room& room,
                            const std::vector<rooms::AgentRequest>& agents, int64_t now_us);
  AgentActions room_finished(const std::string& room);
  AgentActions participant_joined(const ::livekit::Room& room, const ::livekit::ParticipantInfo& p,
                                  int64_t now_us);
  AgentActions participant_published(const ::livekit::Room& room,
                                     const ::livekit::ParticipantInfo& p, int64_t now_us);
  AgentActions participant_left(const std::string& room, const std::string& identity);

  // AgentDispatchService. `present`: the room's participants now.
  Result<::livekit::AgentDispatch> create_dispatch(
      const ::livekit::Room& room, const ::livekit::CreateAgentDispatchRequest& req,
      const std::vector<::livekit::ParticipantInfo>& present, int64_t now_us, AgentActions& out);
  Result<::livekit::AgentDispatch> delete_dispatch(const std::string& room, const std::string& id,
                                                   AgentActions& out);
  std::vector<::livekit::AgentDispatch> list_dispatches(const std::string& room,
                                                        const std::string& id) const;

  std::size_t workers() const { return workers_.size(); }
  std::size_t jobs() const { return jobs_.size(); }

 private:
  struct Worker {
    std::string agent_name;
    ::livekit::JobType type = ::livekit::JT_ROOM;
    ::livekit::ParticipantPermission permissions;
    bool full = false;
    float load = 0;
    std::set<std::string> jobs;  // assigned to it
  };
  enum class Phase { kOffered, kAssigned, kRunning };
  struct PendingJob {
    ::livekit::Job job;
    Phase phase = Phase::kOffered;
    std::string worker;  // offered to, then assigned to
    std::set<std::string> tried;
    int64_t deadline_us = 0;
    bool pinned = false;  // for its worker only (simulate_job): never passed on
  };

  AgentActions launch(const ::livekit::AgentDispatch& d, ::livekit::JobType type,
                      const ::livekit::Room& room, const ::livekit::ParticipantInfo* p,
                      int64_t now_us);
  // Offers the job to the next worker it has not been offered to, or drops it.
  void place(PendingJob& j, int64_t now_us, AgentActions& out);
  // JobTermination of `id` to its worker, then the job ends.
  void terminate(const std::string& id, bool remove_agent, AgentActions& out);
  // Ends a job: off its worker, out of its dispatch's list, out of the table.
  void end_job(const std::string& id);
  bool has_worker(const std::string& agent_name, ::livekit::JobType type) const;

  std::map<std::string, Worker> workers_;
  std::map<std::string, PendingJob> jobs_;                                   // by job id
  std::map<std::string, std::vector<::livekit::AgentDispatch>> dispatches_;  // by room
  std::map<std::string, std::set<std::string>> published_;  // room -> identities that published
};

}  // namespace edgesfu::sp::livekit
