// libFuzzer: the /agent worker protocol (issue 15): a frame decoded as a
// WorkerMessage in binary protobuf and in protojson, and what it says fed
// to an AgentDispatcher that has a room with a job offered: register,
// availability (accepted or not, for any job id), worker status, job
// status, a simulated job, a worker leaving. An error, or actions that keep the model sane.
#include <cstdint>
#include <string>

#include "slowpath/signalling/livekit/agent_codec.hpp"
#include "slowpath/signalling/livekit/agent_dispatch.hpp"

using namespace edgesfu::sp::livekit;

namespace {

void drive(const ::livekit::WorkerMessage& m) {
  AgentDispatcher d;
  ::livekit::RegisterWorkerRequest plain;
  const std::string w0 = d.add_worker(plain);
  ::livekit::Room room;
  room.set_sid("RM_f");
  room.set_name("f");
  const AgentActions started = d.room_started(room, {}, 0);
  std::string w = w0;
  if (m.has_register_()) w = d.add_worker(m.register_());
  if (m.has_update_worker()) d.update_worker(w0, m.update_worker());
  if (m.has_availability()) {
    (void)d.availability(w0, m.availability(), 1);
    if (!started.empty()) {
      ::livekit::AvailabilityResponse r = m.availability();
      r.set_job_id(started[0].job.id());
      for (const AgentAction& a : d.availability(w0, r, 2)) {
        if (a.kind == AgentAction::Kind::kAssign && a.answer.participant_identity().empty()) {
          __builtin_trap();  // an agent always has an identity
        }
      }
    }
  }
  if (m.has_update_job()) d.job_status(w0, m.update_job());
  if (m.has_simulate_job()) {
    for (const AgentAction& a : d.simulate_job(w0, m.simulate_job(), 3)) {
      if (a.worker != w0) __builtin_trap();  // a simulated job is its worker's only
      ::livekit::AvailabilityResponse r;
      r.set_job_id(a.job.id());
      r.set_available(true);
      (void)d.availability(w0, r, 3);
    }
  }
  (void)d.participant_joined(room, ::livekit::ParticipantInfo(), 3);
  (void)d.remove_worker(w0, 4);
  (void)d.tick(int64_t{1} << 40);
  (void)d.room_finished("f");
  if (d.jobs() != 0) __builtin_trap();  // a finished room leaves no job behind
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bin = decode_worker({data, size});
  if (bin) drive(bin.value());
  auto json = decode_worker_json({reinterpret_cast<const char*>(data), size});
  if (json) drive(json.value());
  return 0;
}
