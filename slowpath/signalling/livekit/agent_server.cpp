#include "slowpath/signalling/livekit/agent_server.hpp"

#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "base/log.hpp"
#include "base/printable.hpp"
#include "slowpath/auth/token.hpp"
#include "slowpath/signalling/http_reply.hpp"
#include "slowpath/signalling/livekit/agent_codec.hpp"
#include "slowpath/signalling/livekit/lk_connection.hpp"
#include "slowpath/signalling/livekit/lk_info.hpp"
#include "slowpath/signalling/livekit/rtc_server.hpp"

namespace edgesfu::sp::livekit {

namespace {

constexpr const char* kPath = "/agent";
constexpr int32_t kAgentProtocol = 1;  // LiveKit's agent.CurrentProtocol
constexpr int64_t kAgentTokenTtlS = 3600;

const char* job_type(::livekit::JobType t) { return ::livekit::JobType_Name(t).c_str(); }

}  // namespace

std::unique_ptr<AgentServer> AgentServer::start(SoupServer* server, signalling::HttpGuard& guard,
                                                RtcServer& rtc, rooms::Rooms& rooms,
                                                const config::Config& cfg) {
  std::unique_ptr<AgentServer> s(new AgentServer(server, guard, rtc, rooms, cfg));
  soup_server_add_handler(server, kPath, &AgentServer::on_http, s.get(), nullptr);
  soup_server_add_websocket_handler(server, kPath, nullptr, nullptr, &AgentServer::on_websocket,
                                    s.get(), nullptr);
  s->tick_ = g_timeout_source_new(1000);
  g_source_set_callback(s->tick_, &AgentServer::on_tick, s.get(), nullptr);
  g_source_attach(s->tick_, g_main_context_get_thread_default());
  rooms.add_events(s.get());
  return s;
}

AgentServer::~AgentServer() {
  rooms_.remove_events(this);
  if (tick_ != nullptr) {
    g_source_destroy(tick_);
    g_source_unref(tick_);
  }
  if (server_ != nullptr) soup_server_remove_handler(server_, kPath);
  for (auto& [msg, key] : pending_) g_signal_handlers_disconnect_by_data(msg, this);
  for (auto& [p, c] : conns_) {
    g_signal_handler_disconnect(c->ws, c->sig_message);
    g_signal_handler_disconnect(c->ws, c->sig_closed);
    if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_close(c->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
    }
    g_object_unref(c->ws);
    guard_.closed(c->source);
  }
}

void AgentServer::on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
                          gpointer p) {
  auto* self = static_cast<AgentServer*>(p);
  if (std::string(path != nullptr ? path : "") != kPath) {
    signalling::respond(msg, 404, "not found: agent workers connect to /agent\n");
    return;
  }
  if (std::string(soup_server_message_get_method(msg)) != "GET") {
    signalling::respond(msg, 405, "use GET (a WebSocket upgrade on /agent)\n");
    return;
  }
  const std::string token = signalling::request_token(msg, query);
  if (token.empty()) {
    signalling::respond(msg, 401, "no access token (Authorization: Bearer)\n");
    return;
  }
  const auth::TokenResult t =
      auth::verify(token, self->cfg_.keys, static_cast<int64_t>(std::time(nullptr)));
  if (!t.ok) {
    signalling::respond(
        msg, 401,
        std::string("invalid token: ") + auth::to_string(t.error) + ": " + t.detail + "\n");
    return;
  }
  if (!t.claims.video.agent) {
    signalling::respond(msg, 401, "permission denied: the token grants no video.agent\n");
    return;
  }
  // Authorized: libsoup upgrades it next (on_websocket), or it finishes
  // without a handshake and is forgotten.
  self->pending_[msg] = t.claims.api_key;
  g_signal_connect(msg, "finished", G_CALLBACK(&AgentServer::on_message_finished), self);
}

void AgentServer::on_message_finished(SoupServerMessage* msg, gpointer p) {
  auto* self = static_cast<AgentServer*>(p);
  g_signal_handlers_disconnect_by_data(msg, self);
  self->pending_.erase(msg);
}

void AgentServer::on_websocket(SoupServer*, SoupServerMessage* msg, const char*,
                               SoupWebsocketConnection* ws, gpointer p) {
  auto* self = static_cast<AgentServer*>(p);
  g_signal_handlers_disconnect_by_data(msg, self);
  auto it = self->pending_.find(msg);
  if (it == self->pending_.end()) {
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "not authorized");
    return;
  }
  auto c = std::make_unique<Conn>();
  c->server = self;
  c->ws = ws;
  c->api_key = it->second;
  self->pending_.erase(it);
  c->source = self->guard_.upgraded(msg);
  g_object_ref(ws);
  soup_websocket_connection_set_max_incoming_payload_size(ws, kMaxWorkerFrame);
  soup_websocket_connection_set_keepalive_interval(ws, 10);
  c->sig_message = g_signal_connect(ws, "message", G_CALLBACK(&AgentServer::on_message), c.get());
  c->sig_closed = g_signal_connect(ws, "closed", G_CALLBACK(&AgentServer::on_closed), c.get());
  logger(LogComponent::kAgent).info("agents: a worker connected from {}", c->source);
  Conn* key = c.get();
  self->conns_[key] = std::move(c);
}

void AgentServer::on_message(SoupWebsocketConnection*, int type, GBytes* message, gpointer p) {
  auto* c = static_cast<Conn*>(p);
  gsize n = 0;
  const auto* d = static_cast<const uint8_t*>(g_bytes_get_data(message, &n));
  Result<::livekit::WorkerMessage> m =
      type == SOUP_WEBSOCKET_DATA_TEXT ? decode_worker_json({reinterpret_cast<const char*>(d), n})
                                       : decode_worker({d, n});
  if (!m) {
    // A bad frame is refused and logged; the worker stays.
    logger(LogComponent::kAgent)
        .warn("agents: worker {}: {}", c->id.empty() ? c->source : c->id, m.error().message);
    return;
  }
  c->server->handle(*c, m.value());
}

void AgentServer::on_closed(SoupWebsocketConnection*, gpointer p) {
  auto* c = static_cast<Conn*>(p);
  c->server->drop(c);
}

void AgentServer::drop(Conn* c) {
  auto it = conns_.find(c);
  if (it == conns_.end()) return;
  std::unique_ptr<Conn> gone = std::move(it->second);
  conns_.erase(it);
  g_signal_handler_disconnect(gone->ws, gone->sig_message);
  g_signal_handler_disconnect(gone->ws, gone->sig_closed);
  g_object_unref(gone->ws);
  guard_.closed(gone->source);
  if (!gone->id.empty()) {
    by_id_.erase(gone->id);
    logger(LogComponent::kAgent)
        .info("agents: worker {} gone; its jobs not joined yet go to others", gone->id);
    apply(model_.remove_worker(gone->id, g_get_monotonic_time()));
  }
}

void AgentServer::send(Conn& c, const ::livekit::ServerMessage& m) {
  if (soup_websocket_connection_get_state(c.ws) != SOUP_WEBSOCKET_STATE_OPEN) return;
  const std::string b = m.SerializeAsString();
  soup_websocket_connection_send_binary(c.ws, b.data(), b.size());
}

void AgentServer::handle(Conn& c, const ::livekit::WorkerMessage& m) {
  using W = ::livekit::WorkerMessage;
  const int64_t now = g_get_monotonic_time();
  if (c.id.empty() && m.message_case() != W::kRegister) {
    logger(LogComponent::kAgent).warn("agents: {}: a message before register, ignored", c.source);
    return;
  }
  switch (m.message_case()) {
    case W::kRegister: {
      if (!c.id.empty()) {
        logger(LogComponent::kAgent).warn("agents: worker {} registered again, ignored", c.id);
        return;
      }
      const auto& r = m.register_();
      if (!::livekit::JobType_IsValid(r.type()) || r.agent_name().size() > 256) {
        logger(LogComponent::kAgent)
            .warn("agents: {}: register refused (job type {}, agent name of {} bytes)", c.source,
                  static_cast<int>(r.type()), r.agent_name().size());
        soup_websocket_connection_close(c.ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                        "bad registration");
        return;
      }
      c.id = model_.add_worker(r);
      by_id_[c.id] = &c;
      ::livekit::ServerMessage out;
      auto* reg = out.mutable_register_();
      reg->set_worker_id(c.id);
      auto* si = reg->mutable_server_info();
      si->set_edition(::livekit::ServerInfo::Standard);
      si->set_version(kServerVersion);
      si->set_protocol(kProtocol);
      si->set_agent_protocol(kAgentProtocol);
      send(c, out);
      logger(LogComponent::kAgent)
          .info("agents: worker {} registered: agent name '{}', {} jobs, version {}", c.id,
                printable(r.agent_name()), job_type(r.type()), printable(r.version()));
      return;
    }
    case W::kAvailability: apply(model_.availability(c.id, m.availability(), now)); return;
    case W::kUpdateWorker: model_.update_worker(c.id, m.update_worker()); return;
    case W::kUpdateJob: model_.job_status(c.id, m.update_job()); return;
    case W::kPing: {
      ::livekit::ServerMessage out;
      out.mutable_pong()->set_last_timestamp(m.ping().timestamp());
      out.mutable_pong()->set_timestamp(g_get_real_time() / 1000);
      send(c, out);
      return;
    }
    case W::kSimulateJob:
      logger(LogComponent::kAgent)
          .info("agents: worker {} simulates a job in room {}", c.id,
                printable(m.simulate_job().room().name()));
      apply(model_.simulate_job(c.id, m.simulate_job(), now));
      return;
    case W::kMigrateJob:  // LiveKit's open-source server does nothing either
      logger(LogComponent::kAgent)
          .info("agents: worker {}: migrate_job is not served here, ignored", c.id);
      return;
    case W::MESSAGE_NOT_SET: return;
  }
}

void AgentServer::apply(const AgentActions& actions) {
  for (const AgentAction& a : actions) {
    const ::livekit::Job& job = a.job;
    auto w = by_id_.find(a.worker);
    switch (a.kind) {
      case AgentAction::Kind::kUnplaced:
        logger(LogComponent::kAgent)
            .warn("agents: job {} ({} in room {}, agent '{}'): no worker took it", job.id(),
                  job_type(job.type()), job.room().name(), printable(job.agent_name()));
        break;
      case AgentAction::Kind::kOffer: {
        if (w == by_id_.end()) break;
        ::livekit::ServerMessage out;
        *out.mutable_availability()->mutable_job() = job;
        send(*w->second, out);
        logger(LogComponent::kAgent)
            .info("agents: job {} ({} in room {}, agent '{}') offered to {}", job.id(),
                  job_type(job.type()), job.room().name(), printable(job.agent_name()), a.worker);
        break;
      }
      case AgentAction::Kind::kAssign: {
        if (w == by_id_.end()) break;
        const auto key = cfg_.keys.find(w->second->api_key);
        if (key == cfg_.keys.end()) break;  // its key left the config: it cannot sign
        auth::Claims c;
        c.api_key = key->first;
        c.identity = a.answer.participant_identity();
        c.name = a.answer.participant_name();
        c.metadata = a.answer.participant_metadata();
        c.kind = "agent";
        for (const auto& [k, v] : a.answer.participant_attributes()) c.attributes[k] = v;
        const int64_t now = static_cast<int64_t>(std::time(nullptr));
        c.not_before = now;
        c.expires = now + kAgentTokenTtlS;
        c.video.room = job.room().name();
        c.video.room_join = true;
        c.video.agent = true;
        c.video.can_subscribe = a.permissions.can_subscribe();
        c.video.can_publish = a.permissions.can_publish();
        c.video.can_publish_data = a.permissions.can_publish_data();
        c.video.hidden = a.permissions.hidden();
        c.video.can_update_own_metadata = a.permissions.can_update_metadata();
        ::livekit::ServerMessage out;
        *out.mutable_assignment()->mutable_job() = job;
        out.mutable_assignment()->set_token(auth::mint(c, key->second));
        send(*w->second, out);
        logger(LogComponent::kAgent)
            .info("agents: job {} assigned to {}: joins room {} as {}", job.id(), a.worker,
                  job.room().name(), printable(c.identity));
        break;
      }
      case AgentAction::Kind::kTerminate: {
        if (w != by_id_.end()) {
          ::livekit::ServerMessage out;
          out.mutable_termination()->set_job_id(job.id());
          send(*w->second, out);
        }
        logger(LogComponent::kAgent)
            .info("agents: job {} in room {} ends", job.id(), job.room().name());
        if (a.remove_agent) {
          LkConnection* agent =
              rtc_.connection(job.room().name(), job.state().participant_identity());
          if (agent != nullptr)
            rtc_.remove(*agent, ::livekit::PARTICIPANT_REMOVED, "its dispatch's deletion");
        }
        break;
      }
    }
  }
}

gboolean AgentServer::on_tick(gpointer p) {
  auto* self = static_cast<AgentServer*>(p);
  self->apply(self->model_.tick(g_get_monotonic_time()));
  return G_SOURCE_CONTINUE;
}

::livekit::ParticipantInfo AgentServer::describe(const rooms::Room& r,
                                                 const rooms::Participant& p) const {
  if (auto own = rtc_.info_of(p.sid)) return *own;
  return door_participant_info(r, p);
}

void AgentServer::room_started(const rooms::Room& r) {
  apply(model_.room_started(room_info(r, cfg_), r.settings.agents, g_get_monotonic_time()));
}

void AgentServer::room_finished(const rooms::Room& r) { apply(model_.room_finished(r.name)); }

void AgentServer::participant_active(const rooms::Room& r, const rooms::Participant& p) {
  apply(model_.participant_joined(room_info(r, cfg_), describe(r, p), g_get_monotonic_time()));
}

void AgentServer::participant_left(const rooms::Room& r, const rooms::Participant& p) {
  // The same identity joined again (a reconnect replaces the older session):
  // its job goes on.
  for (const auto& [sid, other] : r.participants) {
    if (sid != p.sid && other.identity == p.identity) return;
  }
  apply(model_.participant_left(r.name, p.identity));
}

void AgentServer::track_published(const rooms::Room& r, const rooms::Participant& p,
                                  const rooms::Track&) {
  apply(model_.participant_published(room_info(r, cfg_), describe(r, p), g_get_monotonic_time()));
}

Status AgentServer::create_dispatch(const ::livekit::CreateAgentDispatchRequest& req,
                                    ::livekit::AgentDispatch& out) {
  if (req.room().empty() || req.room().size() > kMaxRoomName) {
    return make_error(ErrorCode::kInvalidArgument, "a dispatch needs a room name");
  }
  if (req.agent_name().size() > 256) {
    return make_error(ErrorCode::kInvalidArgument, "agent name length exceeds limits");
  }
  if (req.metadata().size() > kMaxMetadata) {
    return make_error(ErrorCode::kInvalidArgument, "metadata size exceeds limits");
  }
  const int64_t now = g_get_monotonic_time();
  // LiveKit's server makes the room (with its default dispatch) first.
  rooms::Room* room = rooms_.create(req.room(), {}, now).first;
  AgentActions actions;
  auto d = model_.create_dispatch(room_info(*room, cfg_), req, rtc_.participants(req.room()), now,
                                  actions);
  if (!d) return d.error();
  out = std::move(d).value();
  logger(LogComponent::kAgent)
      .info("agents: dispatch {} of agent '{}' to room {} created", out.id(),
            printable(out.agent_name()), out.room());
  apply(actions);
  return ok_status();
}

Status AgentServer::delete_dispatch(const ::livekit::DeleteAgentDispatchRequest& req,
                                    ::livekit::AgentDispatch& out) {
  AgentActions actions;
  auto d = model_.delete_dispatch(req.room(), req.dispatch_id(), actions);
  if (!d) return d.error();
  out = std::move(d).value();
  logger(LogComponent::kAgent).info("agents: dispatch {} in room {} deleted", out.id(), out.room());
  apply(actions);
  return ok_status();
}

Status AgentServer::list_dispatch(const ::livekit::ListAgentDispatchRequest& req,
                                  ::livekit::ListAgentDispatchResponse& out) {
  for (auto& d : model_.list_dispatches(req.room(), req.dispatch_id())) {
    *out.add_agent_dispatches() = std::move(d);
  }
  return ok_status();
}

}  // namespace edgesfu::sp::livekit
