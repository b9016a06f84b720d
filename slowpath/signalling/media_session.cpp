#include "slowpath/signalling/media_session.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

namespace edgesfu::sp::signalling {

namespace {

constexpr int64_t kHandshakeTimeoutUs = 30'000'000;  // ICE + DTLS must finish in 30 s

uint32_t random_u32() {
  uint32_t v = 0;
  while (v == 0) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) std::abort();
  }
  return v;
}
uint32_t next_ssrc(void*) { return random_u32(); }

}  // namespace

std::unique_ptr<MediaSession> MediaSession::create(Kind kind, const std::string& room,
                                                   const std::string& identity,
                                                   const sdp::Session& offer, const SessionDeps& deps,
                                                   OnEnded on_ended, std::string& answer,
                                                   sdp::NegotiationError& err) {
  std::unique_ptr<MediaSession> s(new MediaSession());
  s->kind_ = kind;
  s->room_ = room;
  s->deps_ = deps;
  s->on_ended_ = std::move(on_ended);
  s->participant_sid_ = rooms::new_id("PA_");
  s->started_us_ = g_get_monotonic_time();

  ice::AgentParams ip;
  ip.context = deps.context;
  ip.local_address = deps.local_address;
  ip.advertised_address = deps.advertised_address;
  ip.port_min = deps.port_min;
  ip.port_max = deps.port_max;
  auto agent = ice::LiteAgent::create(ip);
  if (!agent) {
    err = {503, agent.error().message};
    return nullptr;
  }
  s->ice_ = std::move(agent).value();
  // The first audio/video m-line carries the transport (BUNDLE).
  const sdp::Media* first = nullptr;
  for (const auto& m : offer.media) {
    if (m.port != 0 && (m.kind == "audio" || m.kind == "video")) {
      first = &m;
      break;
    }
  }
  if (first == nullptr) {
    err = {400, "the offer has no audio or video m-line"};
    return nullptr;
  }
  const auto [ufrag, pwd] = s->ice_->credentials();
  sdp::LocalTransport local{ufrag, pwd, s->ice_->candidates(), deps.cert->fingerprint()};
  sdp::Session ans;
  if (kind == Kind::kPublish) {
    sdp::PublishAnswer pa;
    if (!sdp::answer_publish(offer, local, pa, err)) return nullptr;
    s->published_ = std::move(pa.tracks);
    ans = std::move(pa.answer);
  } else {
    const rooms::Room* r = deps.rooms->find(room);
    if (r == nullptr || r->tracks.empty()) {
      // The documented limit: a WHEP session gets the tracks published when it
      // is answered (no renegotiation later), so an empty room is refused.
      err = {409, "nothing is published in room '" + room + "' yet; retry once a publisher has joined"};
      return nullptr;
    }
    std::vector<sdp::PublishedTrack> available;
    if (r != nullptr) {
      for (const auto& t : r->tracks) {
        s->sources_.push_back(t.sid);
        available.push_back(t.desc);
      }
    }
    sdp::SubscribeAnswer sa;
    if (!sdp::answer_subscribe(offer, local, available, next_ssrc, nullptr, sa, err)) return nullptr;
    s->subscribed_ = std::move(sa.tracks);
    s->attached_.assign(s->subscribed_.size(), false);
    ans = std::move(sa.answer);
  }
  const std::string peer_fp = first->fingerprint.empty() ? offer.fingerprint : first->fingerprint;
  if (auto rc = s->ice_->set_remote(sdp::ice_ufrag(offer, *first), sdp::ice_pwd(offer, *first)); !rc) {
    err = {400, rc.error().message};
    return nullptr;
  }
  MediaSession* self = s.get();
  auto tr = dtls::Transport::create(deps.cert, dtls::Role::kServer, peer_fp,
                                    [self](std::span<const uint8_t> d) { (void)self->ice_->send(d); });
  if (!tr) {
    err = {500, tr.error().message};
    return nullptr;
  }
  s->dtls_ = std::move(tr).value();
  s->ice_->on_data([self](std::span<const uint8_t> d) { self->on_ice_data(d); });
  s->ice_->on_selected([self](const ice::SelectedPair&) { self->maybe_install(); });
  s->timer_ = g_timeout_source_new(100);
  g_source_set_callback(s->timer_, &MediaSession::on_timer, self, nullptr);
  g_source_attach(s->timer_, deps.context);

  rooms::Participant p;
  p.sid = s->participant_sid_;
  p.identity = identity;
  p.publisher = kind == Kind::kPublish;
  deps.rooms->join(room, p, g_get_monotonic_time());
  // Published tracks are in the room from the answer on, so that a subscriber
  // arriving before the publisher's handshake completes is answered with them.
  for (const auto& t : s->published_) {
    rooms::Track rt;
    rt.sid = rooms::new_id("TR_");
    rt.publisher = s->participant_sid_;
    rt.desc = t;
    s->track_sids_.push_back(rt.sid);
    deps.rooms->add_track(room, std::move(rt));
  }
  answer = sdp::write(ans);
  return s;
}

void MediaSession::on_ice_data(std::span<const uint8_t> d) {
  if (d.empty()) return;
  // RFC 7983: DTLS records start with 20-63. RTP/RTCP that reached the kernel
  // before the fast path owned the flow is dropped here.
  if (d[0] >= 20 && d[0] <= 63) {
    if (auto s = dtls_->on_datagram(d); !s) {
      spdlog::warn("session {}: {}", participant_sid_, s.error().message);
    }
    if (dtls_->failed()) {
      end("DTLS failed");
      return;
    }
    maybe_install();
  }
}

gboolean MediaSession::on_timer(gpointer p) {
  auto* self = static_cast<MediaSession*>(p);
  if (!self->installed_) {
    (void)self->dtls_->on_timer();
    if (self->dtls_->failed()) {
      self->end("DTLS failed");
    } else if (g_get_monotonic_time() - self->started_us_ > kHandshakeTimeoutUs) {
      self->end("ICE/DTLS did not complete within 30 s");
    }
  }
  return G_SOURCE_CONTINUE;
}

void MediaSession::maybe_install() {
  if (installed_ || ended_ || !ice_->selected() || !dtls_->connected()) return;
  auto keys = dtls_->srtp();
  if (!keys) {
    end(keys.error().message);
    return;
  }
  const ice::SelectedPair& pair = ice_->pair();
  rooms::Room* room = deps_.rooms->find(room_);
  if (room == nullptr) {
    end("room closed");
    return;
  }
  ParticipantParams pp;
  pp.room = room->key;
  pp.id = static_cast<uint32_t>(room->key);
  pp.remote = pair.remote;
  pp.remote_port = pair.remote_port;
  pp.local_port = pair.local_port;
  pp.rx_keys = keys->remote;
  pp.tx_keys = keys->local;
  pp.feedback_ssrc = random_u32();
  auto part = deps_.dp->add_participant(pp);
  if (!part) {
    end("dataplane: " + part.error().message);
    return;
  }
  participant_ = part.value();
  installed_ = true;
  if (kind_ == Kind::kPublish) {
    for (std::size_t i = 0; i < published_.size(); ++i) {
      const auto& t = published_[i];
      TrackParams tp;
      tp.ssrc = t.ssrc;
      tp.clock_rate = t.codec.clock_rate;
      tp.kind = t.kind == "video" ? dp::control::MediaKind::kVideo : dp::control::MediaKind::kAudio;
      auto ref = deps_.dp->add_track(participant_, tp);
      if (!ref) {
        spdlog::warn("session {}: track {}: {}", participant_sid_, t.mid, ref.error().message);
        continue;
      }
      tracks_.push_back(ref.value());
      deps_.rooms->track_ready(room_, track_sids_[i], ref.value());
    }
    if (deps_.on_tracks_ready) deps_.on_tracks_ready(room_);
  } else {
    attach_ready_tracks();
  }
  spdlog::info("session {} ({} in {}): fast path owns the flow, {} tracks, {} downtracks",
               participant_sid_, kind_ == Kind::kPublish ? "publisher" : "subscriber", room_,
               tracks_.size(), downtracks_.size());
}

void MediaSession::attach_ready_tracks() {
  if (!installed_ || kind_ != Kind::kSubscribe) return;
  for (std::size_t i = 0; i < subscribed_.size(); ++i) {
    if (attached_[i]) continue;
    const auto& st = subscribed_[i];
    const rooms::Track* src = deps_.rooms->track(room_, sources_[st.source]);
    if (src == nullptr || !src->ready) continue;  // not yet (or no longer) in the dataplane
    DowntrackParams dp;
    dp.ssrc = st.ssrc;
    dp.rtx_ssrc = st.rtx_ssrc;
    dp.rtx_pt = st.rtx_pt;
    dp.pt_map = st.pt_map;
    dp.ext_map = st.ext_map;
    dp.first_seq = static_cast<uint16_t>(random_u32());
    dp.first_ts = random_u32();
    auto ref = deps_.dp->add_downtrack(src->ref, participant_, dp);
    if (!ref) {
      spdlog::warn("session {}: downtrack for {}: {}", participant_sid_, src->sid, ref.error().message);
      continue;
    }
    attached_[i] = true;
    downtracks_.push_back(ref.value());
    // A new subscriber needs a keyframe to start decoding.
    (void)deps_.dp->request_keyframe(src->ref);
    spdlog::info("session {}: receives {} ({})", participant_sid_, src->sid, src->desc.kind);
  }
}

void MediaSession::end(const std::string& why) {
  if (ended_) return;
  ended_ = true;
  spdlog::info("session {} ends: {}", participant_sid_, why);
  if (on_ended_) on_ended_(participant_sid_, why);
}

MediaSession::~MediaSession() {
  if (timer_ != nullptr) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
  }
  if (installed_) {
    // Removing the participant removes its tracks and downtracks on the lcore.
    (void)deps_.dp->remove_participant(participant_);
  }
  if (deps_.rooms != nullptr) deps_.rooms->leave(room_, participant_sid_, g_get_monotonic_time());
}

}  // namespace edgesfu::sp::signalling
