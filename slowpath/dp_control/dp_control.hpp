// dp_control: the only writer of dataplane state (DESIGN.md §1-2). The slow
// path describes participants, published tracks and subscriptions here; this
// module makes their SRTP sessions, picks slots, writes the flow table and
// sends commands to the lcore that owns the room. Control thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "dataplane/control/command.hpp"
#include "dataplane/flow/flow_key.hpp"
#include "dataplane/pkt/net.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "dataplane/worker/worker_set.hpp"
#include "slowpath/base/result.hpp"

namespace edgesfu::sp {

struct ParticipantRef {
  uint16_t worker = 0;
  uint16_t slot = 0;
  uint32_t generation = 0;
};
struct TrackRef {
  uint16_t worker = 0;
  uint16_t slot = 0;
};
struct DowntrackRef {
  uint16_t worker = 0;
  uint32_t slot = 0;
};

struct ParticipantParams {
  uint64_t room = 0;                 // participants of one room share a worker
  uint32_t id = 0;                   // the caller's number for this participant
  dp::pkt::IpAddr remote;            // the selected ICE pair
  uint16_t remote_port = 0;
  uint16_t local_port = 0;
  dp::srtp::Keys rx_keys;            // what the participant sends (its write keys)
  dp::srtp::Keys tx_keys;            // what we send it (our write keys)
  uint32_t feedback_ssrc = 0;        // our SSRC in RTCP to it as a publisher
};

struct TrackParams {
  uint32_t id = 0;
  uint32_t ssrc = 0;
  uint32_t clock_rate = 48000;
  dp::control::MediaKind kind = dp::control::MediaKind::kAudio;
};

struct DowntrackParams {
  uint32_t id = 0;
  uint32_t ssrc = 0;                 // the SSRC the subscriber sees
  uint32_t rtx_ssrc = 0;             // 0 when RTX was not negotiated
  uint8_t rtx_pt = 0;
  std::vector<std::pair<uint8_t, uint8_t>> pt_map;   // publisher PT -> subscriber PT
  std::vector<std::pair<uint8_t, uint8_t>> ext_map;  // publisher ext ID -> subscriber's
  uint16_t first_seq = 0;
  uint32_t first_ts = 0;
};

class DpControl {
 public:
  DpControl(dp::WorkerSet& workers, dp::srtp::Engine& engine, const dp::fanout::FastpathLimits& limits);
  ~DpControl();  // after the workers stopped: destroys every session still alive
  DpControl(const DpControl&) = delete;
  DpControl& operator=(const DpControl&) = delete;

  Result<ParticipantRef> add_participant(const ParticipantParams& p);
  // Removes the flow, then the participant with its tracks and downtracks.
  Status remove_participant(const ParticipantRef& p);
  Result<TrackRef> add_track(const ParticipantRef& publisher, const TrackParams& t);
  Status remove_track(const TrackRef& t);
  Result<DowntrackRef> add_downtrack(const TrackRef& track, const ParticipantRef& subscriber,
                                     const DowntrackParams& d);
  Status remove_downtrack(const DowntrackRef& d);
  Status request_keyframe(const TrackRef& t);

  // Handles events from the workers: destroys released SRTP sessions, and
  // calls the idle handler for participants that went silent (consent lost);
  // first moves deferred commands into rings that have room again.
  // Returns how many events were handled.
  unsigned poll_events();
  void on_idle(std::function<void(const ParticipantRef&)> f) { on_idle_ = std::move(f); }

  std::size_t live_sessions() const { return sessions_.size(); }
  std::size_t flows() const { return flow_keys_.size(); }
  std::size_t tracks() const { return track_owner_.size(); }
  std::size_t downtracks() const { return downtracks_.size(); }
  // Commands waiting for room in a worker's ring, and how many ever waited.
  std::size_t pending_commands() const;
  uint64_t commands_deferred() const { return commands_deferred_; }

 private:
  struct WorkerSlots {
    std::vector<uint16_t> free_participants, free_tracks;
    std::vector<uint32_t> free_downtracks;
    std::vector<uint32_t> generation;  // per participant slot
    uint32_t participants = 0;
  };
  Result<dp::srtp::Session*> session(const dp::srtp::Keys& k, dp::srtp::Direction d, uint32_t ssrc);
  void destroy(dp::srtp::Session* s);
  // Every command reaches its worker, in order: what does not fit in the ring
  // waits in the worker's backlog and is moved on by poll_events().
  void send(uint16_t worker, const dp::control::Command& c);
  void flush(uint16_t worker);
  uint16_t worker_for_room(uint64_t room);

  dp::WorkerSet& workers_;
  dp::srtp::Engine& engine_;
  dp::fanout::FastpathLimits limits_;
  std::vector<WorkerSlots> slots_;
  std::map<uint64_t, std::pair<uint16_t, uint32_t>> rooms_;  // room -> (worker, participants)
  std::map<std::pair<uint16_t, uint16_t>, uint64_t> participant_room_;
  std::map<std::pair<uint16_t, uint16_t>, dp::flow::FlowKey> flow_keys_;
  std::map<std::pair<uint16_t, uint16_t>, dp::srtp::Keys> tx_keys_;  // per participant
  std::set<dp::srtp::Session*> sessions_;
  std::vector<std::deque<dp::control::Command>> backlog_;  // by worker
  uint64_t commands_deferred_ = 0;
  std::function<void(const ParticipantRef&)> on_idle_;
  // What belongs to what, so that removing a participant or a track returns
  // every slot the lcore drops with it.
  std::map<std::pair<uint16_t, uint16_t>, uint16_t> track_owner_;  // track -> publisher slot
  std::map<std::pair<uint16_t, uint32_t>, std::pair<uint16_t, uint16_t>> downtracks_;  // -> (track, subscriber)
  void forget_track(uint16_t worker, uint16_t track);
  void forget_downtrack(uint16_t worker, uint32_t slot);
};

}  // namespace edgesfu::sp
