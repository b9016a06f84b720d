// WHIP (RFC 9725) and WHEP over HTTP (libsoup-3 on the slow path's GMainContext,
// the same loop the ICE agents run on). A thin front door on the session
// model: a WHIP client is a participant that only publishes, a WHEP client
// one that only receives what the room had when it was answered (WHEP has no
// server-initiated renegotiation).
//   POST   /whip/{room}            SDP offer -> 201, answer, Location
//   POST   /whep/{room}            SDP offer (recvonly) -> 201, answer, Location
//   DELETE /whip|whep/{room}/{id}  ends the session
//   PATCH  ...                     405: all our candidates are in the answer
//                                  (ICE-lite; the client's arrive as checks)
//   OPTIONS                        CORS preflight
// Authorization: Bearer <JWT> (HS256, LiveKit claims): bad/expired/forged 401,
// missing grant 403; malformed SDP 400; nothing usable 406; reasons in the body.
// Slow-path thread only.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "slowpath/auth/token.hpp"
#include "slowpath/session/participant_session.hpp"
#include "slowpath/signalling/http_guard.hpp"

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;

namespace edgesfu::sp::signalling {

using session::ParticipantSession;
using session::SessionDeps;

class WhipServer {
 public:
  static Result<std::unique_ptr<WhipServer>> start(const config::Config& cfg,
                                                   const SessionDeps& deps);
  ~WhipServer();

  std::size_t sessions() const { return sessions_.size(); }
  // The HTTP server (its limits guarded), for the other front doors' routes.
  SoupServer* server() const { return server_; }
  HttpGuard& guard() { return *guard_; }
  // The tracks of `room` changed: this door's sessions of the room follow.
  void room_changed(const std::string& room);

 private:
  WhipServer() = default;
  static void handle(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                     gpointer self);
  void on_request(SoupServerMessage* msg, const std::string& path);
  void post(SoupServerMessage* msg, bool publish, const std::string& room);
  // The token and the request's headers, as post() needs them: 401/403/415
  // (kUnsupported) reasons; used again before the body is read (early()).
  Result<auth::Claims> authorize(SoupServerMessage* msg, bool publish,
                                 const std::string& room) const;
  static void early(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                    gpointer self);
  void drop_later(const std::string& id);
  // Removes a session; the other sessions of its room let go of its tracks.
  void drop(const std::string& id);
  static gboolean on_sweep(gpointer self);

  std::map<std::string, std::string> keys_;
  int64_t empty_timeout_us_ = 0, departure_timeout_us_ = 0;
  uint16_t port_ = 0;
  std::string host_;
  SessionDeps deps_;
  SoupServer* server_ = nullptr;
  std::unique_ptr<HttpGuard> guard_;  // request deadline, per-source cap, backlog
  GSource* sweep_ = nullptr;
  uint32_t idle_handler_ = 0;  // DpControl's id for our consent-lost handler
  std::map<std::string, std::unique_ptr<ParticipantSession>> sessions_;  // by participant sid
};

}  // namespace edgesfu::sp::signalling
