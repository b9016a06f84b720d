// LiveKit's agent workers (@livekit/agents) on the HTTP server of the front
// doors: the WebSocket /agent (a token whose only grant is video.agent,
// judged before the upgrade; binary WorkerMessage frames in, ServerMessage
// frames out: register, availability, assignment with a join token,
// termination, pong) and the AgentDispatchService Twirp methods, with the
// rooms model's events driving AgentDispatcher (agent_dispatch.hpp). An
// agent joins its room through /rtc/v1 like anyone, as a participant of
// kind AGENT. Slow-path thread only.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "livekit_agent.pb.h"
#include "slowpath/rooms/rooms.hpp"
#include "slowpath/signalling/http_guard.hpp"
#include "slowpath/signalling/livekit/agent_dispatch.hpp"
#include "slowpath/signalling/livekit/room_service_rules.hpp"

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;
typedef struct _SoupWebsocketConnection SoupWebsocketConnection;

namespace edgesfu::sp::livekit {

class RtcServer;

class AgentServer : public rooms::RoomEvents {
 public:
  static std::unique_ptr<AgentServer> start(SoupServer* server, signalling::HttpGuard& guard,
                                            RtcServer& rtc, rooms::Rooms& rooms,
                                            const config::Config& cfg);
  ~AgentServer() override;
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  // AgentDispatchService: CreateDispatch (the room is made if it does not
  // exist, as LiveKit's), DeleteDispatch (its agents leave), ListDispatch.
  Status create_dispatch(const ::livekit::CreateAgentDispatchRequest& req,
                         ::livekit::AgentDispatch& out);
  Status delete_dispatch(const ::livekit::DeleteAgentDispatchRequest& req,
                         ::livekit::AgentDispatch& out);
  Status list_dispatch(const ::livekit::ListAgentDispatchRequest& req,
                       ::livekit::ListAgentDispatchResponse& out);

  void room_started(const rooms::Room& r) override;
  void room_finished(const rooms::Room& r) override;
  void participant_active(const rooms::Room& r, const rooms::Participant& p) override;
  void participant_left(const rooms::Room& r, const rooms::Participant& p) override;
  void track_published(const rooms::Room& r, const rooms::Participant& p,
                       const rooms::Track& t) override;
  void track_unpublished(const rooms::Room&, const rooms::Participant&,
                         const rooms::Track&) override {}

 private:
  // One worker's WebSocket; `id` empty until it registered.
  struct Conn {
    AgentServer* server = nullptr;
    SoupWebsocketConnection* ws = nullptr;
    std::string id;
    std::string api_key;  // of its token: the agents' tokens are signed with it
    std::string source;   // for the HTTP guard
    unsigned long sig_message = 0, sig_closed = 0;
  };

  AgentServer(SoupServer* server, signalling::HttpGuard& guard, RtcServer& rtc, rooms::Rooms& rooms,
              const config::Config& cfg)
      : server_(server), guard_(guard), rtc_(rtc), rooms_(rooms), cfg_(cfg) {}
  static void on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
                      gpointer self);
  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char* path,
                           SoupWebsocketConnection* ws, gpointer self);
  static void on_message_finished(SoupServerMessage* msg, gpointer self);
  static void on_message(SoupWebsocketConnection* ws, int type, GBytes* message, gpointer conn);
  static void on_closed(SoupWebsocketConnection* ws, gpointer conn);
  static gboolean on_tick(gpointer self);
  void handle(Conn& c, const ::livekit::WorkerMessage& m);
  void send(Conn& c, const ::livekit::ServerMessage& m);
  void apply(const AgentActions& actions);
  void drop(Conn* c);
  ::livekit::ParticipantInfo describe(const rooms::Room& r, const rooms::Participant& p) const;

  SoupServer* server_;
  signalling::HttpGuard& guard_;
  RtcServer& rtc_;
  rooms::Rooms& rooms_;
  const config::Config& cfg_;
  AgentDispatcher model_;
  GSource* tick_ = nullptr;
  std::map<SoupServerMessage*, std::string> pending_;  // authorized upgrade -> its API key
  std::map<Conn*, std::unique_ptr<Conn>> conns_;
  std::map<std::string, Conn*> by_id_;  // registered workers
};

}  // namespace edgesfu::sp::livekit
