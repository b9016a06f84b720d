// One participant (DESIGN.md §4): one ICE-lite + DTLS transport whose
// published tracks and subscriptions change while it lives. Negotiation is
// ParticipantMedia's; this class applies what each step changed to the room
// (tracks published and gone) and, once the transport is up, to the dataplane
// (the participant's flow and keys, its tracks, its downtracks), without ever
// touching the flow again. Front doors (WHIP, WHEP, later LiveKit) create it,
// hand it offers and answers, and tell it when its room changed.
// Slow-path thread only.
#pragma once

#include <glib.h>

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "base/result.hpp"
#include "slowpath/dp_control/dp_control.hpp"
#include "slowpath/dtls/dtls.hpp"
#include "slowpath/ice/lite_agent.hpp"
#include "slowpath/metrics/session_metrics.hpp"
#include "slowpath/rooms/quality.hpp"
#include "slowpath/rooms/rooms.hpp"
#include "slowpath/rooms/speakers.hpp"
#include "slowpath/session/admission.hpp"
#include "slowpath/session/data_backlog.hpp"
#include "slowpath/session/data_link.hpp"
#include "slowpath/session/participant_media.hpp"

namespace edgesfu::sp::session {

struct SessionDeps {
  GMainContext* context = nullptr;
  DpControl* dp = nullptr;
  rooms::Rooms* rooms = nullptr;
  rooms::Speakers* speakers = nullptr;    // null: no active-speaker levels
  rooms::Qualities* qualities = nullptr;  // null: no connection quality
  Admission* admission = nullptr;         // null: every session is admitted
  std::shared_ptr<dtls::Certificate> cert;
  std::string local_address;       // the appliance IP
  std::string advertised_address;  // rtc.node_ip
  uint16_t port_min = 0, port_max = 0;
  uint32_t data_send_buffer = 1024 * 1024;  // bytes queued toward one participant's data channels
  metrics::SessionMetrics* metrics = nullptr;  // null: not counted
  // Called when the tracks of `room` changed (a track became usable in the
  // dataplane, or went away), so that the room's other sessions reconcile.
  std::function<void(const std::string& room)> on_room_changed;
  // Called when a room was closed by its timeouts with agents still in it:
  // the doors end their sessions.
  std::function<void(const std::string& room)> on_room_closed;
};

// What the participant may do (its token's grants, narrowed by the front
// door: a WHIP client only publishes, a WHEP client only receives). The
// server enforces them on every negotiation, not the client.
struct Grants {
  bool can_publish = true;
  bool can_subscribe = true;
  // Data channels are set up when offered (the LiveKit door relays them;
  // WHIP/WHEP answer a data section rejected).
  bool data_channels = false;
  // An agent (LiveKit's dependent participant): a room with only these in
  // it closes as an empty one does.
  bool dependent = false;
};

// The largest data channel message a participant may send us (our
// a=max-message-size): LiveKit's own limit, which its SDKs cap at 64,000.
inline constexpr uint32_t kDataMaxMessage = 65535;

class ParticipantSession {
 public:
  // Called once when the session ends by itself (DTLS failure, the handshake
  // timing out, a dataplane refusal): the owner drops it, not from inside.
  using OnEnded = std::function<void(const std::string& sid, const std::string& why)>;

  // Admits the session (the room's size, sessions still connecting, a
  // participant slot on the room's worker, held until it connects), makes
  // the transport (binds the ICE-lite agent's socket) and joins the room.
  // kUnavailable, with the reason, when any of them says no.
  static Result<std::unique_ptr<ParticipantSession>> create(const std::string& room,
                                                            const std::string& identity,
                                                            const Grants& grants,
                                                            const SessionDeps& deps,
                                                            OnEnded on_ended);
  ~ParticipantSession();  // leaves the room and the dataplane
  ParticipantSession(const ParticipantSession&) = delete;
  ParticipantSession& operator=(const ParticipantSession&) = delete;

  // A remote offer (the first one starts ICE and DTLS; later ones renegotiate
  // on the live transport), answered against what the room says this
  // participant should receive. Returns the answer's SDP text; `changes`
  // tells what it did.
  Result<std::string> on_remote_offer(const sdp::Session& offer, Changes& changes);
  // The server's offer of what the room says it should receive now, and the
  // participant's answer to it (a subscriber connection, a track for a live
  // participant).
  Result<std::string> make_offer(Changes& changes);
  Status on_remote_answer(const sdp::Session& answer, Changes& changes);

  // The room's tracks changed: downtracks follow what is usable now (sources
  // that became ready are attached, sources that went away are let go).
  void room_changed();
  // Data channels (with Grants::data_channels): each whole message the
  // participant sends on a channel it opened goes to `f`; send_data() sends
  // one on the participant's channel labelled `label` (kBufferFull when its
  // send buffer is full). While that channel is not open: with `hold`, the
  // message waits for it (kHeld; bounded by data_send_buffer and 10 s, see
  // DataBacklog), without, kNotConnected.
  void on_data(DataLink::MessageFn f) { on_data_ = std::move(f); }
  sctp::SendResult send_data(const std::string& label, bool binary, std::span<const uint8_t> msg,
                             bool hold);
  const DataLink* data_link() const { return data_.get(); }
  // Datagrams toward the participant its socket refused (a full buffer).
  uint64_t datagrams_dropped() const { return ice_ ? ice_->counters().send_dropped : 0; }
  // The room's sid for the track the participant will send with msid track
  // id `msid_track` (LiveKit: add_track's cid, answered before the offer).
  void name_track(const std::string& msid_track, const std::string& sid) {
    named_tracks_[msid_track] = sid;
  }
  // The room's sid of what the participant publishes on `mid` ("" if none).
  std::string track_sid(const std::string& mid) const {
    auto it = track_sids_.find(mid);
    return it == track_sids_.end() ? std::string() : it->second;
  }
  // New grants from outside (LiveKit's UpdateParticipant): without
  // canSubscribe nothing more is received; without canPublish what it
  // publishes is unpublished (their sids returned) and later offers are
  // answered as receive-only.
  std::vector<std::string> set_grants(const Grants& g);
  // Ends the session from outside (consent lost); the owner drops it later.
  void expire(const std::string& why) { end(why); }

  const std::string& sid() const { return sid_; }
  const std::string& room() const { return room_; }
  // Its log lines: component session, with its room and participant ids.
  SessionLog slog() const { return {LogComponent::kSession, room_, sid_}; }
  bool installed() const { return installed_; }
  const ParticipantRef& participant() const { return participant_; }  // valid once installed()
  const ParticipantMedia& media() const { return media_; }

 private:
  ParticipantSession();
  std::vector<SourceTrack> wanted() const;
  sdp::LocalTransport local() const;
  Status start_transport(const sdp::Session& offer);
  void apply(const Changes& c);
  void install_tracks();
  void on_ice_data(std::span<const uint8_t> d);
  void maybe_install();
  void maybe_start_data();
  bool unpublish(const std::string& mid);  // true: it was published
  void on_channel_open(const sctp::Channel& c);
  void end(const std::string& why);
  static gboolean on_timer(gpointer self);

  std::string room_;
  std::string sid_;
  Grants grants_;
  std::string remote_ufrag_, remote_pwd_, remote_fingerprint_;
  SessionDeps deps_;
  OnEnded on_ended_;
  DataLink::MessageFn on_data_;
  std::unique_ptr<ice::LiteAgent> ice_;
  std::unique_ptr<dtls::Transport> dtls_;
  std::unique_ptr<DataLink> data_;        // sends through dtls_: declared after it, ends before it
  std::unique_ptr<DataBacklog> backlog_;  // messages for channels not open yet (made on need)
  ParticipantMedia media_;
  GSource* timer_ = nullptr;
  int64_t started_us_ = 0;
  int64_t dtls_first_us_ = 0;  // the first DTLS record came (monotonic)
  bool counted_ = false;       // in deps_.metrics->started
  Admission::Ticket ticket_;   // held while connecting
  bool reserved_ = false;      // a participant slot of the room's worker is held
  uint64_t room_key_ = 0;
  bool installed_ = false;
  bool ended_ = false;
  ParticipantRef participant_;
  // Publications: mid -> the room's track sid; installed ones -> the lcore's track.
  std::map<std::string, std::string> track_sids_;
  std::map<std::string, std::string> named_tracks_;  // msid track id -> sid, until published
  std::map<std::string, TrackRef> tracks_;
  uint32_t next_track_id_ = 0;  // the dataplane's number for each track (events)
  // Subscriptions attached in the dataplane: mid -> downtrack (and its source).
  struct Attached {
    std::string source;
    DowntrackRef ref;
    bool paused = false;  // unsubscribed for now (DpControl::pause_downtrack)
  };
  std::map<std::string, Attached> downtracks_;
};

}  // namespace edgesfu::sp::session
