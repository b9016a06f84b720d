#include "slowpath/session/participant_session.hpp"

#include <fmt/ranges.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

#include "slowpath/ice/sockaddr.hpp"

namespace edgesfu::sp::session {

namespace {

constexpr int64_t kHandshakeTimeoutUs = 30'000'000;  // ICE + DTLS must finish in 30 s

uint32_t random_u32() {
  uint32_t v = 0;
  while (v == 0) {
    // The CSPRNG failing is not something to continue past.
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) std::abort();
  }
  return v;
}

// The m-line that carries the transport (BUNDLE: the first one in use).
const sdp::Media* transport_mline(const sdp::Session& offer) {
  for (const auto& m : offer.media) {
    if (m.port != 0 && sdp::in_use(offer, m)) return &m;
  }
  return nullptr;
}

}  // namespace

ParticipantSession::ParticipantSession() : media_(random_u32) {}

Result<std::unique_ptr<ParticipantSession>> ParticipantSession::create(const std::string& room,
                                                                       const std::string& identity,
                                                                       const Grants& grants,
                                                                       const SessionDeps& deps,
                                                                       OnEnded on_ended) {
  std::unique_ptr<ParticipantSession> s(new ParticipantSession());
  s->room_ = room;
  s->grants_ = grants;
  if (grants.data_channels) s->media_.accept_data_channels(kDataMaxMessage);
  s->deps_ = deps;
  s->on_ended_ = std::move(on_ended);
  s->sid_ = rooms::new_id("PA_");
  s->started_us_ = g_get_monotonic_time();
  if (const rooms::Room* r = deps.rooms->find(room);
      r != nullptr && r->settings.max_participants != 0 &&
      r->participants.size() >= r->settings.max_participants) {
    return make_error(ErrorCode::kUnavailable, "the room is full (its max_participants " +
                                                   std::to_string(r->settings.max_participants) +
                                                   ")");
  }
  if (deps.admission != nullptr) {
    const rooms::Room* r = deps.rooms->find(room);
    auto ticket = deps.admission->admit(identity, r != nullptr ? r->participants.size() : 0);
    if (!ticket) return ticket.error();
    s->ticket_ = std::move(ticket).value();
  }
  ice::AgentParams ip;
  ip.context = deps.context;
  ip.local_address = deps.local_address;
  ip.advertised_address = deps.advertised_address;
  ip.port_min = deps.port_min;
  ip.port_max = deps.port_max;
  auto agent = ice::LiteAgent::create(ip);
  if (!agent) return make_error(ErrorCode::kUnavailable, agent.error().message);
  s->ice_ = std::move(agent).value();
  ParticipantSession* self = s.get();
  s->ice_->on_data([self](std::span<const uint8_t> d) { self->on_ice_data(d); });
  s->ice_->on_selected([self](const ice::SelectedPair&) { self->maybe_install(); });
  // The workers let this port's STUN (for our ufrag) and DTLS (from the
  // addresses that pass checks) through to the agent; the rest they drop.
  if (deps.dp != nullptr) {
    deps.dp->open_port(s->ice_->local_port(), s->ice_->credentials().first);
    s->ice_->on_validated([self](const dp::pkt::IpAddr& remote, uint16_t remote_port) {
      self->deps_.dp->port_validated(self->ice_->local_port(), remote, remote_port);
    });
  }
  s->timer_ = g_timeout_source_new(100);
  g_source_set_callback(s->timer_, &ParticipantSession::on_timer, self, nullptr);
  g_source_attach(s->timer_, deps.context);
  rooms::Participant p;
  p.sid = s->sid_;
  p.identity = identity;
  p.dependent = grants.dependent;
  s->room_key_ = deps.rooms->join(room, p, g_get_monotonic_time()).key;
  // Capacity before the answer: a participant slot on the room's worker.
  if (deps.dp != nullptr) {
    if (auto rc = deps.dp->reserve_participant(s->room_key_); !rc) return rc.error();
    s->reserved_ = true;
  }
  if (deps.metrics != nullptr) {
    ++deps.metrics->started;
    s->counted_ = true;
  }
  return s;
}

ParticipantSession::~ParticipantSession() {
  if (counted_) ++deps_.metrics->ended;
  if (timer_ != nullptr) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
  }
  // Removing the participant removes its tracks (with every downtrack of
  // them) and its own downtracks on the lcore.
  if (installed_) (void)deps_.dp->remove_participant(participant_);
  if (reserved_) deps_.dp->release_participant(room_key_);
  if (deps_.dp != nullptr && ice_) deps_.dp->close_port(ice_->local_port());
  if (data_) {
    const DataLink::Counters& c = data_->counters();
    slog().info(
        "session {}: data channels: {} messages ({} bytes) in, {} ({} bytes) out; {} refused "
        "for a full send buffer",
        sid_, c.messages_in, c.bytes_in, c.messages_out, c.bytes_out, c.send_buffer_full);
  }
  if (backlog_) {
    const DataBacklog::Counters& b = backlog_->counters();
    slog().info(
        "session {}: data held until a channel opened: {} messages, {} handed over, {} expired, "
        "{} refused (backlog full), {} never delivered",
        sid_, b.held, b.released, b.expired, b.overflow, backlog_->messages());
  }
  data_.reset();  // its ABORT goes out through dtls_
  if (deps_.rooms != nullptr) deps_.rooms->leave(room_, sid_, g_get_monotonic_time());
}

std::vector<SourceTrack> ParticipantSession::wanted() const {
  std::vector<SourceTrack> out;
  if (!grants_.can_subscribe) return out;
  // The msid stream is "<participant>|<track>", as LiveKit's SDKs read it
  // (the publisher is taken from it); WHEP players ignore it.
  for (const rooms::Track* t : deps_.rooms->wanted(room_, sid_))
    out.push_back({t->sid, t->publisher + "|" + t->sid, t->desc});
  return out;
}

sdp::LocalTransport ParticipantSession::local() const {
  const auto [ufrag, pwd] = ice_->credentials();
  return sdp::LocalTransport{ufrag, pwd, ice_->candidates(), deps_.cert->fingerprint()};
}

Status ParticipantSession::start_transport(const sdp::Session& offer) {
  const sdp::Media* first = transport_mline(offer);
  if (first == nullptr)
    return make_error(ErrorCode::kInvalidArgument, "the offer has no m-line in use");
  const std::string& ufrag = sdp::ice_ufrag(offer, *first);
  const std::string& pwd = sdp::ice_pwd(offer, *first);
  const std::string& fp = first->fingerprint.empty() ? offer.fingerprint : first->fingerprint;
  if (dtls_) {
    // Renegotiation on the live transport: the same ICE and DTLS peer.
    if (ufrag != remote_ufrag_ || pwd != remote_pwd_) {
      return make_error(ErrorCode::kUnsupported,
                        "ICE restart (new ice-ufrag/ice-pwd) is not supported");
    }
    if (fp != remote_fingerprint_) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the DTLS fingerprint changed on a live transport");
    }
    return ok_status();
  }
  if (auto rc = ice_->set_remote(ufrag, pwd); !rc)
    return make_error(ErrorCode::kInvalidArgument, rc.error().message);
  ParticipantSession* self = this;
  auto tr =
      dtls::Transport::create(deps_.cert, dtls::Role::kServer, fp,
                              [self](std::span<const uint8_t> d) { (void)self->ice_->send(d); });
  if (!tr) return tr.error();
  dtls_ = std::move(tr).value();
  dtls_->on_app_data([self](std::span<const uint8_t> d) {
    if (self->data_) self->data_->input(d);
  });
  remote_ufrag_ = ufrag;
  remote_pwd_ = pwd;
  remote_fingerprint_ = fp;
  return ok_status();
}

Result<std::string> ParticipantSession::on_remote_offer(const sdp::Session& offer,
                                                        Changes& changes) {
  if (ended_) return make_error(ErrorCode::kConflict, "the session has ended");
  // Validate the whole offer before anything starts.
  if (auto s = sdp::check_transport(offer); !s) return s.error();
  // A live transport is checked first (no ICE restart, the same DTLS peer);
  // a new one starts only once the offer has been answered.
  if (dtls_) {
    if (auto s = start_transport(offer); !s) return s.error();
  }
  // Without canPublish nothing the participant sends is taken: its sending
  // m-lines are answered as if it only received (RFC 3264 §6.1).
  sdp::Session masked;
  const sdp::Session* use = &offer;
  if (!grants_.can_publish) {
    masked = offer;
    for (sdp::Media& m : masked.media) {
      if (m.direction == sdp::Direction::kSendRecv) m.direction = sdp::Direction::kRecvOnly;
      if (m.direction == sdp::Direction::kSendOnly) m.direction = sdp::Direction::kInactive;
    }
    use = &masked;
  }
  auto ans = media_.answer_offer(*use, local(), wanted(), changes);
  if (!ans) return ans.error();
  if (!dtls_) {
    if (auto s = start_transport(offer); !s) return s.error();
  }
  apply(changes);
  return sdp::write(ans.value());
}

Result<std::string> ParticipantSession::make_offer(Changes& changes) {
  if (ended_) return make_error(ErrorCode::kConflict, "the session has ended");
  auto off = media_.create_offer(local(), wanted(), changes);
  if (!off) return off.error();
  apply(changes);
  return sdp::write(off.value());
}

Status ParticipantSession::on_remote_answer(const sdp::Session& answer, Changes& changes) {
  if (ended_) return make_error(ErrorCode::kConflict, "the session has ended");
  if (dtls_) {
    if (auto s = start_transport(answer); !s) return s;
  }
  if (auto s = media_.apply_answer(answer, changes); !s) return s;
  if (!dtls_) {
    if (auto s = start_transport(answer); !s) return s;
  }
  apply(changes);
  return ok_status();
}

void ParticipantSession::apply(const Changes& c) {
  if (c.data_closed) data_.reset();
  if (c.data_opened) maybe_start_data();
  bool room_changed_tracks = false;
  for (const Subscription& s : c.unsubscribed) {
    auto it = downtracks_.find(s.mid);
    if (it == downtracks_.end()) continue;
    (void)deps_.dp->remove_downtrack(it->second.ref);
    downtracks_.erase(it);
  }
  for (const Publication& p : c.unpublished) room_changed_tracks |= unpublish(p.mid);
  for (const Publication& p : c.published) {
    rooms::Track t;
    // A sid the front door gave this track already (LiveKit's add_track, by
    // the msid track id of its m-line), else a new one.
    const std::string msid_track = p.track.msid.substr(p.track.msid.find(' ') + 1);
    if (auto named = named_tracks_.find(msid_track);
        !p.track.msid.empty() && named != named_tracks_.end()) {
      t.sid = named->second;
      named_tracks_.erase(named);
    } else {
      t.sid = rooms::new_id("TR_");
    }
    t.publisher = sid_;
    t.desc = p.track;
    track_sids_[p.mid] = t.sid;
    if (p.track.rids.empty()) {
      slog().info("session {}: publishes {} {} (mid {}, SSRC {})", sid_, p.track.kind, t.sid, p.mid,
                  p.track.ssrc);
    } else {
      slog().info("session {}: publishes {} {} (mid {}, simulcast {})", sid_, p.track.kind, t.sid,
                  p.mid, fmt::join(p.track.rids, "/"));
    }
    deps_.rooms->add_track(room_, std::move(t));
    room_changed_tracks = true;
  }
  if (installed_) {
    install_tracks();
    room_changed();
  }
  if (room_changed_tracks && deps_.on_room_changed) deps_.on_room_changed(room_);
}

namespace {

// The fast path looks for keyframes (simulcast switches) in these.
dp::pkt::VideoCodec video_codec(const std::string& name) {
  auto is = [&](const char* n) {
    return std::equal(name.begin(), name.end(), n, n + std::strlen(n), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) ==
             std::tolower(static_cast<unsigned char>(b));
    });
  };
  if (is("VP8")) return dp::pkt::VideoCodec::kVp8;
  if (is("H264")) return dp::pkt::VideoCodec::kH264;
  return dp::pkt::VideoCodec::kOther;
}

}  // namespace

void ParticipantSession::install_tracks() {
  for (const Publication& p : media_.publications()) {
    if (tracks_.count(p.mid) != 0) continue;
    auto sid = track_sids_.find(p.mid);
    if (sid == track_sids_.end()) continue;
    TrackParams tp;
    tp.id = next_track_id_++;
    tp.ssrc = p.track.ssrc;
    tp.clock_rate = p.track.codec.clock_rate;
    tp.kind =
        p.track.kind == "video" ? dp::control::MediaKind::kVideo : dp::control::MediaKind::kAudio;
    tp.rtx_ssrc = p.track.rtx_ssrc;
    tp.codec = video_codec(p.track.codec.name);
    tp.twcc_ext = p.track.twcc_ext;
    tp.mid_ext = p.track.mid_ext;
    tp.rid_ext = p.track.rid_ext;
    tp.rrid_ext = p.track.rrid_ext;
    tp.audio_level_ext = p.track.audio_level_ext;
    tp.mid = p.mid;
    tp.rids = p.track.rids;
    auto ref = deps_.dp->add_track(participant_, tp);
    if (!ref) {
      slog().warn("session {}: track {}: {}", sid_, sid->second, ref.error().message);
      continue;
    }
    tracks_[p.mid] = ref.value();
    deps_.rooms->track_ready(room_, sid->second, ref.value());
  }
}

bool ParticipantSession::unpublish(const std::string& mid) {
  auto sid = track_sids_.find(mid);
  if (sid == track_sids_.end()) return false;
  if (auto t = tracks_.find(mid); t != tracks_.end()) {
    // Its downtracks, on every subscriber, go with it.
    (void)deps_.dp->remove_track(t->second);
    tracks_.erase(t);
  }
  deps_.rooms->remove_track(room_, sid->second);
  slog().info("session {}: track {} (mid {}) unpublished", sid_, sid->second, mid);
  track_sids_.erase(sid);
  return true;
}

std::vector<std::string> ParticipantSession::set_grants(const Grants& g) {
  grants_.can_subscribe = g.can_subscribe;
  grants_.can_publish = g.can_publish;
  std::vector<std::string> gone;
  if (!g.can_publish) {
    const auto published = track_sids_;  // unpublish() erases from it
    for (const auto& [mid, sid] : published) {
      if (unpublish(mid)) gone.push_back(sid);
    }
  }
  room_changed();
  if (!gone.empty() && deps_.on_room_changed) deps_.on_room_changed(room_);
  return gone;
}

void ParticipantSession::room_changed() {
  if (!installed_ || ended_) return;
  std::set<std::string> want;
  for (const SourceTrack& t : wanted()) want.insert(t.sid);
  // Sources that went away took their downtracks with them in the dataplane
  // (DpControl removes a track's downtracks with the track): let go of ours.
  // Sources this participant no longer receives (unsubscribed, or its
  // canSubscribe revoked) are paused: the m-line stays, silent, and resumes
  // with no sequence gap when they are wanted again.
  for (auto it = downtracks_.begin(); it != downtracks_.end();) {
    const rooms::Track* src = deps_.rooms->track(room_, it->second.source);
    if (src == nullptr || !src->ready) {
      it = downtracks_.erase(it);
      continue;
    }
    const bool wanted_now = want.count(it->second.source) != 0;
    if (wanted_now == it->second.paused &&
        deps_.dp->pause_downtrack(it->second.ref, !wanted_now).ok()) {
      it->second.paused = !wanted_now;
      if (wanted_now) (void)deps_.dp->request_keyframe(src->ref);
      slog().info("session {}: {} {} on mid {}", sid_,
                  wanted_now ? "receives again" : "no longer receives", it->second.source,
                  it->first);
    }
    ++it;
  }
  for (const Subscription& s : media_.subscriptions()) {
    if (downtracks_.count(s.mid) != 0 || want.count(s.source) == 0) continue;
    const rooms::Track* src = deps_.rooms->track(room_, s.source);
    if (src == nullptr || !src->ready) continue;  // not yet (or no longer) in the dataplane
    DowntrackParams dp;
    dp.ssrc = s.track.ssrc;
    dp.rtx_ssrc = s.track.rtx_ssrc;
    dp.rtx_pt = s.track.rtx_pt;
    dp.pt_map = s.track.pt_map;
    dp.ext_map = s.track.ext_map;
    dp.first_seq = static_cast<uint16_t>(random_u32());
    dp.first_ts = random_u32();
    auto ref = deps_.dp->add_downtrack(src->ref, participant_, dp);
    if (!ref) {
      slog().warn("session {}: downtrack for {}: {}", sid_, src->sid, ref.error().message);
      continue;
    }
    downtracks_[s.mid] = Attached{src->sid, ref.value(), false};
    // A new subscriber needs a keyframe to start decoding.
    (void)deps_.dp->request_keyframe(src->ref);
    slog().info("session {}: receives {} ({}) on mid {}", sid_, src->sid, src->desc.kind, s.mid);
  }
}

void ParticipantSession::on_ice_data(std::span<const uint8_t> d) {
  if (d.empty() || !dtls_) return;
  // RFC 7983: DTLS records start with 20-63. RTP/RTCP that reached the kernel
  // before the fast path owned the flow is dropped here.
  if (d[0] >= 20 && d[0] <= 63) {
    if (dtls_first_us_ == 0) dtls_first_us_ = g_get_monotonic_time();
    const bool was_connected = dtls_->connected();
    if (auto s = dtls_->on_datagram(d); !s) slog().warn("session {}: {}", sid_, s.error().message);
    if (dtls_->failed()) {
      end(dtls_->closed_by_peer() ? "the peer closed DTLS" : "DTLS failed");
      return;
    }
    if (!was_connected && dtls_->connected() && deps_.metrics != nullptr) {
      deps_.metrics->dtls_handshake.observe(
          static_cast<double>(g_get_monotonic_time() - dtls_first_us_) / 1e6);
    }
    maybe_install();
    maybe_start_data();
  }
}

void ParticipantSession::maybe_start_data() {
  if (data_ || ended_ || !dtls_ || !dtls_->connected() || !media_.data()) return;
  DataLinkOptions o;
  o.remote_port = media_.data()->sctp_port;
  o.dtls_server = true;  // we answer passive, or offer actpass and refuse passive answers
  o.max_message = kDataMaxMessage;
  o.send_buffer = deps_.data_send_buffer;
  ParticipantSession* self = this;
  auto link = DataLink::create(
      o, deps_.context,
      [self](std::span<const uint8_t> p) {
        if (self->dtls_ && self->dtls_->connected()) (void)self->dtls_->send_app_data(p);
      },
      [self](const sctp::Channel& ch, bool binary, std::span<const uint8_t> msg) {
        if (self->on_data_) self->on_data_(ch, binary, msg);
      },
      [self](const sctp::Channel& ch) { self->on_channel_open(ch); });
  if (!link) {
    slog().warn("session {}: data channels: {}", sid_, link.error().message);
    return;
  }
  data_ = std::move(link).value();
}

sctp::SendResult ParticipantSession::send_data(const std::string& label, bool binary,
                                               std::span<const uint8_t> msg, bool hold) {
  if (data_ && data_->channels().find(label) != nullptr) return data_->send(label, binary, msg);
  // Not open yet. Worth waiting for while nothing is negotiated yet, or when
  // the negotiation has a data section: the channel opens once DTLS and
  // SCTP are up (an answer without one leaves the backlog to expire).
  if (!hold || ended_ || (!media_.mlines().empty() && !media_.data())) {
    return sctp::SendResult::kNotConnected;
  }
  if (!backlog_) {
    DataBacklog::Limits l;
    l.max_bytes = deps_.data_send_buffer;
    backlog_ = std::make_unique<DataBacklog>(l);
  }
  const int64_t now_ms = g_get_monotonic_time() / 1000;
  return backlog_->hold(label, binary, msg, now_ms) ? sctp::SendResult::kHeld
                                                    : sctp::SendResult::kBufferFull;
}

void ParticipantSession::on_channel_open(const sctp::Channel& c) {
  if (!backlog_ || backlog_->messages() == 0) return;
  const int64_t now_ms = g_get_monotonic_time() / 1000;
  backlog_->release(c.label, now_ms, [this, &c](bool binary, std::span<const uint8_t> msg) {
    (void)data_->send(c.label, binary, msg);  // counted by the link
  });
}

gboolean ParticipantSession::on_timer(gpointer p) {
  auto* self = static_cast<ParticipantSession*>(p);
  if (!self->installed_ && !self->ended_) {
    if (self->dtls_) (void)self->dtls_->on_timer();
    if (self->dtls_ && self->dtls_->failed()) {
      self->end("DTLS failed");
    } else if (g_get_monotonic_time() - self->started_us_ > kHandshakeTimeoutUs) {
      self->end("ICE/DTLS did not complete within 30 s");
    } else if (self->deps_.admission != nullptr && self->ice_->counters().checks_answered == 0 &&
               g_get_monotonic_time() - self->started_us_ >
                   int64_t{self->deps_.admission->limits().first_check_timeout_ms} * 1000) {
      self->end("no valid ICE check within " +
                std::to_string(self->deps_.admission->limits().first_check_timeout_ms) + " ms");
    }
  }
  return G_SOURCE_CONTINUE;
}

void ParticipantSession::maybe_install() {
  if (installed_ || ended_ || !dtls_ || !ice_->selected() || !dtls_->connected()) return;
  auto keys = dtls_->srtp();
  if (!keys) {
    end(keys.error().message);
    return;
  }
  const ice::SelectedPair& pair = ice_->pair();
  const rooms::Room* room = deps_.rooms->find(room_);
  const rooms::Participant* me = room != nullptr ? deps_.rooms->participant(room_, sid_) : nullptr;
  if (me == nullptr) {
    end("room closed");
    return;
  }
  ParticipantParams pp;
  pp.room = room->key;
  pp.id = me->number;
  pp.remote = pair.remote;
  pp.remote_port = pair.remote_port;
  pp.local_port = pair.local_port;
  pp.rx_keys = keys->remote;
  pp.tx_keys = keys->local;
  pp.feedback_ssrc = random_u32();
  pp.reserved = reserved_;
  auto part = deps_.dp->add_participant(pp);
  if (!part) {
    end("dataplane: " + part.error().message);
    return;
  }
  participant_ = part.value();
  installed_ = true;
  if (deps_.metrics != nullptr) {
    ++deps_.metrics->connected;
    deps_.metrics->connect.observe(static_cast<double>(g_get_monotonic_time() - started_us_) / 1e6);
  }
  reserved_ = false;  // the reservation became the participant
  ticket_.release();  // connected: no longer counts as connecting
  if (deps_.rooms != nullptr) deps_.rooms->activate(room_, sid_);  // before its tracks
  install_tracks();
  room_changed();
  slog().info(
      "session {} in {}: fast path owns the flow {}:{} -> :{}, {} tracks, {} downtracks (ICE: {} "
      "checks answered)",
      sid_, room_, ice::ip_text(pair.remote), pair.remote_port, pair.local_port, tracks_.size(),
      downtracks_.size(), ice_->counters().checks_answered);
  if (!tracks_.empty() && deps_.on_room_changed) deps_.on_room_changed(room_);
}

void ParticipantSession::end(const std::string& why) {
  if (ended_) return;
  ended_ = true;
  slog().info("session {} ends: {}", sid_, why);
  if (on_ended_) on_ended_(sid_, why);
}

}  // namespace edgesfu::sp::session
