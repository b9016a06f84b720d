#include "slowpath/signalling/whip/whip_server.hpp"

#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <optional>
#include <vector>

#include "base/descriptors.hpp"
#include "base/log.hpp"
#include "base/printable.hpp"
#include "slowpath/auth/token.hpp"
#include "slowpath/signalling/demo/bundled_js.hpp"
#include "slowpath/signalling/demo/demo_page.hpp"
#include "slowpath/signalling/http_reply.hpp"
#include "slowpath/signalling/http_status.hpp"
#include "slowpath/signalling/run_later.hpp"

namespace edgesfu::sp::signalling {

namespace {

// WHIP's own CORS headers, beside respond()'s Allow-Origin.
void cors(SoupServerMessage* msg) {
  SoupMessageHeaders* h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "Access-Control-Allow-Methods", "POST, DELETE, PATCH, OPTIONS");
  soup_message_headers_replace(h, "Access-Control-Allow-Headers",
                               "Authorization, Content-Type, If-Match");
  soup_message_headers_replace(h, "Access-Control-Expose-Headers", "Location, ETag");
}

void reply(SoupServerMessage* msg, int status, const std::string& body,
           const char* type = "text/plain; charset=utf-8") {
  cors(msg);
  respond(msg, status, body, type);
}

// Descriptors kept free when new sessions are refused.
constexpr std::size_t kDescriptorMargin = 64;

bool valid_room(const std::string& r) {
  if (r.empty() || r.size() > 128) return false;
  for (char c : r) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

// /whip/{room}[/{id}] or /whep/{room}[/{id}]; empty for any other path.
struct Route {
  bool publish = false;  // whip
  std::string room;
  std::string id;            // the third segment, if any
  std::size_t segments = 0;  // 2: the endpoint, 3: a session, more: neither (405)
};
std::optional<Route> parse_route(const std::string& path) {
  std::vector<std::string> parts;
  for (std::size_t i = 1, j; i <= path.size(); i = j + 1) {
    j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    parts.push_back(path.substr(i, j - i));
  }
  if (parts.size() < 2 || (parts[0] != "whip" && parts[0] != "whep") || !valid_room(parts[1])) {
    return std::nullopt;
  }
  return Route{parts[0] == "whip", parts[1], parts.size() > 2 ? parts[2] : std::string(),
               parts.size()};
}

}  // namespace

Result<std::unique_ptr<WhipServer>> WhipServer::start(const config::Config& cfg,
                                                      const SessionDeps& deps) {
  std::unique_ptr<WhipServer> w(new WhipServer());
  w->keys_ = cfg.keys;
  w->empty_timeout_us_ = int64_t{cfg.room.empty_timeout_s} * 1000000;
  w->departure_timeout_us_ = int64_t{cfg.room.departure_timeout_s} * 1000000;
  w->deps_ = deps;
  WhipServer* self = w.get();
  if (!w->deps_.on_room_changed) {
    w->deps_.on_room_changed = [self](const std::string& room) { self->room_changed(room); };
  }
  // Consent lost (the dataplane saw nothing from the peer for its idle
  // timeout): end that session.
  w->idle_handler_ = deps.dp->add_idle_handler([self](const ParticipantRef& ref) {
    for (auto& [id, s] : self->sessions_) {
      const ParticipantRef& p = s->participant();
      if (s->installed() && p.worker == ref.worker && p.slot == ref.slot &&
          p.generation == ref.generation) {
        s->expire("consent lost: nothing from the peer for the idle timeout");
      }
    }
  });
  w->port_ = cfg.port;
  w->host_ = deps.local_address;
  w->server_ = soup_server_new("server-header", "edgesfu", nullptr);
  if (w->server_ == nullptr) return make_error("http: soup_server_new failed");
  soup_server_add_handler(w->server_, nullptr, &WhipServer::handle, w.get(), nullptr);
  soup_server_add_early_handler(w->server_, nullptr, &WhipServer::early, w.get(), nullptr);
  HttpLimits hl;
  hl.request_deadline_ms = cfg.limit.http_request_timeout_ms;
  hl.per_source_connections = cfg.limit.http_connections_per_source;
  hl.listen_backlog = static_cast<int>(cfg.limit.http_listen_backlog);
  hl.max_body = std::size_t{cfg.limit.http_max_body_kb} * 1024;
  w->guard_ = std::make_unique<HttpGuard>(w->server_, hl);
  if (auto s = w->guard_->listen(deps.local_address, cfg.port); !s) return s.error();
  w->sweep_ = g_timeout_source_new_seconds(1);
  g_source_set_callback(w->sweep_, &WhipServer::on_sweep, w.get(), nullptr);
  g_source_attach(w->sweep_, deps.context);
  logger(LogComponent::kWhip)
      .info("http: WHIP/WHEP on http://{}:{}/whip/<room> and /whep/<room>", deps.local_address,
            cfg.port);
  return w;
}

WhipServer::~WhipServer() {
  if (deps_.dp != nullptr && idle_handler_ != 0) deps_.dp->remove_idle_handler(idle_handler_);
  if (sweep_ != nullptr) {
    g_source_destroy(sweep_);
    g_source_unref(sweep_);
  }
  sessions_.clear();
  guard_.reset();  // before the server: it disconnects its signal handlers
  if (server_ != nullptr) {
    soup_server_disconnect(server_);
    g_object_unref(server_);
  }
}

gboolean WhipServer::on_sweep(gpointer p) {
  auto* w = static_cast<WhipServer*>(p);
  w->guard_->check(g_get_monotonic_time());
  for (const auto& name : w->deps_.rooms->sweep(g_get_monotonic_time(), w->empty_timeout_us_,
                                                w->departure_timeout_us_)) {
    logger(LogComponent::kWhip).info("room {} closed (empty)", name);
    if (w->deps_.on_room_closed) w->deps_.on_room_closed(name);
  }
  return G_SOURCE_CONTINUE;
}

void WhipServer::handle(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                        gpointer self) {
  static_cast<WhipServer*>(self)->on_request(msg, path != nullptr ? path : "");
}

void WhipServer::on_request(SoupServerMessage* msg, const std::string& path) {
  const std::string method = soup_server_message_get_method(msg);
  if (path == "/" && method == "GET") {
    reply(msg, 200, kDemoPage, "text/html; charset=utf-8");
    return;
  }
  if (path == "/favicon.ico" && method == "GET") {
    reply(msg, 204, "");  // none: browsers ask on every page load
    return;
  }
  if (path == "/lib/livekit-client.umd.js" && method == "GET") {
    const std::string_view js = livekit_client_js();
    if (js.empty()) {
      reply(msg, 404, "this build of edgesfu has no livekit-client (see README: the demo page)\n");
    } else {
      respond_static(msg, 200, js, "text/javascript; charset=utf-8");
    }
    return;
  }
  const std::optional<Route> route = parse_route(path);
  if (!route) {
    reply(msg, 404, "not found: use /whip/<room> or /whep/<room>\n");
    return;
  }
  if (method == "OPTIONS") {
    reply(msg, 204, "");
    return;
  }
  if (route->segments == 2 && method == "POST") {
    post(msg, route->publish, route->room);
    return;
  }
  if (route->segments == 3 && method == "DELETE") {
    auto it = sessions_.find(route->id);
    if (it == sessions_.end() || it->second->room() != route->room) {
      reply(msg, 404, "no such session\n");
      return;
    }
    const std::string id = it->first;
    drop(id);
    logger(LogComponent::kWhip)
        .info("session {} deleted; dataplane flows now {}", id, deps_.dp->flows());
    reply(msg, 200, "");
    return;
  }
  if (route->segments == 3 && method == "PATCH") {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "DELETE");
    reply(msg, 405, "trickle ICE is not supported: every candidate is in the answer (ICE-lite)\n");
    return;
  }
  reply(msg, 405, "method not allowed\n");
}

Result<auth::Claims> WhipServer::authorize(SoupServerMessage* msg, bool publish,
                                           const std::string& room) const {
  SoupMessageHeaders* h = soup_server_message_get_request_headers(msg);
  const char* authz = soup_message_headers_get_one(h, "Authorization");
  const std::string bearer = "Bearer ";
  if (authz == nullptr || std::string(authz).rfind(bearer, 0) != 0) {
    return make_error(ErrorCode::kUnauthenticated, "missing Authorization: Bearer <token>");
  }
  auth::TokenResult tok =
      auth::verify(std::string(authz).substr(bearer.size()), keys_, std::time(nullptr));
  if (!tok.ok) {
    return make_error(ErrorCode::kUnauthenticated,
                      std::string(auth::to_string(tok.error)) + ": " + tok.detail);
  }
  // Joining needs an identity (LiveKit's rule; a server-API token may have
  // none, a participant's may not).
  if (tok.claims.identity.empty()) {
    return make_error(ErrorCode::kUnauthenticated,
                      "the token has no identity (sub); one is required to join a room");
  }
  const auth::VideoGrant& g = tok.claims.video;
  if (!g.room_join || g.room != room) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the token does not grant roomJoin for room '" + room + "'");
  }
  if (publish && !g.can_publish) {
    return make_error(ErrorCode::kPermissionDenied, "the token does not grant canPublish");
  }
  if (!publish && !g.can_subscribe) {
    return make_error(ErrorCode::kPermissionDenied, "the token does not grant canSubscribe");
  }
  const char* type = soup_message_headers_get_content_type(h, nullptr);
  if (type == nullptr || std::string(type) != "application/sdp") {
    return make_error(ErrorCode::kUnsupportedMediaType, "Content-Type must be application/sdp");
  }
  return std::move(tok.claims);
}

void WhipServer::early(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                       gpointer p) {
  // Before the body is read: a POST that will be refused is answered from
  // its headers, and its body is read and dropped, never kept (issue 12 #6).
  auto* self = static_cast<WhipServer*>(p);
  if (std::string(soup_server_message_get_method(msg)) != "POST" || path == nullptr) return;
  const std::optional<Route> route = parse_route(path);
  if (!route || route->segments != 2) return;  // answered by the handler (404, 405)
  auto claims = self->authorize(msg, route->publish, route->room);
  if (claims) return;
  soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
  reply(msg, http_status(claims.error().code), claims.error().message + "\n");
}

void WhipServer::post(SoupServerMessage* msg, bool publish, const std::string& room) {
  auto claims = authorize(msg, publish, room);
  if (!claims) {
    reply(msg, http_status(claims.error().code), claims.error().message + "\n");
    return;
  }
  const auth::Claims& who = claims.value();
  SoupMessageBody* body = soup_server_message_get_request_body(msg);
  const std::string text(body->data != nullptr ? body->data : "",
                         static_cast<std::size_t>(body->length));
  auto offer = sdp::parse(text);
  if (!offer) {
    reply(msg, 400, "malformed SDP: " + offer.error().message + "\n");
    return;
  }
  // WHEP: the tracks in the room when it is answered (no renegotiation
  // later), so an empty room is refused.
  if (!publish) {
    const rooms::Room* r = deps_.rooms->find(room);
    if (r == nullptr || r->tracks.empty()) {
      reply(msg, 409,
            "nothing is published in room '" + room + "' yet; retry once a publisher has joined\n");
      return;
    }
  }
  // Descriptor budget: a session holds one (its ICE socket) and each
  // connection one; refuse new work while a margin is left for DELETEs and
  // the rest of the process, instead of failing deep inside a library.
  if (auto fds = descriptor_use(); fds && fds->open + kDescriptorMargin >= fds->limit) {
    reply(msg, 503,
          "out of file descriptors (" + std::to_string(fds->open) + " of " +
              std::to_string(fds->limit) + " open): retry later\n");
    logger(LogComponent::kWhip)
        .warn("http: refused a session: {} of {} descriptors open", fds->open, fds->limit);
    return;
  }
  session::Grants grants;
  grants.can_publish = publish;
  grants.can_subscribe = !publish;
  auto created = ParticipantSession::create(
      room, who.identity, grants, deps_,
      [this](const std::string& id, const std::string&) { drop_later(id); });
  if (!created) {
    reply(msg, http_status(created.error().code), created.error().message + "\n");
    return;
  }
  std::unique_ptr<ParticipantSession> session = std::move(created).value();
  session::Changes changes;
  auto answer = session->on_remote_offer(offer.value(), changes);
  if (answer && publish && changes.published.empty()) {
    answer = make_error(ErrorCode::kUnsupported,
                        changes.refused.empty() ? "the offer sends no audio or video we can receive"
                                                : changes.refused.front());
  }
  if (answer && !publish && changes.subscribed.empty()) {
    answer = make_error(ErrorCode::kUnsupported,
                        "the offer receives none of the room's tracks (no receiving m-line with "
                        "their codecs)");
  }
  if (!answer) {
    reply(msg, http_status(answer.error().code), answer.error().message + "\n");
    return;  // the session leaves the room as it goes
  }
  const std::string id = session->sid();
  sessions_[id] = std::move(session);
  const std::string location = std::string(publish ? "/whip/" : "/whep/") + room + "/" + id;
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Location",
                               location.c_str());
  reply(msg, 201, answer.value(), "application/sdp");
  SessionLog(LogComponent::kWhip, room, id)
      .info("{} {} in room {} ({}): {} published, {} subscribed", publish ? "WHIP" : "WHEP", id,
            room, printable(who.identity), changes.published.size(), changes.subscribed.size());
}

void WhipServer::room_changed(const std::string& room) {
  for (auto& [id, s] : sessions_) {
    if (s->room() == room) s->room_changed();
  }
}

void WhipServer::drop(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  const std::string room = it->second->room();
  const bool had_tracks = !it->second->media().publications().empty();
  sessions_.erase(it);
  if (had_tracks && deps_.on_room_changed) deps_.on_room_changed(room);
}

void WhipServer::drop_later(const std::string& id) {
  // Called from inside the session's own callbacks: destroy it from the loop.
  run_later(deps_.context, [this, id] {
    drop(id);
    logger(LogComponent::kWhip)
        .info("session {} removed; dataplane flows now {}", id, deps_.dp->flows());
  });
}

}  // namespace edgesfu::sp::signalling
