#include "slowpath/signalling/livekit/rtc_server.hpp"

#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "base/log.hpp"
#include "base/printable.hpp"
#include "slowpath/signalling/http_reply.hpp"
#include "slowpath/signalling/http_status.hpp"
#include "slowpath/signalling/livekit/agent_server.hpp"
#include "slowpath/signalling/livekit/lk_connection.hpp"
#include "slowpath/signalling/livekit/lk_info.hpp"
#include "slowpath/signalling/livekit/room_service.hpp"
#include "slowpath/signalling/livekit/room_webhooks.hpp"
#include "slowpath/signalling/livekit/signal_codec.hpp"
#include "slowpath/signalling/run_later.hpp"

namespace edgesfu::sp::livekit {

namespace {
constexpr guint kQualityIntervalMs = 2000;  // connection quality updates
}  // namespace

namespace {

std::string query_value(GHashTable* query, const char* key) {
  if (query == nullptr) return {};
  const auto* v = static_cast<const char*>(g_hash_table_lookup(query, key));
  return v != nullptr ? v : "";
}

// A leave{RECONNECT} to a client that asked to resume a session this server
// does not keep: it rejoins from scratch (LIVEKIT-SDKS.md §3.15).
void refuse_resume(SoupWebsocketConnection* ws) {
  ::livekit::SignalResponse r;
  r.mutable_leave()->set_reason(::livekit::STATE_MISMATCH);
  r.mutable_leave()->set_action(::livekit::LeaveRequest::RECONNECT);
  r.mutable_leave()->set_can_reconnect(true);
  const std::string b = encode_signal(r);
  soup_websocket_connection_send_binary(ws, b.data(), b.size());
  soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_NORMAL, "resume not supported");
}

constexpr guint kDataLogIntervalS = 10;

// One message to one receiver, in the counters of its kind `k`.
void count_send(DataCounters& d, std::size_t k, std::size_t bytes, sctp::SendResult r) {
  switch (r) {
    case sctp::SendResult::kSent:
      ++d.out[k].messages;
      d.out[k].bytes += bytes;
      break;
    case sctp::SendResult::kHeld: ++d.held; break;
    case sctp::SendResult::kBufferFull: ++d.slow_receiver[k]; break;
    case sctp::SendResult::kNotConnected: ++d.no_channel; break;
    case sctp::SendResult::kTooLarge:
    case sctp::SendResult::kFailed: ++d.send_failed; break;
  }
}

}  // namespace

Result<std::unique_ptr<RtcServer>> RtcServer::start(SoupServer* server,
                                                    signalling::HttpGuard& guard,
                                                    const config::Config& cfg,
                                                    const session::SessionDeps& deps) {
  std::unique_ptr<RtcServer> r(new RtcServer());
  r->guard_ = &guard;
  r->cfg_ = cfg;
  r->deps_ = deps;
  r->server_ = server;
  soup_server_add_handler(server, "/rtc/v1", &RtcServer::on_http, r.get(), nullptr);
  soup_server_add_websocket_handler(server, "/rtc/v1", nullptr, nullptr, &RtcServer::on_websocket,
                                    r.get(), nullptr);
  soup_server_add_handler(server, "/rtc", &RtcServer::on_v0, r.get(), nullptr);
  if (!cfg.webhook.urls.empty()) {
    auto out = webhook::Notifier::start(cfg.webhook, cfg.keys.at(cfg.webhook.api_key));
    if (!out) return out.error();
    r->webhook_out_ = std::move(out).value();
    RtcServer* self = r.get();
    r->webhooks_ = std::make_unique<RoomWebhooks>(
        r->cfg_, *r->webhook_out_, [self](const std::string& sid) { return self->info_of(sid); });
    deps.rooms->add_events(r->webhooks_.get());
  }
  if (deps.qualities != nullptr) {
    r->quality_timer_ = g_timeout_source_new(kQualityIntervalMs);
    g_source_set_callback(r->quality_timer_, &RtcServer::on_quality_tick, r.get(), nullptr);
    g_source_attach(r->quality_timer_, deps.context);
  }
  if (deps.speakers != nullptr) {
    r->speakers_timer_ = g_timeout_source_new(deps.speakers->config().update_interval_ms);
    g_source_set_callback(r->speakers_timer_, &RtcServer::on_speakers_tick, r.get(), nullptr);
    g_source_attach(r->speakers_timer_, deps.context);
  }
  // Consent lost (the dataplane saw nothing from the peer for its idle
  // timeout: a client that stopped, or whose network went): the participant
  // leaves, as LiveKit closes one whose PeerConnection disconnected.
  if (deps.dp != nullptr) {
    RtcServer* self = r.get();
    r->idle_handler_ = deps.dp->add_idle_handler([self](const ParticipantRef& ref) {
      for (auto& [sid, c] : self->conns_) {
        const session::ParticipantSession& s = c->session();
        if (s.installed() && s.participant().worker == ref.worker &&
            s.participant().slot == ref.slot && s.participant().generation == ref.generation) {
          // Told, if it still listens; gone at once either way (a stopped
          // client would hold the WebSocket's closing handshake).
          c->leave(::livekit::CONNECTION_TIMEOUT, ::livekit::LeaveRequest::DISCONNECT);
          c->end("consent lost: nothing from the peer for the idle timeout");
          return;
        }
      }
    });
  }
  r->data_log_timer_ = g_timeout_source_new_seconds(kDataLogIntervalS);
  g_source_set_callback(r->data_log_timer_, &RtcServer::on_data_log_tick, r.get(), nullptr);
  g_source_attach(r->data_log_timer_, deps.context);
  logger(LogComponent::kLivekit)
      .info("http: LiveKit signalling on ws://{}:{}/rtc/v1", deps.local_address, cfg.port);
  r->room_service_ = RoomService::start(server, *r, *deps.rooms, r->cfg_);
  r->agents_ = AgentServer::start(server, guard, *r, *deps.rooms, r->cfg_);
  logger(LogComponent::kLivekit)
      .info("http: LiveKit RoomService on http://{}:{}/twirp/livekit.RoomService/",
            deps.local_address, cfg.port);
  return r;
}

RtcServer::~RtcServer() {
  if (deps_.dp != nullptr && idle_handler_ != 0) deps_.dp->remove_idle_handler(idle_handler_);
  room_service_.reset();
  agents_.reset();
  // Stopping: what sessions do as they end is not reported any more.
  if (webhooks_) deps_.rooms->remove_events(webhooks_.get());
  if (data_log_timer_ != nullptr) {
    g_source_destroy(data_log_timer_);
    g_source_unref(data_log_timer_);
  }
  if (quality_timer_ != nullptr) {
    g_source_destroy(quality_timer_);
    g_source_unref(quality_timer_);
  }
  if (speakers_timer_ != nullptr) {
    g_source_destroy(speakers_timer_);
    g_source_unref(speakers_timer_);
  }
  if (server_ != nullptr) {
    soup_server_remove_handler(server_, "/rtc/v1");
    soup_server_remove_handler(server_, "/rtc");
  }
  for (auto& [msg, c] : pending_) {
    g_signal_handlers_disconnect_by_data(msg, this);
  }
  pending_.clear();
  conns_.clear();
}

Result<auth::Claims> RtcServer::authorize(SoupServerMessage* msg, GHashTable* query) const {
  const std::string token = signalling::request_token(msg, query);
  if (token.empty()) {
    return Error{"no access token (access_token or Authorization: Bearer)",
                 ErrorCode::kUnauthenticated};
  }
  const auth::TokenResult t =
      auth::verify(token, cfg_.keys, static_cast<int64_t>(std::time(nullptr)));
  if (!t.ok) {
    return Error{std::string("invalid token: ") + auth::to_string(t.error) + ": " + t.detail,
                 ErrorCode::kUnauthenticated};
  }
  if (t.claims.identity.empty()) {
    return Error{"invalid token: an identity (sub) is required to join",
                 ErrorCode::kUnauthenticated};
  }
  if (!t.claims.video.room_join || t.claims.video.room.empty()) {
    return Error{"permission denied: the token grants no roomJoin for a room",
                 ErrorCode::kPermissionDenied};
  }
  return t.claims;
}

void RtcServer::on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
                        gpointer p) {
  auto* self = static_cast<RtcServer*>(p);
  const std::string route = path != nullptr ? path : "";
  if (std::string(soup_server_message_get_method(msg)) != "GET") {
    signalling::respond(msg, 405, "use GET (a WebSocket upgrade on /rtc/v1)\n");
    return;
  }
  auto claims = self->authorize(msg, query);
  if (!claims) {
    signalling::respond(msg, signalling::http_status(claims.error().code),
                        claims.error().message + "\n");
    return;
  }
  if (route == "/rtc/v1/validate") {
    signalling::respond(msg, 200, "success");
    return;
  }
  if (route != "/rtc/v1") {
    signalling::respond(msg, 404, "not found: LiveKit signalling is /rtc/v1\n");
    return;
  }
  const std::string param = query_value(query, "join_request");
  if (param.empty()) {
    signalling::respond(msg, 400, "join_request is missing (the /rtc/v1 JoinRequest)\n");
    return;
  }
  auto join = decode_join_request(param);
  if (!join) {
    signalling::respond(msg, 400, join.error().message + "\n");
    return;
  }
  if (join->reconnect() || query_value(query, "reconnect") == "1") {
    // Accepted, then told to rejoin (on_websocket): no session is resumed.
    self->pending_[msg] = nullptr;
  } else {
    const auth::Claims& who = claims.value();
    if (!who.room_agents.empty() && self->deps_.rooms->find(who.video.room) == nullptr) {
      // The token's room configuration applies when its join makes the room.
      rooms::RoomSettings s;
      for (const auth::RoomAgent& a : who.room_agents) {
        s.agents.push_back(rooms::AgentRequest{a.agent_name, a.metadata});
      }
      self->deps_.rooms->create(who.video.room, s, g_get_monotonic_time());
    }
    auto conn = LkConnection::create(*self, self->deps_, claims.value(), std::move(join).value());
    if (!conn) {
      signalling::respond(msg, signalling::http_status(conn.error().code),
                          conn.error().message + "\n");
      return;
    }
    self->pending_[msg] = std::move(conn).value();
  }
  // Not upgraded after all (no WebSocket handshake): the pending join goes.
  g_signal_connect(msg, "finished", G_CALLBACK(&RtcServer::on_message_finished), self);
}

void RtcServer::on_message_finished(SoupServerMessage* msg, gpointer p) {
  auto* self = static_cast<RtcServer*>(p);
  g_signal_handlers_disconnect_by_data(msg, self);
  self->pending_.erase(msg);
}

void RtcServer::on_websocket(SoupServer*, SoupServerMessage* msg, const char*,
                             SoupWebsocketConnection* ws, gpointer p) {
  auto* self = static_cast<RtcServer*>(p);
  g_signal_handlers_disconnect_by_data(msg, self);
  auto it = self->pending_.find(msg);
  if (it == self->pending_.end()) {
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "not authorized");
    return;
  }
  std::unique_ptr<LkConnection> conn = std::move(it->second);
  self->pending_.erase(it);
  // The HTTP limits follow the connection: it stays one of its source's.
  const std::string source = self->guard_->upgraded(msg);
  if (!conn) {
    self->guard_->closed(source);
    refuse_resume(ws);
    return;
  }
  // The same identity in the same room: the older session goes
  // (DUPLICATE_IDENTITY), as LiveKit does, and the room hears of its leaving
  // before the newcomer's joining (the SDKs key participants by identity).
  std::vector<std::string> replaced;
  for (auto& [sid, other] : self->conns_) {
    if (other->room() == conn->room() && other->identity() == conn->identity()) {
      other->leave(::livekit::DUPLICATE_IDENTITY, ::livekit::LeaveRequest::DISCONNECT);
      replaced.push_back(sid);
    }
  }
  for (const std::string& sid : replaced) self->drop(sid);
  LkConnection* c = conn.get();
  const std::string sid = conn->sid();
  self->sources_[sid] = source;
  self->conns_[sid] = std::move(conn);
  c->attach(ws);
  // Everyone else hears of the new participant.
  if (!c->hidden()) self->broadcast(c->room(), c->info());
}

void RtcServer::on_v0(SoupServer*, SoupServerMessage* msg, const char*, GHashTable*, gpointer) {
  signalling::respond(
      msg, 404,
      "LiveKit v0 signalling (/rtc, two PeerConnections) is not supported yet: edgesfu speaks "
      "/rtc/v1 (single PeerConnection, the default of livekit-client >= 2.17 and the Rust "
      "SDKs)\n");
}

std::vector<::livekit::ParticipantInfo> RtcServer::describe(const std::string& room,
                                                            const std::string& skip_sid,
                                                            bool with_hidden) const {
  std::vector<::livekit::ParticipantInfo> out;
  const rooms::Room* r = deps_.rooms->find(room);
  if (r == nullptr) return out;
  for (const auto& [sid, p] : r->participants) {
    if (sid == skip_sid) continue;
    auto c = conns_.find(sid);
    if (c != conns_.end()) {
      if (with_hidden || !c->second->hidden()) out.push_back(c->second->info());
    } else if (pending_participant(sid)) {
      continue;  // answered but not upgraded yet: not in the room for others
    } else {
      out.push_back(door_participant_info(*r, p));
    }
  }
  return out;
}

std::vector<::livekit::ParticipantInfo> RtcServer::others(const std::string& room,
                                                          const std::string& self_sid) const {
  return describe(room, self_sid, false);
}

void RtcServer::broadcast(const std::string& room, const ::livekit::ParticipantInfo& who) {
  ::livekit::SignalResponse r;
  *r.mutable_update()->add_participants() = who;
  for (auto& [sid, c] : conns_) {
    if (c->room() == room) c->send(r);
  }
}

void RtcServer::room_changed(const std::string& room) {
  for (auto& [sid, c] : conns_) {
    if (c->room() == room) c->room_changed();
  }
}

std::optional<::livekit::ParticipantInfo> RtcServer::info_of(const std::string& sid) const {
  auto c = conns_.find(sid);
  if (c == conns_.end()) return std::nullopt;
  return c->second->info();
}

LkConnection* RtcServer::connection(const std::string& room, const std::string& identity) {
  for (auto& [sid, c] : conns_) {
    if (c->room() == room && c->identity() == identity) return c.get();
  }
  return nullptr;
}

std::vector<::livekit::ParticipantInfo> RtcServer::participants(const std::string& room) const {
  return describe(room, "", true);
}

void RtcServer::remove(LkConnection& c, ::livekit::DisconnectReason reason, const char* by) {
  c.slog().info("livekit: {} ({}) removed from room {} by {} ({})", c.sid(), c.identity(), c.room(),
                by, ::livekit::DisconnectReason_Name(reason));
  c.leave(reason, ::livekit::LeaveRequest::DISCONNECT);
  drop_later(c.sid());
}

std::size_t RtcServer::close_room(const std::string& room, ::livekit::DisconnectReason reason) {
  std::vector<LkConnection*> in;
  for (auto& [sid, c] : conns_) {
    if (c->room() == room) in.push_back(c.get());
  }
  // Other doors' participants (not LiveKit connections, nor LiveKit joins
  // waiting for their upgrade) stay.
  std::size_t others = 0;
  if (const rooms::Room* r = deps_.rooms->find(room); r != nullptr) {
    for (const auto& [sid, p] : r->participants) {
      if (conns_.count(sid) == 0 && !pending_participant(sid)) ++others;
    }
  }
  const char* by = reason == ::livekit::ROOM_DELETED ? "the RoomService" : "its closing";
  for (LkConnection* c : in) remove(*c, reason, by);
  return others;
}

void RtcServer::send_room_update(const std::string& room) {
  const rooms::Room* r = deps_.rooms->find(room);
  if (r == nullptr) return;
  ::livekit::SignalResponse resp;
  *resp.mutable_room_update()->mutable_room() = room_info(*r, cfg_);
  send_to_room(room, resp);
}

void RtcServer::send_server_data(const ::livekit::SendDataRequest& req) {
  const rooms::Room* rm = deps_.rooms->find(req.room());
  if (rm == nullptr) return;
  // As LiveKit's server builds it: no sender, the destinations on both the
  // packet and its user packet, the nonce kept.
  ::livekit::DataPacket dp;
  dp.set_kind(req.kind());
  *dp.mutable_destination_identities() = req.destination_identities();
  ::livekit::UserPacket* u = dp.mutable_user();
  u->set_payload(req.data());
  *u->mutable_destination_sids() = req.destination_sids();
  *u->mutable_destination_identities() = req.destination_identities();
  if (req.has_topic()) u->set_topic(req.topic());
  u->set_nonce(req.nonce());
  const std::string bytes = dp.SerializeAsString();
  const std::span<const uint8_t> packet(reinterpret_cast<const uint8_t*>(bytes.data()),
                                        bytes.size());
  const bool lossy = req.kind() == ::livekit::DataPacket::LOSSY;
  const auto k = static_cast<std::size_t>(lossy ? DataKind::kLossy : DataKind::kReliable);
  DataRoute route;
  route.to_sids.assign(req.destination_sids().begin(), req.destination_sids().end());
  route.to_identities.assign(req.destination_identities().begin(),
                             req.destination_identities().end());
  DataCounters d;
  ++d.in[k].messages;
  d.in[k].bytes += bytes.size();
  for (const auto& [sid, p] : rm->participants) {
    auto c = conns_.find(sid);
    if (c == conns_.end() || !is_recipient(route, sid, c->second->identity())) continue;
    count_send(
        d, k, bytes.size(),
        c->second->session().send_data(lossy ? "_lossy" : "_reliable", true, packet, !lossy));
  }
  room_data_[req.room()] += d;
  data_totals_ += d;
}

void RtcServer::drop_later(const std::string& sid) {
  signalling::run_later(deps_.context, [this, sid] { drop(sid); });
}

void RtcServer::drop(const std::string& sid) {
  auto it = conns_.find(sid);
  if (it == conns_.end()) return;
  const std::string room = it->second->room();
  ::livekit::ParticipantInfo gone = it->second->info();
  const bool hidden = it->second->hidden();
  const bool had_tracks = gone.tracks_size() != 0;
  conns_.erase(it);  // its session leaves the room and the dataplane
  const bool room_left = std::none_of(conns_.begin(), conns_.end(),
                                      [&](const auto& c) { return c.second->room() == room; });
  if (auto d = room_data_.find(room); room_left && d != room_data_.end()) {
    if (!(d->second == DataCounters{})) {
      logger(LogComponent::kLivekit).info("livekit: room {} data: {}", room, to_string(d->second));
    }
    room_data_.erase(d);
  }
  if (auto src = sources_.find(sid); src != sources_.end()) {
    guard_->closed(src->second);
    sources_.erase(src);
  }
  SessionLog(LogComponent::kLivekit, room, sid)
      .info("livekit: {} removed; dataplane flows now {}", sid, deps_.dp->flows());
  gone.set_state(::livekit::ParticipantInfo::DISCONNECTED);
  gone.set_version(gone.version() + 1);
  gone.clear_tracks();
  if (!hidden) broadcast(room, gone);
  if (had_tracks && deps_.on_room_changed) deps_.on_room_changed(room);
}

bool RtcServer::pending_participant(const std::string& sid) const {
  for (const auto& [msg, c] : pending_) {
    if (c && c->sid() == sid) return true;
  }
  return false;
}

std::pair<std::set<std::string>, std::set<std::string>> RtcServer::rooms_and_hidden() const {
  std::set<std::string> rooms, hidden;
  for (const auto& [sid, c] : conns_) {
    rooms.insert(c->room());
    if (c->hidden()) hidden.insert(sid);
  }
  return {rooms, hidden};
}

void RtcServer::send_to_room(const std::string& room, const ::livekit::SignalResponse& r) {
  for (auto& [sid, c] : conns_) {
    if (c->room() == room) c->send(r);
  }
}

gboolean RtcServer::on_speakers_tick(gpointer self) {
  static_cast<RtcServer*>(self)->send_speaker_changes();
  return G_SOURCE_CONTINUE;
}

void RtcServer::send_speaker_changes() {
  const int64_t now = g_get_monotonic_time();
  const auto [rooms, hidden] = rooms_and_hidden();
  for (const std::string& room : rooms) {
    const rooms::Room* r = deps_.rooms->find(room);
    if (r == nullptr) continue;
    // Each participant's loudest audio track (a hidden one is never named).
    std::map<std::string, std::pair<double, bool>> levels;
    for (const rooms::Track& t : r->tracks) {
      if (!t.ready || t.desc.kind != "audio" || hidden.count(t.publisher) != 0) continue;
      const auto [level, active] = deps_.speakers->level(t.ref, now);
      auto& e = levels[t.publisher];
      e.first = std::max(e.first, level);
      e.second = e.second || active;
    }
    const auto changes = deps_.speakers->changes(room, levels);
    if (changes.empty()) continue;
    ::livekit::SignalResponse resp;
    for (const rooms::SpeakerChange& c : changes) {
      ::livekit::SpeakerInfo* s = resp.mutable_speakers_changed()->add_speakers();
      s->set_sid(c.sid);
      s->set_level(c.level);
      s->set_active(c.active);
    }
    send_to_room(room, resp);
  }
  deps_.speakers->sweep(now, {rooms.begin(), rooms.end()});
}

gboolean RtcServer::on_quality_tick(gpointer self) {
  static_cast<RtcServer*>(self)->send_quality();
  return G_SOURCE_CONTINUE;
}

void RtcServer::send_quality() {
  const int64_t now = g_get_monotonic_time();
  const auto [rooms, hidden] = rooms_and_hidden();
  for (const std::string& room : rooms) {
    const rooms::Room* r = deps_.rooms->find(room);
    if (r == nullptr) continue;
    ::livekit::SignalResponse resp;
    for (const auto& [sid, p] : r->participants) {
      double score = 0;
      if (hidden.count(sid) != 0 || !deps_.qualities->score(r->key, p.number, now, score)) continue;
      ::livekit::ConnectionQualityInfo* q = resp.mutable_connection_quality()->add_updates();
      q->set_participant_sid(sid);
      q->set_quality(static_cast<::livekit::ConnectionQuality>(rooms::quality_of(score)));
      q->set_score(static_cast<float>(score));
    }
    if (!resp.has_connection_quality()) continue;
    send_to_room(room, resp);
  }
  deps_.qualities->sweep(now);
}

void RtcServer::relay_data(LkConnection& from, const std::string& label,
                           std::span<const uint8_t> msg) {
  DataCounters& room = room_data_[from.room()];
  DataCounters d;  // this message's counts, added to the room's and the totals
  DataKind kind = DataKind::kReliable;
  bool labelled = true;
  if (label == "_lossy") {
    kind = DataKind::kLossy;
  } else if (label == "_data_track") {
    ++d.data_track;  // data tracks need their own signalling (a later issue)
  } else if (label != "_reliable") {
    labelled = false;  // an app's own channel: relayed as a user packet, reliably
  }
  const auto k = static_cast<std::size_t>(kind);
  ++d.in[k].messages;
  d.in[k].bytes += msg.size();
  DataRoute r;
  bool relay = false;
  if (d.data_track != 0) {
    // not relayed
  } else if (!from.data_within_rate(msg.size())) {
    ++d.rate_limited;
  } else {
    r = labelled ? route_data(msg, kind, from.data_sender(), from.data_state())
                 : wrap_unlabeled(msg, from.data_sender());
    relay = r.drop == DataDrop::kNone;
    if (!relay) ++d.drops[static_cast<std::size_t>(r.drop)];
  }
  const rooms::Room* rm = relay ? deps_.rooms->find(from.room()) : nullptr;
  if (rm != nullptr) {
    const std::span<const uint8_t> packet(reinterpret_cast<const uint8_t*>(r.packet.data()),
                                          r.packet.size());
    const char* out_label = kind == DataKind::kReliable ? "_reliable" : "_lossy";
    for (const auto& [sid, p] : rm->participants) {
      if (sid == from.sid()) continue;
      auto c = conns_.find(sid);  // other doors' participants have no data channels
      if (c == conns_.end() || !is_recipient(r, sid, c->second->identity())) continue;
      // Reliable packets wait for a receiver's channel that is not open yet.
      count_send(
          d, k, packet.size(),
          c->second->session().send_data(out_label, true, packet, kind == DataKind::kReliable));
    }
  }
  room += d;
  data_totals_ += d;
}

gboolean RtcServer::on_data_log_tick(gpointer self) {
  auto* s = static_cast<RtcServer*>(self);
  if (!(s->data_totals_ == s->data_logged_)) {
    logger(LogComponent::kLivekit)
        .info("stats: livekit data since start: {}", to_string(s->data_totals_));
    const sctp::Stack::Stats t = sctp::Stack::stats();
    logger(LogComponent::kLivekit)
        .info(
            "stats: sctp since start: {} packets in, {} out ({} data chunks); retransmitted {} "
            "(fast {}, {} timeouts marking {}); timeouts: heartbeat {}, sack {}; {} duplicate data "
            "chunks in; {} window probes",
            t.packets_in, t.packets_out, t.data_chunks_out, t.retransmitted, t.fast_retransmitted,
            t.t3_timeouts, t.marked_for_retransmission, t.heartbeat_timeouts, t.sack_timeouts,
            t.duplicate_data_in, t.window_probes);
    s->data_logged_ = s->data_totals_;
  }
  // An association with chunks in flight and no progress since the last
  // look (nothing acknowledged, nothing more sent) is named: a receiver that
  // stopped reading, or a path that lost its packets.
  std::map<std::string, Progress> seen;
  for (const auto& [sid, c] : s->conns_) {
    const session::DataLink* l = c->session().data_link();
    if (l == nullptr) continue;
    const sctp::Association::Status st = l->status();
    if (!st.ok || st.unacked_chunks == 0) continue;
    const Progress now{st.unacked_chunks, l->counters().messages_out};
    seen[sid] = now;
    auto before = s->sctp_seen_.find(sid);
    const bool stuck = before != s->sctp_seen_.end() && before->second == now;
    const auto level = stuck ? spdlog::level::info : spdlog::level::debug;
    c->slog().log(level,
                  "stats: sctp toward {}: {} chunks unacknowledged{}, peer window {} B, cwnd {} B, "
                  "srtt {} ms, rto {} ms; {} datagrams to it dropped by its socket since start",
                  sid, st.unacked_chunks, stuck ? " and no progress for 10 s" : "", st.peer_rwnd,
                  st.cwnd, st.srtt_ms, st.rto_ms, c->session().datagrams_dropped());
  }
  s->sctp_seen_ = std::move(seen);
  return G_SOURCE_CONTINUE;
}

}  // namespace edgesfu::sp::livekit
