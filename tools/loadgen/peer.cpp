#include "tools/loadgen/peer.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/demux.hpp"
#include "dataplane/pkt/rtp.hpp"
#include "tools/loadgen/garbage.hpp"
#include "tools/loadgen/marker.hpp"
#include "tools/loadgen/rtp_build.hpp"

namespace edgesfu::loadgen {

namespace sdp = sp::sdp;

namespace {

constexpr uint8_t kOpusPt = 111;
constexpr uint8_t kVp8Pt = 96;
constexpr uint64_t kConnectTimeoutNs = 20'000'000'000;
constexpr uint64_t kAudioFrameNs = OpusLoop::kFrameMs * 1'000'000ull;
constexpr uint64_t kVideoFrameNs = 1'000'000'000ull / 30;
constexpr std::size_t kVideoMaxPayload = 1100;
constexpr std::size_t kBuf = 1600;

const std::string& setup_of(const sdp::Session& s, const sdp::Media& m) {
  return m.setup.empty() ? s.setup : m.setup;
}
const std::string& fingerprint_of(const sdp::Session& s, const sdp::Media& m) {
  return m.fingerprint.empty() ? s.fingerprint : m.fingerprint;
}

const sdp::Codec* find_codec(const sdp::Media& m, const char* name) {
  for (const auto& c : m.codecs) {
    if (g_ascii_strcasecmp(c.name.c_str(), name) == 0) return &c;
  }
  return nullptr;
}

}  // namespace

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

Result<std::unique_ptr<Peer>> Peer::create(const PeerParams& p) {
  if (p.context == nullptr || p.cert == nullptr || p.totals == nullptr) {
    return make_error("loadgen: peer needs a context, a certificate and totals");
  }
  std::unique_ptr<Peer> peer(new Peer());
  peer->p_ = p;
  peer->rng_ = p.seed;
  peer->created_ns_ = now_ns();
  return peer;
}

Peer::~Peer() {
  if (installed_) p_.media->remove(p_.session_id);
  if (srtp_tx_ != nullptr) srtp_dealloc(srtp_tx_);
  if (srtp_rx_ != nullptr) srtp_dealloc(srtp_rx_);
  dtls_.reset();
  ice_.reset();
}

Status Peer::make_agent(bool controlling) {
  if (ice_) return make_error("loadgen: session already negotiated");
  sp::ice::AgentParams ap;
  ap.context = p_.context;
  ap.local_address = p_.local_address;
  ap.controlling = controlling;
  auto a = sp::ice::Agent::create(ap);
  if (!a) return a.error();
  ice_ = std::move(a.value());
  if (auto g = ice_->gather(); !g) return g.error();
  ice_->on_data([this](std::span<const uint8_t> d) { on_data(d); });
  ice_->on_selected([this](const sp::ice::SelectedPair&) {
    if (auto s = start_dtls_client(); !s) fail(s.error().message);
  });
  ice_->on_failed([this] { fail("ICE failed (no candidate pair answered)"); });
  return ok_status();
}

void Peer::fill_transport(sdp::Session&, sdp::Media& m, const std::string& setup) const {
  const auto [ufrag, pwd] = ice_->credentials();
  m.ice_ufrag = ufrag;
  m.ice_pwd = pwd;
  m.candidates = ice_->candidates();
  m.end_of_candidates = true;
  m.fingerprint_alg = "sha-256";
  m.fingerprint = p_.cert->fingerprint();
  m.setup = setup;
  m.rtcp_mux = true;
  m.proto = "UDP/TLS/RTP/SAVPF";
}

namespace {

sdp::Media media(const char* kind, const std::string& mid, sdp::Direction dir, sdp::Codec codec) {
  sdp::Media m;
  m.kind = kind;
  m.mid = mid;
  m.direction = dir;
  m.fmts = {std::to_string(codec.pt)};
  m.codecs.push_back(std::move(codec));
  return m;
}

sdp::Media opus_media(const std::string& mid, sdp::Direction dir) {
  return media("audio", mid, dir,
               {kOpusPt, "opus", OpusLoop::kClockRate, 2, "minptime=10;useinbandfec=1", {}});
}

sdp::Media vp8_media(const std::string& mid, sdp::Direction dir) {
  return media("video", mid, dir, {kVp8Pt, "VP8", 90000, 0, "", {"nack", "nack pli", "ccm fir"}});
}

}  // namespace

Result<std::string> Peer::publish_offer() {
  if (auto s = make_agent(true); !s) return s.error();
  sdp::Session s;
  s.origin = "- " + std::to_string(splitmix64(rng_) >> 2) + " 2 IN IP4 127.0.0.1";
  const std::string stream = "loadgen-" + std::to_string(p_.publisher_id);
  auto add = [&](sdp::Media m, bool video) {
    SendTrack t;
    t.video = video;
    t.mid = m.mid;
    t.pt = video ? kVp8Pt : kOpusPt;
    t.ssrc = static_cast<uint32_t>(splitmix64(rng_)) | 1;
    t.seq = static_cast<uint16_t>(splitmix64(rng_));
    t.ts0 = static_cast<uint32_t>(splitmix64(rng_));
    m.ssrc_attrs.push_back({t.ssrc, "cname:" + stream});
    m.msid = stream + " " + (video ? "video" : "audio");
    fill_transport(s, m, "actpass");
    s.bundle.push_back(m.mid);
    s.media.push_back(std::move(m));
    send_.push_back(t);
  };
  add(opus_media("0", sdp::Direction::kSendOnly), false);
  if (p_.video_kbps > 0) add(vp8_media("1", sdp::Direction::kSendOnly), true);
  return sdp::write(s);
}

Result<std::string> Peer::subscribe_offer(int n_audio, int n_video) {
  if (n_audio + n_video <= 0) return make_error("loadgen: a subscriber needs at least one track");
  if (auto s = make_agent(true); !s) return s.error();
  sdp::Session s;
  s.origin = "- " + std::to_string(splitmix64(rng_) >> 2) + " 2 IN IP4 127.0.0.1";
  for (int i = 0; i < n_audio + n_video; ++i) {
    const std::string mid = std::to_string(i);
    sdp::Media m = i < n_audio ? opus_media(mid, sdp::Direction::kRecvOnly)
                               : vp8_media(mid, sdp::Direction::kRecvOnly);
    fill_transport(s, m, "actpass");
    s.bundle.push_back(mid);
    s.media.push_back(std::move(m));
  }
  return sdp::write(s);
}

Status Peer::start_dtls(const sdp::Session& remote, const std::string& our_setup) {
  if (remote.media.empty()) return make_error("loadgen: the SFU's SDP has no media section");
  const sdp::Media& m0 = remote.media.front();
  const std::string& their = setup_of(remote, m0);
  // RFC 5763 §5: the answerer picks; "active" is the DTLS client.
  if (our_setup == "actpass") {
    if (their == "active") {
      dtls_client_ = false;
    } else if (their == "passive" || their.empty()) {
      dtls_client_ = true;
    } else {
      return make_error("loadgen: the answer says a=setup:" + their);
    }
  } else {
    dtls_client_ = our_setup == "active";
  }
  const std::string& fp = fingerprint_of(remote, m0);
  if (fp.empty()) return make_error("loadgen: the SFU's SDP has no a=fingerprint");
  auto t = sp::dtls::Transport::create(
      p_.cert, dtls_client_ ? sp::dtls::Role::kClient : sp::dtls::Role::kServer, fp,
      [this](std::span<const uint8_t> d) {
        if (ice_ && !ice_->send(d)) ++p_.totals->send_errors;
      });
  if (!t) return t.error();
  dtls_ = std::move(t.value());
  remote_ufrag_ = sdp::ice_ufrag(remote, m0);
  remote_pwd_ = sdp::ice_pwd(remote, m0);
  if (auto s = ice_->set_remote(remote_ufrag_, remote_pwd_, m0.candidates); !s) return s.error();
  // The pair may be up already (a subscriber whose SFU started checks early).
  if (ice_->selected()) return start_dtls_client();
  return ok_status();
}

Status Peer::start_dtls_client() {
  // Once: a later change of the selected pair must not restart the handshake.
  if (!dtls_ || !dtls_client_ || dtls_started_) return ok_status();
  dtls_started_ = true;
  return dtls_->start();
}

Status Peer::apply_answer(const std::string& text) {
  if (!ice_) return make_error("loadgen: an answer before our offer");
  auto parsed = sdp::parse(text);
  if (!parsed) return make_error("loadgen: the SFU's answer: " + parsed.error().message);
  const sdp::Session& s = parsed.value();
  if (s.media.empty()) return make_error("loadgen: the SFU's answer has no media section");
  for (const auto& m : s.media) {
    for (const auto& c : m.codecs) clock_rates_.push_back({c.pt, c.clock_rate});
    if (m.port != 0 &&
        (m.direction == sdp::Direction::kSendOnly || m.direction == sdp::Direction::kSendRecv)) {
      ++offered_streams_;
    }
    for (auto& t : send_) {
      if (t.mid != m.mid) continue;
      const sdp::Codec* c = find_codec(m, t.video ? "VP8" : "opus");
      if (c == nullptr || m.port == 0 || m.direction == sdp::Direction::kInactive) {
        return make_error("loadgen: the SFU refused our " +
                          std::string(t.video ? "video" : "audio") + " track");
      }
      t.pt = c->pt;
    }
  }
  return start_dtls(s, "actpass");
}

Result<std::string> Peer::answer_offer(const std::string& text) {
  auto parsed = sdp::parse(text);
  if (!parsed) return make_error("loadgen: the SFU's offer: " + parsed.error().message);
  const sdp::Session& offer = parsed.value();
  if (offer.media.empty()) return make_error("loadgen: the SFU's offer has no media section");
  if (auto s = make_agent(false); !s) return s.error();
  sdp::Session ans;
  ans.origin = "- " + std::to_string(splitmix64(rng_) >> 2) + " 2 IN IP4 127.0.0.1";
  ans.bundle = offer.bundle;
  for (const auto& m : offer.media) {
    sdp::Media a;
    a.kind = m.kind;
    a.mid = m.mid;
    const sdp::Codec* c = m.kind == "audio"   ? find_codec(m, "opus")
                          : m.kind == "video" ? find_codec(m, "VP8")
                                              : nullptr;
    const bool sending =
        m.direction == sdp::Direction::kSendOnly || m.direction == sdp::Direction::kSendRecv;
    if (c != nullptr && m.port != 0 && sending) {
      a.fmts = {std::to_string(c->pt)};
      a.codecs.push_back(*c);
      a.direction = sdp::Direction::kRecvOnly;
      clock_rates_.push_back({c->pt, c->clock_rate});
      ++offered_streams_;
    } else {
      a.port = 0;
      a.fmts = m.fmts;
      a.direction = sdp::Direction::kInactive;
    }
    fill_transport(ans, a, "active");
    a.proto = m.proto;
    ans.media.push_back(std::move(a));
  }
  if (auto s = start_dtls(offer, "active"); !s) return s.error();
  return sdp::write(ans);
}

Status Peer::add_remote_candidates(const std::vector<std::string>& lines) {
  if (!ice_ || remote_ufrag_.empty()) return make_error("loadgen: candidates before the SFU's SDP");
  return ice_->set_remote(remote_ufrag_, remote_pwd_, lines);
}

void Peer::fail(const std::string& why) {
  if (failure_.empty()) failure_ = why;
}

void Peer::on_data(std::span<const uint8_t> d) {
  switch (dp::pkt::classify_udp_payload(d)) {  // RFC 7983, RFC 5761 §4
    case dp::pkt::UdpClass::kDtls:
      if (!dtls_) return;
      if (auto s = dtls_->on_datagram(d); !s) fail("DTLS: " + s.error().message);
      if (dtls_->connected() && !keys_up_ && failure_.empty()) on_dtls_connected();
      return;
    case dp::pkt::UdpClass::kRtp: on_media(d, false); return;
    case dp::pkt::UdpClass::kRtcp: on_media(d, true); return;
    default: ++p_.totals->bad_packets;
  }
}

void Peer::on_dtls_connected() {
  auto mat = dtls_->srtp();
  if (!mat) {
    fail(mat.error().message);
    return;
  }
  const auto profile = mat.value().profile;
  profile_ = profile == dp::srtp::Profile::kAeadAes128Gcm         ? "SRTP_AEAD_AES_128_GCM"
             : profile == dp::srtp::Profile::kAes128CmHmacSha1_80 ? "SRTP_AES128_CM_SHA1_80"
                                                                  : "SRTP_AES128_CM_SHA1_32";
  if (p_.media != nullptr) {
    if (auto st = install_media(mat.value()); !st) return fail(st.error().message);
    keys_up_ = installed_ = true;
    up_ns_ = now_ns();
    if (!send_.empty()) first_media_ns_ = up_ns_;  // the lcore sends from now on
    return;
  }
  auto make = [&](const dp::srtp::Keys& k, bool outbound, srtp_t* out) -> bool {
    srtp_policy_t pol;
    std::memset(&pol, 0, sizeof pol);
    switch (profile) {
      case dp::srtp::Profile::kAes128CmHmacSha1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
        break;
      case dp::srtp::Profile::kAes128CmHmacSha1_32:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);  // RFC 5764 §4.1.2
        break;
      case dp::srtp::Profile::kAeadAes128Gcm:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
        break;
    }
    uint8_t key[32] = {};
    std::memcpy(key, k.master_key.data(), dp::srtp::master_key_len(profile));
    std::memcpy(key + dp::srtp::master_key_len(profile), k.master_salt.data(),
                dp::srtp::master_salt_len(profile));
    pol.key = key;
    pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    pol.window_size = outbound ? 128 : 1024;
    const srtp_err_status_t st = srtp_create(out, &pol);
    if (st != srtp_err_status_ok) {
      fail("srtp_create failed (" + std::to_string(static_cast<int>(st)) + ")");
      *out = nullptr;
      return false;
    }
    return true;
  };
  if (!make(mat.value().local, true, &srtp_tx_) || !make(mat.value().remote, false, &srtp_rx_))
    return;
  keys_up_ = true;
  up_ns_ = now_ns();
  // Spread publishers' frames over the 20 ms so they do not all leave at once.
  for (auto& t : send_) t.next_ns = up_ns_ + splitmix64(rng_) % kAudioFrameNs;
}

Status Peer::install_media(const sp::dtls::SrtpMaterial& mat) {
  if (!ice_ || !ice_->selected()) return make_error("loadgen: DTLS done without a selected pair");
  const auto& pair = ice_->pair();
  MediaSpec m;
  m.session = p_.session_id;
  m.publisher = !send_.empty();
  m.publisher_id = p_.publisher_id;
  m.verify = p_.verify;
  m.local = pair.local;
  m.local_port = pair.local_port;
  m.remote = pair.remote;
  m.remote_port = pair.remote_port;
  m.tx = mat.local;
  m.rx = mat.remote;
  for (const auto& t : send_) m.tracks.push_back({t.video, t.ssrc, t.pt, t.seq, t.ts0});
  m.clock_rates = clock_rates_;
  return p_.media->install(m);
}

void Peer::on_media(std::span<const uint8_t> d, bool rtcp) {
  if (srtp_rx_ == nullptr) return;  // before the keys: dropped, as a browser does
  if (d.size() < 12 || d.size() > kBuf) {
    ++p_.totals->bad_packets;
    return;
  }
  uint8_t buf[kBuf];
  std::memcpy(buf, d.data(), d.size());
  int len = static_cast<int>(d.size());
  if (rtcp) {
    if (srtp_unprotect_rtcp(srtp_rx_, buf, &len) == srtp_err_status_ok) {
      ++p_.totals->rtcp_pkts;
    } else {
      ++p_.totals->srtp_errors;
    }
    return;
  }
  if (srtp_unprotect(srtp_rx_, buf, &len) != srtp_err_status_ok) {
    ++p_.totals->srtp_errors;
    return;
  }
  dp::pkt::RtpHeader h;
  if (dp::pkt::parse_rtp({buf, static_cast<std::size_t>(len)}, h) != dp::pkt::RtpError::kOk) {
    ++p_.totals->bad_packets;
    return;
  }
  const auto m = read_marker({buf + h.header_len, h.payload_len});
  if (!m) {
    ++p_.totals->bad_packets;
    return;
  }
  const uint64_t t = now_ns();
  if (first_media_ns_ == 0) first_media_ns_ = t;
  Totals& tot = *p_.totals;
  ++tot.recv_pkts;
  tot.recv_bytes += static_cast<uint64_t>(len);
  const uint64_t lat = t > m->send_ns ? t - m->send_ns : 0;
  tot.latency.record(lat);
  tot.latency_interval.record(lat);
  uint32_t rate = 0;
  for (const auto& [p, r] : clock_rates_) {
    if (p == h.payload_type) rate = r;
  }
  auto it = std::find_if(streams_.begin(), streams_.end(),
                         [&](const auto& s) { return s.first == h.ssrc; });
  if (it == streams_.end()) {
    streams_.push_back({h.ssrc, StreamReceive{}});
    it = streams_.end() - 1;
    it->second.set_publisher(m->publisher);
  }
  it->second.on_packet(m->number, h.timestamp, rate, t);
}

void Peer::tick(uint64_t now) {
  if (!failure_.empty()) return;
  if (!up()) {
    if (dtls_) {
      if (auto s = dtls_->on_timer(); !s) fail("DTLS: " + s.error().message);
      if (dtls_->failed()) fail("DTLS handshake failed");
    }
    if (now - created_ns_ > kConnectTimeoutNs) {
      fail(std::string("not connected after 20 s (") +
           (ice_ && ice_->selected() ? "ICE up, DTLS did not finish" : "no ICE pair") + ")");
    }
    return;
  }
  if (p_.media != nullptr) return;  // the media path sends
  for (auto& t : send_) {
    // Catch up after a stall, but by no more than 5 frames.
    if (now > t.next_ns + 5 * (t.video ? kVideoFrameNs : kAudioFrameNs)) t.next_ns = now;
    while (now >= t.next_ns) {
      if (t.video) {
        send_video(t, now);
        t.next_ns += kVideoFrameNs;
      } else {
        send_audio(t, now);
        t.next_ns += kAudioFrameNs;
      }
      ++t.frame;
    }
  }
  if (p_.garbage_pps > 0) send_garbage(now);
}

void Peer::send_garbage(uint64_t now) {
  const uint64_t gap = 1'000'000'000ull / static_cast<uint64_t>(p_.garbage_pps);
  if (next_garbage_ns_ == 0 || now > next_garbage_ns_ + 100'000'000) next_garbage_ns_ = now;
  const SendTrack* t = send_.empty() ? nullptr : &send_.front();
  uint8_t buf[kBuf];
  for (; now >= next_garbage_ns_; next_garbage_ns_ += gap) {
    const std::size_t n =
        make_garbage(buf, garbage_n_++, t ? t->ssrc : 0, t ? t->seq : 0, last_sent_, rng_);
    if (n == 0 || !ice_->send({buf, n})) {
      ++p_.totals->send_errors;
      continue;
    }
    ++p_.totals->garbage_sent;
  }
}

void Peer::send_rtp(std::span<uint8_t> buf, std::size_t len) {
  int n = static_cast<int>(len);
  if (buf.size() < len + SRTP_MAX_TRAILER_LEN ||
      srtp_protect(srtp_tx_, buf.data(), &n) != srtp_err_status_ok ||
      !ice_->send({buf.data(), static_cast<std::size_t>(n)})) {
    ++p_.totals->send_errors;
    return;
  }
  if (first_media_ns_ == 0) first_media_ns_ = now_ns();
  if (p_.garbage_pps > 0) last_sent_.assign(buf.begin(), buf.begin() + n);
  ++p_.totals->sent_pkts;
  p_.totals->sent_bytes += static_cast<uint64_t>(n);
}

void Peer::send_audio(SendTrack& t, uint64_t) {
  uint8_t buf[kBuf];
  const auto f = p_.opus->frame(t.frame + p_.publisher_id * 37);
  write_rtp_header(buf, false, t.pt, t.seq++,
                   t.ts0 + static_cast<uint32_t>(t.frame * OpusLoop::kSamplesPerFrame), t.ssrc);
  std::memcpy(buf + 12, f.data(), f.size());
  const int n =
      opus_with_marker({buf + 12, kBuf - 12 - SRTP_MAX_TRAILER_LEN}, static_cast<int>(f.size()),
                       Marker{p_.publisher_id, t.number++, now_ns()});
  if (n < 0) {
    ++p_.totals->send_errors;
    return;
  }
  send_rtp(buf, 12 + static_cast<std::size_t>(n));
}

void Peer::send_video(SendTrack& t, uint64_t) {
  const std::size_t bytes = static_cast<std::size_t>(p_.video_kbps) * 1000 / 8 / 30;
  const auto sizes = vp8_packet_sizes(std::max<std::size_t>(bytes, 64), kVideoMaxPayload);
  const bool key = t.frame % 60 == 0;
  const auto ts = t.ts0 + static_cast<uint32_t>(t.frame * 3000);  // 90 kHz / 30
  uint8_t buf[kBuf];
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::size_t sz = std::max(sizes[i], kMarkerSize + 12);
    write_rtp_header(buf, i + 1 == sizes.size(), t.pt, t.seq++, ts, t.ssrc);
    vp8_payload({buf + 12, sz}, i == 0, key, static_cast<uint32_t>(t.frame));
    write_marker({buf + 12, sz}, Marker{p_.publisher_id, t.number++, now_ns()});
    send_rtp(buf, 12 + sz);
  }
}

}  // namespace edgesfu::loadgen
