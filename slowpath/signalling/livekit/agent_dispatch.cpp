#include "slowpath/signalling/livekit/agent_dispatch.hpp"

#include <algorithm>

namespace edgesfu::sp::livekit {

namespace {

bool is_agent(const ::livekit::ParticipantInfo& p) {
  return p.kind() == ::livekit::ParticipantInfo::AGENT;
}

}  // namespace

std::string AgentDispatcher::add_worker(const ::livekit::RegisterWorkerRequest& req) {
  const std::string id = rooms::new_id("AW_");
  Worker& w = workers_[id];
  w.agent_name = req.agent_name();
  w.type = req.type();
  if (req.has_allowed_permissions()) {
    w.permissions = req.allowed_permissions();
  } else {  // LiveKit's default when a worker names none
    w.permissions.set_can_subscribe(true);
    w.permissions.set_can_publish(true);
    w.permissions.set_can_publish_data(true);
    w.permissions.set_can_update_metadata(true);
  }
  return id;
}

void AgentDispatcher::update_worker(const std::string& worker,
                                    const ::livekit::UpdateWorkerStatus& s) {
  auto w = workers_.find(worker);
  if (w == workers_.end()) return;
  if (s.has_status()) w->second.full = s.status() == ::livekit::WS_FULL;
  w->second.load = s.load();
}

bool AgentDispatcher::has_worker(const std::string& agent_name, ::livekit::JobType type) const {
  return std::any_of(workers_.begin(), workers_.end(), [&](const auto& w) {
    return w.second.agent_name == agent_name && w.second.type == type;
  });
}

void AgentDispatcher::place(PendingJob& j, int64_t now_us, AgentActions& out) {
  const std::string* best = nullptr;
  const Worker* best_w = nullptr;
  for (const auto& [id, w] : workers_) {
    if (j.pinned) break;
    if (w.agent_name != j.job.agent_name() || w.type != j.job.type() || w.full ||
        j.tried.count(id) != 0) {
      continue;
    }
    if (best_w == nullptr || w.load < best_w->load ||
        (w.load == best_w->load && w.jobs.size() < best_w->jobs.size())) {
      best = &id;
      best_w = &w;
    }
  }
  if (best == nullptr) {
    AgentAction a;
    a.kind = AgentAction::Kind::kUnplaced;
    a.job = j.job;
    out.push_back(std::move(a));
    jobs_.erase(j.job.id());  // `j` is gone from here on
    return;
  }
  j.phase = Phase::kOffered;
  j.worker = *best;
  j.tried.insert(*best);
  j.deadline_us = now_us + kAvailabilityTimeoutUs;
  AgentAction a;
  a.kind = AgentAction::Kind::kOffer;
  a.worker = *best;
  a.job = j.job;
  out.push_back(std::move(a));
}

AgentActions AgentDispatcher::launch(const ::livekit::AgentDispatch& d, ::livekit::JobType type,
                                     const ::livekit::Room& room,
                                     const ::livekit::ParticipantInfo* p, int64_t now_us) {
  AgentActions out;
  // LiveKit launches a job only where a worker for it is registered.
  if (!has_worker(d.agent_name(), type)) return out;
  PendingJob j;
  ::livekit::Job& job = j.job;
  job.set_id(rooms::new_id("AJ_"));
  job.set_dispatch_id(d.id());
  job.set_type(type);
  job.mutable_room()->set_sid(room.sid());
  job.mutable_room()->set_name(room.name());
  if (p != nullptr) *job.mutable_participant() = *p;
  job.set_metadata(d.metadata());
  job.set_agent_name(d.agent_name());
  *job.mutable_attributes() = d.attributes();
  job.mutable_state()->set_status(::livekit::JS_PENDING);
  job.mutable_state()->set_updated_at(now_us * 1000);
  for (auto& rd : dispatches_[room.name()]) {
    if (rd.id() == d.id()) *rd.mutable_state()->add_jobs() = job;
  }
  const std::string id = job.id();
  place(jobs_[id] = std::move(j), now_us, out);
  return out;
}

AgentActions AgentDispatcher::simulate_job(const std::string& worker,
                                           const ::livekit::SimulateJobRequest& req,
                                           int64_t now_us) {
  AgentActions out;
  auto w = workers_.find(worker);
  if (w == workers_.end() || req.room().name().empty()) return out;
  PendingJob j;
  ::livekit::Job& job = j.job;
  job.set_id(rooms::new_id("AJ_"));
  job.set_type(req.has_participant() ? ::livekit::JT_PUBLISHER : ::livekit::JT_ROOM);
  *job.mutable_room() = req.room();
  if (req.has_participant()) *job.mutable_participant() = req.participant();
  job.set_agent_name(w->second.agent_name);
  job.mutable_state()->set_status(::livekit::JS_PENDING);
  j.pinned = true;
  j.phase = Phase::kOffered;
  j.worker = worker;
  j.tried.insert(worker);
  j.deadline_us = now_us + kAvailabilityTimeoutUs;
  AgentAction a;
  a.kind = AgentAction::Kind::kOffer;
  a.worker = worker;
  a.job = job;
  out.push_back(std::move(a));
  jobs_[job.id()] = std::move(j);
  return out;
}

AgentActions AgentDispatcher::availability(const std::string& worker,
                                           const ::livekit::AvailabilityResponse& r,
                                           int64_t now_us) {
  AgentActions out;
  auto it = jobs_.find(r.job_id());
  if (it == jobs_.end() || it->second.phase != Phase::kOffered || it->second.worker != worker) {
    return out;  // late, or not this worker's to answer
  }
  PendingJob& j = it->second;
  if (r.terminate()) {  // the worker says the job is done before it began
    jobs_.erase(it);
    return out;
  }
  if (!r.available()) {
    place(j, now_us, out);
    return out;
  }
  Worker& w = workers_[worker];
  j.phase = Phase::kAssigned;
  w.jobs.insert(j.job.id());
  ::livekit::JobState* st = j.job.mutable_state();
  st->set_status(::livekit::JS_RUNNING);
  st->set_worker_id(worker);
  st->set_started_at(now_us * 1000);
  st->set_updated_at(now_us * 1000);
  j.deadline_us = now_us + kAgentJoinTimeoutUs;
  AgentAction a;
  a.kind = AgentAction::Kind::kAssign;
  a.worker = worker;
  a.answer = r;
  // agents-js names its agent "agent-<job id>"; a worker that names none
  // gets the same.
  if (a.answer.participant_identity().empty()) {
    a.answer.set_participant_identity("agent-" + j.job.id());
  }
  (*a.answer.mutable_participant_attributes())[kAgentNameAttribute] = w.agent_name;
  st->set_participant_identity(a.answer.participant_identity());
  a.job = j.job;
  a.permissions = w.permissions;
  out.push_back(std::move(a));
  return out;
}

void AgentDispatcher::job_status(const std::string& worker, const ::livekit::UpdateJobStatus& s) {
  auto it = jobs_.find(s.job_id());
  if (it == jobs_.end() || it->second.worker != worker) return;
  if (s.status() == ::livekit::JS_SUCCESS || s.status() == ::livekit::JS_FAILED) {
    end_job(s.job_id());
  }
}

void AgentDispatcher::terminate(const std::string& id, bool remove_agent, AgentActions& out) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  AgentAction a;
  a.kind = AgentAction::Kind::kTerminate;
  a.worker = it->second.worker;
  a.job = it->second.job;
  a.remove_agent = remove_agent;
  out.push_back(std::move(a));
  end_job(id);
}

void AgentDispatcher::end_job(const std::string& id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  if (auto w = workers_.find(it->second.worker); w != workers_.end()) w->second.jobs.erase(id);
  // Its dispatch lists live jobs only (a long room's list stays short).
  if (auto list = dispatches_.find(it->second.job.room().name()); list != dispatches_.end()) {
    for (auto& d : list->second) {
      auto* jobs = d.mutable_state()->mutable_jobs();
      for (int i = 0; i < jobs->size(); ++i) {
        if (jobs->Get(i).id() == id) {
          jobs->DeleteSubrange(i, 1);
          break;
        }
      }
    }
  }
  jobs_.erase(it);
}

AgentActions AgentDispatcher::remove_worker(const std::string& worker, int64_t now_us) {
  AgentActions out;
  if (workers_.erase(worker) == 0) return out;
  std::vector<std::string> ids;
  for (const auto& [id, j] : jobs_) {
    if (j.worker == worker) ids.push_back(id);
  }
  for (const std::string& id : ids) {
    PendingJob& j = jobs_[id];
    if (j.phase == Phase::kRunning) {
      jobs_.erase(id);  // its agent goes with the worker; the room carries on
    } else {
      place(j, now_us, out);  // offered, or assigned but not joined yet
    }
  }
  return out;
}

AgentActions AgentDispatcher::tick(int64_t now_us) {
  AgentActions out;
  std::vector<std::string> late, absent;
  for (const auto& [id, j] : jobs_) {
    if (now_us < j.deadline_us) continue;
    if (j.phase == Phase::kOffered) late.push_back(id);
    if (j.phase == Phase::kAssigned) absent.push_back(id);
  }
  for (const std::string& id : late) place(jobs_[id], now_us, out);
  for (const std::string& id : absent) {  // accepted, but its agent never came
    terminate(id, false, out);
  }
  return out;
}

AgentActions AgentDispatcher::room_started(const ::livekit::Room& room,
                                           const std::vector<rooms::AgentRequest>& agents,
                                           int64_t now_us) {
  std::vector<rooms::AgentRequest> wanted = agents;
  if (wanted.empty()) wanted.push_back({});  // LiveKit's default dispatch
  auto& list = dispatches_[room.name()];
  list.clear();
  for (const rooms::AgentRequest& a : wanted) {
    ::livekit::AgentDispatch d;
    d.set_id(rooms::new_id("AD_"));
    d.set_agent_name(a.agent_name);
    d.set_room(room.name());
    d.set_metadata(a.metadata);
    d.mutable_state()->set_created_at(now_us * 1000);
    list.push_back(std::move(d));
  }
  AgentActions out;
  const std::vector<::livekit::AgentDispatch> launching = list;
  for (const auto& d : launching) {
    AgentActions a = launch(d, ::livekit::JT_ROOM, room, nullptr, now_us);
    out.insert(out.end(), a.begin(), a.end());
  }
  return out;
}

AgentActions AgentDispatcher::room_finished(const std::string& room) {
  AgentActions out;
  std::vector<std::string> ids;
  for (const auto& [id, j] : jobs_) {
    if (j.job.room().name() == room) ids.push_back(id);
  }
  for (const std::string& id : ids) {
    // An offer not answered yet has no worker to tell.
    if (jobs_[id].phase != Phase::kOffered) {
      terminate(id, false, out);
    } else {
      end_job(id);
    }
  }
  dispatches_.erase(room);
  published_.erase(room);
  return out;
}

AgentActions AgentDispatcher::participant_joined(const ::livekit::Room& room,
                                                 const ::livekit::ParticipantInfo& p,
                                                 int64_t now_us) {
  AgentActions out;
  if (is_agent(p)) {
    for (auto& [id, j] : jobs_) {
      if (j.phase == Phase::kAssigned && j.job.room().name() == room.name() &&
          j.job.state().participant_identity() == p.identity()) {
        j.phase = Phase::kRunning;
      }
    }
    return out;
  }
  const std::vector<::livekit::AgentDispatch> ds = dispatches_[room.name()];
  for (const auto& d : ds) {
    AgentActions a = launch(d, ::livekit::JT_PARTICIPANT, room, &p, now_us);
    out.insert(out.end(), a.begin(), a.end());
  }
  return out;
}

AgentActions AgentDispatcher::participant_published(const ::livekit::Room& room,
                                                    const ::livekit::ParticipantInfo& p,
                                                    int64_t now_us) {
  AgentActions out;
  if (is_agent(p) || !published_[room.name()].insert(p.identity()).second) return out;
  const std::vector<::livekit::AgentDispatch> ds = dispatches_[room.name()];
  for (const auto& d : ds) {
    AgentActions a = launch(d, ::livekit::JT_PUBLISHER, room, &p, now_us);
    out.insert(out.end(), a.begin(), a.end());
  }
  return out;
}

AgentActions AgentDispatcher::participant_left(const std::string& room,
                                               const std::string& identity) {
  AgentActions out;
  if (auto pub = published_.find(room); pub != published_.end()) pub->second.erase(identity);
  std::vector<std::string> ids;
  for (const auto& [id, j] : jobs_) {
    if (j.phase == Phase::kRunning && j.job.room().name() == room &&
        j.job.state().participant_identity() == identity) {
      ids.push_back(id);
    }
  }
  for (const std::string& id : ids) {  // the agent left: its job is over
    terminate(id, false, out);
  }
  return out;
}

Result<::livekit::AgentDispatch> AgentDispatcher::create_dispatch(
    const ::livekit::Room& room, const ::livekit::CreateAgentDispatchRequest& req,
    const std::vector<::livekit::ParticipantInfo>& present, int64_t now_us, AgentActions& out) {
  auto& list = dispatches_[room.name()];
  if (list.size() >= 64) {
    return make_error(ErrorCode::kUnavailable, "too many dispatches in this room");
  }
  ::livekit::AgentDispatch d;
  d.set_id(rooms::new_id("AD_"));
  d.set_agent_name(req.agent_name());
  d.set_room(room.name());
  d.set_metadata(req.metadata());
  *d.mutable_attributes() = req.attributes();
  d.mutable_state()->set_created_at(now_us * 1000);
  list.push_back(d);
  auto add = [&](AgentActions a) { out.insert(out.end(), a.begin(), a.end()); };
  add(launch(d, ::livekit::JT_ROOM, room, nullptr, now_us));
  const std::set<std::string>& published = published_[room.name()];
  for (const auto& p : present) {
    if (is_agent(p)) continue;
    if (published.count(p.identity()) != 0) {
      add(launch(d, ::livekit::JT_PUBLISHER, room, &p, now_us));
    }
    add(launch(d, ::livekit::JT_PARTICIPANT, room, &p, now_us));
  }
  for (const auto& rd : dispatches_[room.name()]) {
    if (rd.id() == d.id()) return rd;  // with its jobs
  }
  return d;
}

Result<::livekit::AgentDispatch> AgentDispatcher::delete_dispatch(const std::string& room,
                                                                  const std::string& id,
                                                                  AgentActions& out) {
  auto list = dispatches_.find(room);
  if (list == dispatches_.end()) return make_error(ErrorCode::kNotFound, "dispatch ID not found");
  auto d = std::find_if(list->second.begin(), list->second.end(),
                        [&](const auto& x) { return x.id() == id; });
  if (d == list->second.end()) return make_error(ErrorCode::kNotFound, "dispatch ID not found");
  ::livekit::AgentDispatch gone = *d;
  list->second.erase(d);
  std::vector<std::string> ids;
  for (const auto& [jid, j] : jobs_) {
    if (j.job.dispatch_id() == id) ids.push_back(jid);
  }
  for (const std::string& jid : ids) {
    if (jobs_[jid].phase != Phase::kOffered) {
      terminate(jid, true, out);
    } else {
      end_job(jid);
    }
  }
  return gone;
}

std::vector<::livekit::AgentDispatch> AgentDispatcher::list_dispatches(
    const std::string& room, const std::string& id) const {
  std::vector<::livekit::AgentDispatch> out;
  auto list = dispatches_.find(room);
  if (list == dispatches_.end()) return out;
  for (const auto& d : list->second) {
    if (id.empty() || d.id() == id) out.push_back(d);
  }
  return out;
}

}  // namespace edgesfu::sp::livekit
