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
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "dataplane/control/command.hpp"
#include "dataplane/flow/flow_key.hpp"
#include "dataplane/pkt/keyframe.hpp"
#include "dataplane/pkt/net.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "dataplane/worker/worker_set.hpp"
#include "slowpath/dp_control/refs.hpp"

namespace edgesfu::sp {

struct ParticipantParams {
  uint64_t room = 0;       // participants of one room share a worker
  uint32_t id = 0;         // the caller's number for this participant
  dp::pkt::IpAddr remote;  // the selected ICE pair
  uint16_t remote_port = 0;
  uint16_t local_port = 0;
  dp::srtp::Keys rx_keys;      // what the participant sends (its write keys)
  dp::srtp::Keys tx_keys;      // what we send it (our write keys)
  uint32_t feedback_ssrc = 0;  // our SSRC in RTCP to it as a publisher
  bool reserved = false;       // takes the slot reserve_participant() held for it
};

struct TrackParams {
  uint32_t id = 0;
  uint32_t ssrc = 0;  // 0 with simulcast layers
  uint32_t clock_rate = 48000;
  dp::control::MediaKind kind = dp::control::MediaKind::kAudio;
  uint32_t rtx_ssrc = 0;  // the publisher's RTX stream (not forwarded)
  dp::pkt::VideoCodec codec = dp::pkt::VideoCodec::kOther;
  // The publisher's header extension IDs (0: not negotiated).
  uint8_t twcc_ext = 0, mid_ext = 0, rid_ext = 0, rrid_ext = 0;
  uint8_t audio_level_ext = 0;  // audio: its levels are reported (speakers)
  std::string mid;
  std::vector<std::string> rids;  // simulcast layers by RID, lowest first; empty: one stream
};

struct DowntrackParams {
  uint32_t id = 0;
  uint32_t ssrc = 0;      // the SSRC the subscriber sees
  uint32_t rtx_ssrc = 0;  // 0 when RTX was not negotiated
  uint8_t rtx_pt = 0;
  std::vector<std::pair<uint8_t, uint8_t>> pt_map;  // publisher PT -> subscriber PT
  // Publisher ext ID -> subscriber's; an extension not in it becomes padding,
  // unless `ext_passthrough` (IDs the same on both sides: left as they are).
  std::vector<std::pair<uint8_t, uint8_t>> ext_map;
  bool ext_passthrough = false;
  uint16_t first_seq = 0;
  uint32_t first_ts = 0;
};

class DpControl {
 public:
  DpControl(dp::WorkerSet& workers, dp::srtp::Engine& engine,
            const dp::fanout::FastpathLimits& limits);
  ~DpControl();  // after the workers stopped: destroys every session still alive
  DpControl(const DpControl&) = delete;
  DpControl& operator=(const DpControl&) = delete;

  // Admission (issue 12 #7): holds a participant slot on the worker that owns
  // (or will own) `room`, for a session answered but not connected yet, so
  // that it is refused before its answer when the worker is full (error
  // kUnavailable with the reason), not ended after ICE and DTLS. The slot is
  // taken by add_participant() with `reserved` set, or given back by
  // release_participant().
  Status reserve_participant(uint64_t room);
  void release_participant(uint64_t room);

  Result<ParticipantRef> add_participant(const ParticipantParams& p);
  // Removes the flow, then the participant with its tracks and downtracks.
  Status remove_participant(const ParticipantRef& p);
  Result<TrackRef> add_track(const ParticipantRef& publisher, const TrackParams& t);
  Status remove_track(const TrackRef& t);
  Result<DowntrackRef> add_downtrack(const TrackRef& track, const ParticipantRef& subscriber,
                                     const DowntrackParams& d);
  Status remove_downtrack(const DowntrackRef& d);
  // Stops or resumes forwarding on `d` (it stays, and resumes without a
  // sequence gap).
  Status pause_downtrack(const DowntrackRef& d, bool paused);
  Status request_keyframe(const TrackRef& t);

  // The media ports' guard (issue 12 #4): a session's ICE agent took `port`
  // with local ufrag `ufrag`; `ip`:`rport` passed a check there; the session
  // ended. The workers drop STUN and DTLS on the port that the agent would
  // not take. No-ops without a guard (no media port range).
  void open_port(uint16_t port, std::string_view ufrag);
  void port_validated(uint16_t port, const dp::pkt::IpAddr& ip, uint16_t rport);
  void close_port(uint16_t port);

  // Handles events from the workers: destroys released SRTP sessions, and
  // calls the idle handler for participants that went silent (consent lost);
  // first moves deferred commands into rings that have room again.
  // Returns how many events were handled.
  unsigned poll_events();
  // Handlers for participants that went silent, one per front door; the id
  // removes it again.
  using IdleHandler = std::function<void(const ParticipantRef&)>;
  uint32_t add_idle_handler(IdleHandler f) {
    idle_handlers_.emplace(++next_idle_handler_, std::move(f));
    return next_idle_handler_;
  }
  void remove_idle_handler(uint32_t id) { idle_handlers_.erase(id); }
  // Where windows of published tracks' audio levels go (one handler).
  struct AudioLevelReport {
    uint8_t loudest = 127;  // RFC 6464: 0 loudest .. 127 silent
    uint16_t active_ms = 0, observed_ms = 0;
  };
  using LevelHandler = std::function<void(const TrackRef&, const AudioLevelReport&)>;
  void set_level_handler(LevelHandler f) { level_handler_ = std::move(f); }
  // Where each participant's quality over a report interval goes (one
  // handler): its room key and number (ParticipantParams), and the figures.
  struct QualityFigures {
    uint8_t loss_in = 0, loss_out = 0;  // RFC 3550 fractions (/256)
    uint16_t jitter_ms = 0, rtt_ms = 0;
  };
  using QualityHandler = std::function<void(uint64_t room, uint32_t number, const QualityFigures&)>;
  void set_quality_handler(QualityHandler f) { quality_handler_ = std::move(f); }

  std::size_t live_sessions() const { return sessions_.size(); }
  // Commands in the lcores' rings, not yet taken.
  std::size_t commands_in_rings() const;
  std::size_t flows() const;  // one per live participant
  std::size_t tracks() const;
  std::size_t downtracks() const;
  // Commands waiting for room in a worker's ring, and how many ever waited.
  std::size_t pending_commands() const;
  uint64_t commands_deferred() const { return commands_deferred_; }

 private:
  // One slot table per worker (DESIGN.md §2): what DpControl installed in
  // each of the lcore's participant, track and downtrack slots, and the free
  // lists that hand them out (low slots first, popped from the back).
  struct ParticipantSlot {
    bool live = false;
    uint32_t generation = 0;  // bumped at each use; a ParticipantRef carries it
    uint64_t room = 0;
    dp::flow::FlowKey flow;
    dp::srtp::Keys tx_keys;  // what its downtracks protect with
  };
  struct TrackSlot {
    bool live = false;
    uint32_t generation = 0;
    uint16_t publisher = 0;
    uint32_t id = 0;  // TrackParams::id: an event of the slot's previous track does not match
  };
  struct DowntrackSlot {
    bool live = false;
    uint32_t generation = 0;
    uint16_t track = 0;
    uint16_t subscriber = 0;
  };
  struct SlotTable {
    std::vector<ParticipantSlot> participants;
    std::vector<TrackSlot> tracks;
    std::vector<DowntrackSlot> downtracks;
    std::vector<uint16_t> free_participants, free_tracks;
    std::vector<uint32_t> free_downtracks;
    uint32_t live_participants = 0, live_tracks = 0, live_downtracks = 0;
    uint32_t reserved_participants = 0;  // held for sessions not connected yet
  };
  Result<dp::srtp::Session*> session(const dp::srtp::Keys& k, dp::srtp::Direction d, uint32_t ssrc);
  void destroy(dp::srtp::Session* s);
  // Every command reaches its worker, in order: what does not fit in the ring
  // waits in the worker's backlog and is moved on by poll_events().
  void send(uint16_t worker, const dp::control::Command& c);
  void flush(uint16_t worker);
  uint16_t worker_for_room(uint64_t room);
  const ParticipantSlot* live_participant(const ParticipantRef& p) const;
  bool live_track(const TrackRef& t) const;
  bool live_downtrack(const DowntrackRef& d) const;
  // Frees a track slot and the downtrack slots of that track (the lcore drops
  // them together), or one downtrack slot.
  void forget_track(uint16_t worker, uint16_t track);
  void forget_downtrack(uint16_t worker, uint32_t slot);

  dp::WorkerSet& workers_;
  dp::srtp::Engine& engine_;
  dp::fanout::FastpathLimits limits_;
  std::vector<SlotTable> tables_;  // by worker
  // room -> (worker, participants live or reserved): a room stays on its
  // worker while anyone is in it or on the way.
  std::map<uint64_t, std::pair<uint16_t, uint32_t>> rooms_;
  std::set<dp::srtp::Session*> sessions_;
  std::vector<std::deque<dp::control::Command>> backlog_;  // by worker
  uint64_t commands_deferred_ = 0;
  std::map<uint32_t, IdleHandler> idle_handlers_;
  uint32_t next_idle_handler_ = 0;
  LevelHandler level_handler_;
  QualityHandler quality_handler_;
};

}  // namespace edgesfu::sp
