// One LiveKit participant on /rtc/v1 (issue 13): its WebSocket, its
// ParticipantSession (the one transport of the single-PeerConnection mode:
// the client always offers, we answer), and what LiveKit says about it
// beyond the rooms model (name, metadata, attributes, permission, the
// TrackInfo of what it publishes). Handles its SignalRequests; the RtcServer
// broadcasts between connections. Slow-path thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "base/log.hpp"
#include "dataplane/punt/token_bucket.hpp"
#include "livekit_room.pb.h"
#include "livekit_rtc.pb.h"
#include "slowpath/auth/token.hpp"
#include "slowpath/session/participant_session.hpp"
#include "slowpath/signalling/livekit/data_relay.hpp"

typedef struct _SoupWebsocketConnection SoupWebsocketConnection;

namespace edgesfu::sp::livekit {

class RtcServer;

// Tracks one participant may announce and publish at a time.
inline constexpr std::size_t kMaxTracks = 32;

class LkConnection {
 public:
  // Admits and creates the participant's session (before the WebSocket
  // upgrade: a refusal is still an HTTP status). `join` is the decoded
  // join_request (its publisher offer is answered once attached).
  static Result<std::unique_ptr<LkConnection>> create(RtcServer& server,
                                                      const session::SessionDeps& deps,
                                                      const auth::Claims& claims,
                                                      ::livekit::JoinRequest join);
  ~LkConnection();
  LkConnection(const LkConnection&) = delete;
  LkConnection& operator=(const LkConnection&) = delete;

  // The upgrade is done: JoinResponse first, then the answer to an offer
  // that came inside the join.
  void attach(SoupWebsocketConnection* ws);
  // Sends leave{reason, action} and closes the WebSocket.
  void leave(::livekit::DisconnectReason reason, ::livekit::LeaveRequest::Action action);
  // The participant leaves the room now (logged with `why`); the server
  // drops this connection once the current callback returns.
  void end(const std::string& why);

  // The room's tracks or participants changed: the participant is told
  // (ParticipantUpdate first), then asked to re-offer when tracks wait for a
  // receive m-line (media_sections_requirement).
  void room_changed();
  void send(const ::livekit::SignalResponse& r);

  const std::string& sid() const { return session_->sid(); }
  const std::string& room() const { return session_->room(); }
  // Its log lines: component livekit, with its room and participant ids.
  SessionLog slog() const { return {LogComponent::kLivekit, room(), sid()}; }
  const std::string& identity() const { return claims_.identity; }
  bool hidden() const { return claims_.video.hidden; }
  // This participant as LiveKit describes it, with its published tracks.
  ::livekit::ParticipantInfo info() const;
  session::ParticipantSession& session() { return *session_; }
  // RoomService (issue 15), with the effects LiveKit's server has:
  // mute{sid, muted} to the client, and the track's new state to the room;
  // null when it publishes no such track.
  const ::livekit::TrackInfo* admin_mute(const std::string& track_sid, bool muted);
  // A new name or metadata ("" leaves them), attributes ("" deletes a key)
  // and, when present, a permission that replaces every grant it carries:
  // a revoked canPublish unpublishes what it publishes (track_unpublished to
  // it), a revoked canSubscribe stops what it receives. The room is told.
  void admin_update(const ::livekit::UpdateParticipantRequest& req);
  // As a sender of data packets: who it is, what it may, its sequence.
  const DataSender& data_sender() const { return data_sender_; }
  DataSenderState& data_state() { return data_state_; }
  // Takes one message of `bytes` from the sender's data.max_* rate; false
  // when it is past it.
  bool data_within_rate(std::size_t bytes);

 private:
  LkConnection(RtcServer& server, const auth::Claims& claims, ::livekit::JoinRequest join);
  static void on_message(SoupWebsocketConnection*, int type, GBytes* message, gpointer self);
  static void on_closed(SoupWebsocketConnection*, gpointer self);
  void handle(const ::livekit::SignalRequest& r);
  void on_offer(const ::livekit::SessionDescription& offer);
  void on_add_track(const ::livekit::AddTrackRequest& req);
  void on_mute(const ::livekit::MuteTrackRequest& req);
  void on_update_metadata(const ::livekit::UpdateParticipantMetadata& req);
  ::livekit::JoinResponse join_response() const;
  ::livekit::ParticipantPermission permission() const;
  bool may_publish(::livekit::TrackSource source) const;
  void set_details(const std::string& name, const std::string& metadata,
                   const google::protobuf::Map<std::string, std::string>& attributes);
  void changed();  // our own info changed: version++ and broadcast
  void ask_for_reoffer(bool after_offer);

  RtcServer& server_;
  auth::Claims claims_;
  ::livekit::JoinRequest join_;
  std::unique_ptr<session::ParticipantSession> session_;
  SoupWebsocketConnection* ws_ = nullptr;
  gulong sig_message_ = 0, sig_closed_ = 0;
  bool json_ = false;  // the client speaks protojson text frames
  std::string name_, metadata_;
  std::map<std::string, std::string> attributes_;
  uint32_t version_ = 1;
  int64_t joined_at_ = 0;
  // Our tracks by sid: announced by add_track (TrackInfo echoed back), then
  // published when an offer's m-line carries their cid.
  std::map<std::string, ::livekit::TrackInfo> tracks_;
  bool reoffer_asked_ = false;       // a media_sections_requirement waits for its offer
  std::set<std::string> asked_for_;  // the tracks it was asked for
  uint32_t asked_usable_ = 0;        // receive m-lines usable then
  int64_t asked_at_us_ = 0;
  GSource* timer_ = nullptr;
  bool ended_ = false;
  DataSender data_sender_;
  DataSenderState data_state_;
  dp::punt::TokenBucket data_messages_, data_bytes_;  // per-sender rate (µs clock)
};

}  // namespace edgesfu::sp::livekit
