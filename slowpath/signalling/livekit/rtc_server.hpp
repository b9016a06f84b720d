// LiveKit's front door (issue 13), in the single-PeerConnection form every
// current SDK tries first: on the HTTP server of the WHIP door,
//   * WebSocket /rtc/v1: the token (access_token or Authorization: Bearer)
//     and the join_request are judged before the upgrade (401, 403, 400,
//     admission's 503, with the reason); then binary SignalRequest frames
//     (protojson text frames accepted), JoinResponse first;
//   * GET /rtc/v1/validate: 200 "success" or the token's refusal;
//   * /rtc and /rtc/validate (v0, two PeerConnections): 404 with a reason
//     and CORS, so that clients fail fast and clearly (a later issue).
// It keeps the room's LiveKit connections and broadcasts ParticipantUpdates
// between them. Slow-path thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "livekit_room.pb.h"
#include "livekit_rtc.pb.h"
#include "slowpath/auth/token.hpp"
#include "slowpath/session/participant_session.hpp"
#include "slowpath/signalling/http_guard.hpp"
#include "slowpath/signalling/livekit/data_relay.hpp"
#include "slowpath/webhook/notifier.hpp"

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;
typedef struct _SoupWebsocketConnection SoupWebsocketConnection;

namespace edgesfu::sp::livekit {

class AgentServer;
class LkConnection;
class RoomService;
class RoomWebhooks;

inline constexpr const char* kServerVersion = "1.9.0";  // what the SDKs check (semver)
inline constexpr int32_t kProtocol = 16;

class RtcServer {
 public:
  // `guard`: the limits of the HTTP server, which WebSockets stay under.
  static Result<std::unique_ptr<RtcServer>> start(SoupServer* server, signalling::HttpGuard& guard,
                                                  const config::Config& cfg,
                                                  const session::SessionDeps& deps);
  ~RtcServer();
  RtcServer(const RtcServer&) = delete;
  RtcServer& operator=(const RtcServer&) = delete;

  // The tracks of `room` changed (a session of any door published, left, or
  // a track became usable): every LiveKit connection of the room is told.
  void room_changed(const std::string& room);

  // For connections: the room's other participants as LiveKit describes
  // them (hidden ones left out); a ParticipantUpdate to every connection of
  // the room; dropping a connection from the loop (never from inside it).
  std::vector<::livekit::ParticipantInfo> others(const std::string& room,
                                                 const std::string& self_sid) const;
  void broadcast(const std::string& room, const ::livekit::ParticipantInfo& who);
  void drop_later(const std::string& sid);
  // A data channel message from `from` on its channel `label`: relayed to
  // the room as LiveKit does (data_relay.hpp), each receiver on its channel
  // of the same kind; counted per room.
  void relay_data(LkConnection& from, const std::string& label, std::span<const uint8_t> msg);
  const DataCounters& data_totals() const { return data_totals_; }
  // The webhook sender (null: no webhook configured).
  const webhook::Notifier* webhooks() const { return webhook_out_.get(); }

  // For the RoomService (room_service.hpp):
  // the LiveKit connection of `identity` in `room` (null: none);
  LkConnection* connection(const std::string& room, const std::string& identity);
  // one of its own participants as LiveKit describes it (nullopt: not a
  // LiveKit connection);
  std::optional<::livekit::ParticipantInfo> info_of(const std::string& sid) const;
  // the agent workers and their dispatches (/agent, AgentDispatchService);
  AgentServer& agents() { return *agents_; }
  // every participant of the room as LiveKit describes it, hidden ones too;
  std::vector<::livekit::ParticipantInfo> participants(const std::string& room) const;
  // leave{reason, DISCONNECT} to it, then it is dropped from the loop
  // (`by`: who wants it gone, for the log);
  void remove(LkConnection& c, ::livekit::DisconnectReason reason,
              const char* by = "the RoomService");
  // every LiveKit connection of the room told `reason` (ROOM_DELETED by the
  // RoomService, ROOM_CLOSED when its timeouts closed it with agents in it)
  // and dropped; how many participants of other doors stay in it;
  std::size_t close_room(const std::string& room,
                         ::livekit::DisconnectReason reason = ::livekit::ROOM_DELETED);
  // RoomUpdate (the room as it is now) to every connection of the room;
  void send_room_update(const std::string& room);
  // a data packet from the server itself (no sender) to the named sids or
  // identities, or to everyone, on the channel of its kind.
  void send_server_data(const ::livekit::SendDataRequest& req);
  void send_to_room(const std::string& room, const ::livekit::SignalResponse& r);
  const config::Config& config() const { return cfg_; }
  rooms::Rooms& rooms() const { return *deps_.rooms; }
  std::size_t connections() const { return conns_.size(); }

 private:
  RtcServer() = default;
  static void on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
                      gpointer self);
  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char* path,
                           SoupWebsocketConnection* ws, gpointer self);
  static void on_v0(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                    gpointer self);
  static void on_message_finished(SoupServerMessage* msg, gpointer self);
  // The token of a request: its claims, or the HTTP status and reason.
  Result<auth::Claims> authorize(SoupServerMessage* msg, GHashTable* query) const;
  void drop(const std::string& sid);
  // The room's participants as LiveKit describes them, but `skip_sid`;
  // hidden ones only `with_hidden`.
  std::vector<::livekit::ParticipantInfo> describe(const std::string& room,
                                                   const std::string& skip_sid,
                                                   bool with_hidden) const;
  bool pending_participant(const std::string& sid) const;
  // Every audio.update_interval: SpeakersChanged to the rooms whose
  // speakers changed.
  static gboolean on_speakers_tick(gpointer self);
  void send_speaker_changes();
  // Every 2 s: each room's ConnectionQualityUpdate (every participant with a
  // recent quality report) to its connections.
  static gboolean on_quality_tick(gpointer self);
  void send_quality();
  // The rooms that have LiveKit connections, and the hidden participants.
  std::pair<std::set<std::string>, std::set<std::string>> rooms_and_hidden() const;

  config::Config cfg_;
  session::SessionDeps deps_;
  SoupServer* server_ = nullptr;
  signalling::HttpGuard* guard_ = nullptr;
  GSource* speakers_timer_ = nullptr;
  GSource* quality_timer_ = nullptr;
  std::map<std::string, std::string> sources_;  // participant sid -> its WebSocket's source
  // Authorized and admitted, waiting for the upgrade (at most one per request).
  std::map<SoupServerMessage*, std::unique_ptr<LkConnection>> pending_;
  std::map<std::string, std::unique_ptr<LkConnection>> conns_;  // by participant sid
  uint32_t idle_handler_ = 0;  // DpControl's id for our consent-lost handler
  // Data counters of the rooms with LiveKit connections (logged when the
  // last one leaves), and of all rooms since start (logged every 10 s when
  // they moved).
  std::map<std::string, DataCounters> room_data_;
  DataCounters data_totals_, data_logged_;
  GSource* data_log_timer_ = nullptr;
  static gboolean on_data_log_tick(gpointer self);
  // Per participant with SCTP chunks in flight at the last data log: those
  // chunks and the messages sent so far (progress seen, or not).
  struct Progress {
    uint32_t unacked = 0;
    uint64_t messages_out = 0;
    bool operator==(const Progress&) const = default;
  };
  std::map<std::string, Progress> sctp_seen_;
  std::unique_ptr<RoomService> room_service_;  // /twirp/livekit.RoomService
  std::unique_ptr<AgentServer> agents_;        // /agent
  // webhook.urls: the rooms model's changes, POSTed.
  std::unique_ptr<webhook::Notifier> webhook_out_;
  std::unique_ptr<RoomWebhooks> webhooks_;
};

}  // namespace edgesfu::sp::livekit
