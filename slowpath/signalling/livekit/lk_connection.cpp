#include "slowpath/signalling/livekit/lk_connection.hpp"

#include <google/protobuf/util/json_util.h>
#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "base/printable.hpp"
#include "slowpath/sdp/sdp.hpp"
#include "slowpath/signalling/livekit/lk_info.hpp"
#include "slowpath/signalling/livekit/rtc_server.hpp"
#include "slowpath/signalling/livekit/signal_codec.hpp"

namespace edgesfu::sp::livekit {

namespace {
constexpr int32_t kPingIntervalS = 5;  // never 0: the Rust SDK's interval panics
constexpr int32_t kPingTimeoutS = 15;
constexpr int64_t kReofferRetryUs = 2'000'000;
}  // namespace

LkConnection::LkConnection(RtcServer& server, const auth::Claims& claims,
                           ::livekit::JoinRequest join)
    : server_(server), claims_(claims), join_(std::move(join)) {
  name_ = claims.name;
  metadata_ = !join_.metadata().empty() ? join_.metadata() : claims.metadata;
  attributes_ = claims.attributes;
  for (const auto& [k, v] : join_.participant_attributes()) attributes_[k] = v;
  joined_at_ = g_get_real_time() / 1000000;
}

Result<std::unique_ptr<LkConnection>> LkConnection::create(RtcServer& server,
                                                           const session::SessionDeps& deps,
                                                           const auth::Claims& claims,
                                                           ::livekit::JoinRequest join) {
  std::unique_ptr<LkConnection> c(new LkConnection(server, claims, std::move(join)));
  session::Grants grants;
  grants.can_publish = claims.video.can_publish;
  grants.can_subscribe = claims.video.can_subscribe;
  grants.data_channels = true;
  grants.dependent = claims.kind == "agent";
  LkConnection* self = c.get();
  auto s = session::ParticipantSession::create(
      claims.video.room, claims.identity, grants, deps,
      [self](const std::string&, const std::string& why) { self->end(why); });
  if (!s) return s.error();
  c->session_ = std::move(s).value();
  c->session_->on_data(
      [self](const sctp::Channel& ch, bool /*binary*/, std::span<const uint8_t> msg) {
        self->server_.relay_data(*self, ch.label, msg);
      });
  c->data_sender_ = DataSender{c->session_->sid(), claims.identity, claims.video.can_publish_data,
                               claims.video.hidden, claims.video.agent || claims.kind == "agent"};
  const config::DataConfig& dc = server.config().data;
  const auto now_us = static_cast<uint64_t>(g_get_monotonic_time());
  // A second's worth may come at once (a burst), then the rate.
  c->data_messages_ =
      dp::punt::TokenBucket(dc.max_messages_per_s, dc.max_messages_per_s, 1'000'000, now_us);
  c->data_bytes_ = dp::punt::TokenBucket(dc.max_kbytes_per_s * 1024, dc.max_kbytes_per_s * 1024,
                                         1'000'000, now_us);
  return c;
}

bool LkConnection::data_within_rate(std::size_t bytes) {
  const auto now_us = static_cast<uint64_t>(g_get_monotonic_time());
  const auto n = static_cast<uint32_t>(std::min<std::size_t>(bytes, UINT32_MAX));
  if (data_bytes_.tokens(now_us) < n || data_messages_.tokens(now_us) == 0) return false;
  return data_bytes_.take(now_us, n) && data_messages_.take(now_us);
}

LkConnection::~LkConnection() {
  if (timer_ != nullptr) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
  }
  if (ws_ != nullptr) {
    g_signal_handler_disconnect(ws_, sig_message_);
    g_signal_handler_disconnect(ws_, sig_closed_);
    if (soup_websocket_connection_get_state(ws_) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_close(ws_, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    }
    g_object_unref(ws_);
  }
}

void LkConnection::attach(SoupWebsocketConnection* ws) {
  ws_ = ws;
  g_object_ref(ws_);
  soup_websocket_connection_set_max_incoming_payload_size(ws_, kMaxSignalFrame);
  soup_websocket_connection_set_keepalive_interval(ws_, 10);
  sig_message_ = g_signal_connect(ws_, "message", G_CALLBACK(&LkConnection::on_message), this);
  sig_closed_ = g_signal_connect(ws_, "closed", G_CALLBACK(&LkConnection::on_closed), this);
  // Once a second: a re-offer request that got no offer is sent again.
  timer_ = g_timeout_source_new(1000);
  g_source_set_callback(
      timer_,
      [](gpointer p) -> gboolean {
        static_cast<LkConnection*>(p)->ask_for_reoffer(false);
        return G_SOURCE_CONTINUE;
      },
      this, nullptr);
  g_source_attach(timer_, g_main_context_get_thread_default());
  ::livekit::SignalResponse r;
  *r.mutable_join() = join_response();
  send(r);
  slog().info("livekit: {} ({}) joined room {} as {}", sid(), printable(identity()), room(),
              join_.client_info().sdk() == ::livekit::ClientInfo::JS ? "js" : "sdk");
  if (join_.has_publisher_offer()) on_offer(join_.publisher_offer());
}

void LkConnection::send(const ::livekit::SignalResponse& r) {
  if (ws_ == nullptr || soup_websocket_connection_get_state(ws_) != SOUP_WEBSOCKET_STATE_OPEN) {
    return;
  }
  if (json_) {
    std::string text;
    if (google::protobuf::util::MessageToJsonString(r, &text).ok()) {
      soup_websocket_connection_send_text(ws_, text.c_str());
    }
    return;
  }
  const std::string b = encode_signal(r);
  soup_websocket_connection_send_binary(ws_, b.data(), b.size());
}

void LkConnection::leave(::livekit::DisconnectReason reason,
                         ::livekit::LeaveRequest::Action action) {
  ::livekit::SignalResponse r;
  r.mutable_leave()->set_reason(reason);
  r.mutable_leave()->set_action(action);
  r.mutable_leave()->set_can_reconnect(action != ::livekit::LeaveRequest::DISCONNECT);
  send(r);
  if (ws_ != nullptr && soup_websocket_connection_get_state(ws_) == SOUP_WEBSOCKET_STATE_OPEN) {
    soup_websocket_connection_close(ws_, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
  }
}

void LkConnection::on_message(SoupWebsocketConnection*, int type, GBytes* message, gpointer p) {
  auto* self = static_cast<LkConnection*>(p);
  gsize n = 0;
  const auto* d = static_cast<const uint8_t*>(g_bytes_get_data(message, &n));
  Result<::livekit::SignalRequest> r =
      type == SOUP_WEBSOCKET_DATA_TEXT ? decode_signal_json({reinterpret_cast<const char*>(d), n})
                                       : decode_signal({d, n});
  if (type == SOUP_WEBSOCKET_DATA_TEXT) self->json_ = true;
  if (!r) {
    // A bad frame is refused and counted in the log; the session goes on.
    self->slog().warn("livekit: {}: {}", self->sid(), r.error().message);
    return;
  }
  self->handle(r.value());
}

void LkConnection::on_closed(SoupWebsocketConnection*, gpointer p) {
  static_cast<LkConnection*>(p)->end("signalling connection closed");
}

void LkConnection::end(const std::string& why) {
  if (ended_) return;
  ended_ = true;
  slog().info("livekit: {} leaves room {}: {}", sid(), room(), why);
  server_.drop_later(sid());
}

void LkConnection::handle(const ::livekit::SignalRequest& r) {
  using R = ::livekit::SignalRequest;
  switch (r.message_case()) {
    case R::kOffer: on_offer(r.offer()); break;
    case R::kAnswer:
      // The single-PC mode never has a server offer to answer.
      slog().warn("livekit: {}: an answer without an offer of ours, ignored", sid());
      break;
    case R::kTrickle: break;  // ICE-lite: the peer's address comes with its checks
    case R::kAddTrack: on_add_track(r.add_track()); break;
    case R::kMute: on_mute(r.mute()); break;
    case R::kLeave: end("the client left"); break;
    case R::kPing: {
      ::livekit::SignalResponse out;
      out.set_pong(r.ping());
      send(out);
      break;
    }
    case R::kPingReq: {
      ::livekit::SignalResponse out;
      out.mutable_pong_resp()->set_last_ping_timestamp(r.ping_req().timestamp());
      out.mutable_pong_resp()->set_timestamp(g_get_real_time() / 1000);
      send(out);
      break;
    }
    case R::kUpdateMetadata: on_update_metadata(r.update_metadata()); break;
    case R::kSubscription:
    case R::kTrackSetting:
    case R::kSubscriptionPermission:
    case R::kUpdateAudioTrack:
    case R::kUpdateVideoTrack:
      break;  // accepted; every track is forwarded at its best (a later issue)
    default:
      slog().debug("livekit: {}: a request this server does not handle (field {})", sid(),
                   static_cast<int>(r.message_case()));
      break;
  }
}

void LkConnection::on_offer(const ::livekit::SessionDescription& offer) {
  reoffer_asked_ = false;
  auto parsed = sdp::parse(offer.sdp());
  ::livekit::SignalResponse out;
  auto* a = out.mutable_answer();
  a->set_type("answer");
  a->set_id(offer.id());
  if (!parsed) {
    slog().warn("livekit: {}: malformed offer: {}", sid(), parsed.error().message);
    end("malformed SDP offer: " + parsed.error().message);
    return;
  }
  session::Changes changes;
  auto answer = session_->on_remote_offer(parsed.value(), changes);
  if (!answer) {
    slog().warn("livekit: {}: offer refused: {}", sid(), answer.error().message);
    end("offer refused: " + answer.error().message);
    return;
  }
  // What we send on which receive m-line: the SDKs resolve the track from it.
  for (const session::Subscription& s : session_->media().subscriptions()) {
    (*a->mutable_mid_to_track_id())[s.mid] = s.source;
  }
  a->set_sdp(answer.value());
  // Tracks the offer published: their m-lines' mids in the TrackInfo.
  bool mine_changed = false;
  for (const session::Publication& p : changes.published) {
    const std::string sid_of = session_->track_sid(p.mid);
    auto t = tracks_.find(sid_of);
    if (t == tracks_.end()) {
      // Published without add_track (not what the SDKs do): described from the SDP.
      ::livekit::TrackInfo info;
      info.set_sid(sid_of);
      info.set_type(p.track.kind == "video" ? ::livekit::VIDEO : ::livekit::AUDIO);
      t = tracks_.emplace(sid_of, info).first;
    }
    t->second.set_mid(p.mid);
    t->second.set_mime_type(p.track.kind + "/" + p.track.codec.name);
    mine_changed = true;
  }
  for (const session::Publication& p : changes.unpublished) {
    for (auto it = tracks_.begin(); it != tracks_.end();) {
      it = it->second.mid() == p.mid ? tracks_.erase(it) : std::next(it);
    }
    mine_changed = true;
  }
  send(out);
  if (mine_changed) changed();
  // What the room still wants us to carry, if this offer did not take it all.
  ask_for_reoffer(true);
}

bool LkConnection::may_publish(::livekit::TrackSource source) const {
  if (!claims_.video.can_publish) return false;
  if (!claims_.video.sources_limited) return true;
  return std::any_of(claims_.video.can_publish_sources.begin(),
                     claims_.video.can_publish_sources.end(),
                     [&](const std::string& n) { return source_from_grant(n) == source; });
}

void LkConnection::on_add_track(const ::livekit::AddTrackRequest& req) {
  auto refuse = [&](::livekit::RequestResponse::Reason reason, const char* why) {
    ::livekit::SignalResponse out;
    auto* rr = out.mutable_request_response();
    rr->set_reason(reason);
    rr->set_message(why);
    *rr->mutable_add_track() = req;
    send(out);
    slog().info("livekit: {}: add_track {} refused: {}", sid(), printable(req.cid()), why);
  };
  if (!may_publish(req.source())) {
    // The server enforces the grant, not only the client: no TrackInfo, and
    // an m-line with this cid will be refused by the session (no canPublish)
    // or never get a sid of ours.
    refuse(::livekit::RequestResponse::NOT_ALLOWED,
           "the token does not allow publishing this source");
    return;
  }
  // Announced and published tracks together: a client cannot grow our state
  // (or everyone's ParticipantInfo) without bound.
  if (tracks_.size() >= kMaxTracks) {
    refuse(::livekit::RequestResponse::LIMIT_EXCEEDED, "too many tracks (at most 32)");
    return;
  }
  ::livekit::TrackInfo info;
  info.set_sid(rooms::new_id("TR_"));
  info.set_type(req.type());
  info.set_name(req.name());
  info.set_source(req.source());
  info.set_muted(req.muted());
  info.set_width(req.width());
  info.set_height(req.height());
  info.set_disable_dtx(req.disable_dtx());
  info.set_stereo(req.stereo());
  info.set_disable_red(req.disable_red());
  info.set_stream(req.stream());
  *info.mutable_layers() = req.layers();
  info.set_simulcast(req.layers_size() > 1);
  *info.mutable_audio_features() = req.audio_features();
  session_->name_track(req.cid(), info.sid());
  tracks_[info.sid()] = info;
  ::livekit::SignalResponse out;
  out.mutable_track_published()->set_cid(req.cid());
  *out.mutable_track_published()->mutable_track() = info;
  send(out);
}

void LkConnection::on_mute(const ::livekit::MuteTrackRequest& req) {
  auto t = tracks_.find(req.sid());
  if (t == tracks_.end()) return;
  t->second.set_muted(req.muted());
  changed();
}

void LkConnection::on_update_metadata(const ::livekit::UpdateParticipantMetadata& req) {
  ::livekit::SignalResponse out;
  auto* rr = out.mutable_request_response();
  rr->set_request_id(req.request_id());
  *rr->mutable_update_metadata() = req;
  if (!claims_.video.can_update_own_metadata) {
    rr->set_reason(::livekit::RequestResponse::NOT_ALLOWED);
    rr->set_message("the token does not grant canUpdateOwnMetadata");
    send(out);
    return;
  }
  set_details(req.name(), req.metadata(), req.attributes());
  rr->set_reason(::livekit::RequestResponse::OK);
  send(out);
  changed();
}

const ::livekit::TrackInfo* LkConnection::admin_mute(const std::string& track_sid, bool muted) {
  // The client mutes its own track and tells us (LiveKit sends this first,
  // whatever the track).
  ::livekit::SignalResponse r;
  r.mutable_mute()->set_sid(track_sid);
  r.mutable_mute()->set_muted(muted);
  send(r);
  auto t = tracks_.find(track_sid);
  if (t == tracks_.end() || t->second.mid().empty()) return nullptr;
  if (t->second.muted() != muted) {
    t->second.set_muted(muted);
    changed();
  }
  return &t->second;
}

namespace {

const char* grant_name(::livekit::TrackSource s) {
  switch (s) {
    case ::livekit::CAMERA: return "camera";
    case ::livekit::MICROPHONE: return "microphone";
    case ::livekit::SCREEN_SHARE: return "screen_share";
    case ::livekit::SCREEN_SHARE_AUDIO: return "screen_share_audio";
    default: return "unknown";
  }
}

}  // namespace

void LkConnection::admin_update(const ::livekit::UpdateParticipantRequest& req) {
  set_details(req.name(), req.metadata(), req.attributes());
  if (req.has_permission()) {
    // LiveKit replaces the whole grant: what the request leaves out is false.
    const ::livekit::ParticipantPermission& p = req.permission();
    auth::VideoGrant& v = claims_.video;
    v.can_subscribe = p.can_subscribe();
    v.can_publish = p.can_publish();
    v.can_publish_data = p.can_publish_data();
    v.can_update_own_metadata = p.can_update_metadata();
    v.sources_limited = p.can_publish_sources_size() != 0;
    v.can_publish_sources.clear();
    for (int i = 0; i < p.can_publish_sources_size(); ++i) {
      v.can_publish_sources.emplace_back(
          grant_name(static_cast<::livekit::TrackSource>(p.can_publish_sources(i))));
    }
    data_sender_.can_publish_data = v.can_publish_data;
    session::Grants g;
    g.can_publish = v.can_publish;
    g.can_subscribe = v.can_subscribe;
    g.data_channels = true;
    for (const std::string& gone : session_->set_grants(g)) {
      tracks_.erase(gone);
      ::livekit::SignalResponse r;
      r.mutable_track_unpublished()->set_track_sid(gone);
      send(r);
    }
    if (!v.can_publish) {
      // Announced, not yet published: nothing of it may appear later.
      for (auto it = tracks_.begin(); it != tracks_.end();) {
        it = it->second.mid().empty() ? tracks_.erase(it) : std::next(it);
      }
    }
  }
  changed();
  // A canSubscribe given back: what the room has for it comes again (a
  // re-offer asked for when m-lines are missing).
  if (req.has_permission()) room_changed();
}

void LkConnection::set_details(const std::string& name, const std::string& metadata,
                               const google::protobuf::Map<std::string, std::string>& attributes) {
  // As LiveKit's server: "" leaves the name and metadata, and deletes an
  // attribute.
  if (!name.empty()) name_ = name;
  if (!metadata.empty()) metadata_ = metadata;
  for (const auto& [k, v] : attributes) {
    if (v.empty()) {
      attributes_.erase(k);
    } else {
      attributes_[k] = v;
    }
  }
}

void LkConnection::changed() {
  ++version_;
  if (hidden()) {
    ::livekit::SignalResponse r;
    *r.mutable_update()->add_participants() = info();
    send(r);
    return;
  }
  server_.broadcast(room(), info());
}

::livekit::ParticipantPermission LkConnection::permission() const {
  ::livekit::ParticipantPermission p;
  p.set_can_subscribe(claims_.video.can_subscribe);
  p.set_can_publish(claims_.video.can_publish);
  p.set_can_publish_data(claims_.video.can_publish_data);
  p.set_can_update_metadata(claims_.video.can_update_own_metadata);
  p.set_hidden(claims_.video.hidden);
  p.set_agent(claims_.video.agent);
  for (const std::string& n : claims_.video.can_publish_sources) {
    p.add_can_publish_sources(source_from_grant(n));
  }
  return p;
}

::livekit::ParticipantInfo LkConnection::info() const {
  ::livekit::ParticipantInfo i;
  i.set_sid(sid());
  i.set_identity(identity());
  i.set_name(name_);
  i.set_metadata(metadata_);
  for (const auto& [k, v] : attributes_) (*i.mutable_attributes())[k] = v;
  i.set_state(session_->installed() ? ::livekit::ParticipantInfo::ACTIVE
                                    : ::livekit::ParticipantInfo::JOINED);
  i.set_version(version_);
  *i.mutable_permission() = permission();
  i.set_joined_at(joined_at_);
  i.set_joined_at_ms(joined_at_ * 1000);
  i.set_kind(claims_.kind == "agent" ? ::livekit::ParticipantInfo::AGENT
                                     : ::livekit::ParticipantInfo::STANDARD);
  i.set_client_protocol(join_.client_info().client_protocol());
  // Only what an offer really published (a sid the room knows).
  for (const auto& [tsid, t] : tracks_) {
    if (!t.mid().empty()) *i.add_tracks() = t;
  }
  i.set_is_publisher(i.tracks_size() != 0);
  return i;
}

::livekit::JoinResponse LkConnection::join_response() const {
  ::livekit::JoinResponse j;
  if (const rooms::Room* r = server_.rooms().find(room()); r != nullptr) {
    *j.mutable_room() = room_info(*r, server_.config());
  }
  *j.mutable_participant() = info();
  for (auto& o : server_.others(room(), sid())) *j.add_other_participants() = std::move(o);
  j.set_server_version(kServerVersion);
  auto* si = j.mutable_server_info();
  si->set_edition(::livekit::ServerInfo::Standard);
  si->set_version(kServerVersion);
  si->set_protocol(kProtocol);
  si->set_node_id("edgesfu");
  j.set_subscriber_primary(false);  // one PeerConnection, the client's
  // As LiveKit (room.go: CanPublish() && no ICE fallback): a publisher's SDK
  // queues its renegotiations behind the answer it waits for, instead of
  // re-offering on a 150 ms debounce. rtc-node up to 1.1.0 (rust-sdks before
  // 3ad3b8f6) deadlocks its signal task when a debounced re-offer overlaps
  // an answer in flight, and then never sends its LeaveRequest.
  j.set_fast_publish(claims_.video.can_publish);
  j.mutable_client_configuration()->set_resume_connection(::livekit::DISABLED);
  j.set_ping_interval(kPingIntervalS);
  j.set_ping_timeout(kPingTimeoutS);
  return j;
}

void LkConnection::room_changed() {
  const rooms::Room* r = server_.rooms().find(room());
  if (r == nullptr || !claims_.video.can_subscribe) return;
  // Tell the participant who publishes what before any answer carries it
  // (LIVEKIT-SDKS.md §3.6: the other order loses the track).
  ::livekit::SignalResponse up;
  for (auto& o : server_.others(room(), sid())) *up.mutable_update()->add_participants() = o;
  if (up.update().participants_size() != 0) send(up);
  session_->room_changed();
  ask_for_reoffer(false);
}

void LkConnection::ask_for_reoffer(bool after_offer) {
  // Tracks the room wants this participant to receive that no m-line
  // carries yet: the client is asked to re-offer, with as many more receive
  // m-lines as its free ones fall short (the server never offers in v1).
  const rooms::Room* r = server_.rooms().find(room());
  if (r == nullptr || !claims_.video.can_subscribe || ws_ == nullptr) return;
  std::set<std::string> subscribed, missing;
  for (const session::Subscription& s : session_->media().subscriptions())
    subscribed.insert(s.source);
  uint32_t want_audio = 0, want_video = 0;
  const auto me = r->participants.find(sid());
  for (const rooms::Track& t : r->tracks) {
    if (t.publisher == sid() || !t.ready || subscribed.count(t.sid) != 0) continue;
    if (me != r->participants.end() && me->second.unsubscribed.count(t.sid) != 0) continue;
    missing.insert(t.sid);
    (t.desc.kind == "video" ? want_video : want_audio) += 1;
  }
  // One request at a time; one that met no offer within kReofferRetryUs is
  // sent again (an SDK may drop it while it negotiates something else).
  const int64_t now = g_get_monotonic_time();
  if (missing.empty() || (reoffer_asked_ && now - asked_at_us_ < kReofferRetryUs)) return;
  // Receive m-lines another track may take in the next answer (never used,
  // or quiet in the last one), and those that will be after it (still
  // sending a track that left: answered inactive next time). Only when
  // both fall short are new m-lines asked for; when only the first does,
  // the re-offer makes the second kind usable and the client is asked again.
  std::set<std::string> present;
  for (const rooms::Track& t : r->tracks) present.insert(t.sid);
  uint32_t free_audio = 0, free_video = 0, usable = 0;
  for (const session::MLine& m : session_->media().mlines()) {
    if (m.rejected || m.published) continue;
    const bool next = !m.sending && (m.carried.empty() || m.quiet);
    const bool later = m.sending && present.count(m.sending->source) == 0;
    if (!next && !later) continue;
    usable += next ? 1u : 0u;
    if (m.kind == "audio") ++free_audio;
    if (m.kind == "video") ++free_video;  // the data section is neither
  }
  // A re-offer that placed none of what we asked for: wait for the room to
  // change rather than ask in a loop, unless it made m-lines usable.
  if (after_offer && missing == asked_for_ && usable <= asked_usable_) return;
  ::livekit::SignalResponse req;
  auto* need = req.mutable_media_sections_requirement();
  need->set_num_audios(want_audio > free_audio ? want_audio - free_audio : 0);
  need->set_num_videos(want_video > free_video ? want_video - free_video : 0);
  reoffer_asked_ = true;
  asked_at_us_ = now;
  asked_for_ = missing;
  asked_usable_ = usable;
  slog().debug("livekit: {}: {} tracks wait for a receive m-line: re-offer with {}+{} more", sid(),
               missing.size(), need->num_audios(), need->num_videos());
  send(req);
}

}  // namespace edgesfu::sp::livekit
