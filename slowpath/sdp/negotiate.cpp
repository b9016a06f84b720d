#include "slowpath/sdp/negotiate.hpp"

#include <algorithm>
#include <cctype>

namespace edgesfu::sp::sdp {

namespace {

// Header extensions the fast path forwards (IDs are remapped per subscriber).
const char* const kForwardedExtensions[] = {
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "urn:ietf:params:rtp-hdrext:sdes:mid",
};
const char* const kFeedback[] = {"nack", "nack pli", "ccm fir", "transport-cc", "goog-remb"};

bool iequal(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// "a=1;b=2" -> value of `key`, or "".
std::string fmtp_param(const std::string& fmtp, const std::string& key) {
  std::size_t i = 0;
  while (i < fmtp.size()) {
    std::size_t j = fmtp.find(';', i);
    if (j == std::string::npos) j = fmtp.size();
    std::string kv = fmtp.substr(i, j - i);
    while (!kv.empty() && kv.front() == ' ') kv.erase(0, 1);
    const auto eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == key) return kv.substr(eq + 1);
    i = j + 1;
  }
  return {};
}

int rtx_for(const Media& m, uint8_t pt) {
  for (const Codec& c : m.codecs) {
    if (iequal(c.name, "rtx") && fmtp_param(c.fmtp, "apt") == std::to_string(pt)) return c.pt;
  }
  return -1;
}

// The first offered codec (in m-line order) we accept for this kind.
const Codec* pick(const Media& m) {
  auto in_order = [&](auto pred) -> const Codec* {
    for (const std::string& f : m.fmts) {
      for (const Codec& c : m.codecs) {
        if (std::to_string(c.pt) == f && pred(c)) return &c;
      }
    }
    return nullptr;
  };
  if (m.kind == "audio") {
    return in_order([](const Codec& c) { return iequal(c.name, "opus") && c.clock_rate == 48000; });
  }
  if (m.kind == "video") {
    if (const Codec* vp8 = in_order([](const Codec& c) { return iequal(c.name, "VP8"); })) return vp8;
    return in_order([](const Codec& c) {
      return iequal(c.name, "H264") && fmtp_param(c.fmtp, "packetization-mode") == "1";
    });
  }
  return nullptr;
}

NegotiatedCodec negotiated(const Media& m, const Codec& c) {
  NegotiatedCodec n;
  n.pt = c.pt;
  n.name = c.name;
  n.clock_rate = c.clock_rate;
  n.channels = c.channels;
  n.fmtp = c.fmtp;
  for (const auto& fb : c.rtcp_fb) {
    if (std::find(std::begin(kFeedback), std::end(kFeedback), fb) != std::end(kFeedback)) n.rtcp_fb.push_back(fb);
  }
  n.rtx_pt = m.kind == "video" ? rtx_for(m, c.pt) : -1;
  return n;
}

void add_codec(Media& am, const NegotiatedCodec& c, int rtx_pt) {
  am.fmts.push_back(std::to_string(c.pt));
  Codec out;
  out.pt = c.pt;
  out.name = c.name;
  out.clock_rate = c.clock_rate;
  out.channels = c.channels;
  out.fmtp = c.fmtp;
  out.rtcp_fb = c.rtcp_fb;
  am.codecs.push_back(out);
  if (rtx_pt >= 0) {
    Codec rtx;
    rtx.pt = static_cast<uint8_t>(rtx_pt);
    rtx.name = "rtx";
    rtx.clock_rate = c.clock_rate;
    rtx.fmtp = "apt=" + std::to_string(c.pt);
    am.fmts.push_back(std::to_string(rtx_pt));
    am.codecs.push_back(rtx);
  }
}

// Checks the transport attributes every BUNDLE'd WebRTC offer carries.
bool check_transport(const Session& offer, NegotiationError& err) {
  if (offer.media.empty()) {
    err = {400, "the offer has no media section"};
    return false;
  }
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const Media& m = offer.media[i];
    if (!in_use(offer, m)) continue;
    const std::string at = "m-line " + std::to_string(i) + " (mid " + m.mid + "): ";
    if (ice_ufrag(offer, m).empty() || ice_pwd(offer, m).empty()) {
      err = {400, at + "no ice-ufrag/ice-pwd"};
      return false;
    }
    const std::string& fp = m.fingerprint.empty() ? offer.fingerprint : m.fingerprint;
    const std::string& alg = m.fingerprint.empty() ? offer.fingerprint_alg : m.fingerprint_alg;
    if (fp.empty() || !iequal(alg, "sha-256")) {
      err = {400, at + "no sha-256 DTLS fingerprint"};
      return false;
    }
    if ((m.kind == "audio" || m.kind == "video") && !m.rtcp_mux) {
      err = {400, at + "rtcp-mux is required"};
      return false;
    }
    if (m.mid.empty()) {
      err = {400, at + "a=mid is required (BUNDLE)"};
      return false;
    }
  }
  return true;
}

Session answer_skeleton(const Session& offer, const LocalTransport& local) {
  Session a;
  a.origin = "- 1 1 IN IP4 0.0.0.0";
  a.ice_lite = true;
  a.other.push_back("msid-semantic: WMS *");
  for (const Media& m : offer.media) {
    if (in_use(offer, m) && (m.kind == "audio" || m.kind == "video")) a.bundle.push_back(m.mid);
  }
  (void)local;
  return a;
}

Media answer_media(const Media& m, const LocalTransport& local) {
  Media am;
  am.kind = m.kind;
  am.port = 9;
  am.proto = m.proto;
  am.mid = m.mid;
  am.ice_ufrag = local.ice_ufrag;
  am.ice_pwd = local.ice_pwd;
  am.fingerprint_alg = "sha-256";
  am.fingerprint = local.fingerprint;
  am.setup = "passive";  // the ICE-lite side answers passive: the browser is the DTLS client
  am.rtcp_mux = true;
  am.rtcp_rsize = m.rtcp_rsize;
  am.candidates = local.candidates;
  am.end_of_candidates = true;
  return am;
}

Media rejected(const Media& m) {
  Media r;
  r.kind = m.kind;
  r.port = 0;
  r.proto = m.proto;
  r.fmts = m.fmts.empty() ? std::vector<std::string>{"0"} : std::vector<std::string>{m.fmts.front()};
  r.mid = m.mid;
  r.direction = Direction::kInactive;
  return r;
}

}  // namespace

// transport-cc toward a publisher would promise feedback the SFU does not
// send yet (bandwidth estimation is later work); without it the publisher's
// congestion control runs on RTCP receiver reports.
constexpr const char* kTwccUri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

bool answer_publish(const Session& offer, const LocalTransport& local, PublishAnswer& out,
                    NegotiationError& err) {
  if (!check_transport(offer, err)) return false;
  out.answer = answer_skeleton(offer, local);
  out.tracks.clear();
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const Media& m = offer.media[i];
    const bool sends = m.direction == Direction::kSendOnly || m.direction == Direction::kSendRecv;
    if (!in_use(offer, m) || (m.kind != "audio" && m.kind != "video") || !sends) {
      out.answer.media.push_back(rejected(m));
      continue;
    }
    const std::string at = "m-line " + std::to_string(i) + " (" + m.kind + ", mid " + m.mid + "): ";
    const Codec* c = pick(m);
    if (c == nullptr) {
      err = {406, at + (m.kind == "audio" ? "no Opus/48000" : "no VP8 or H264 packetization-mode=1") +
                      " in the offer"};
      return false;
    }
    PublishedTrack t;
    t.mid = m.mid;
    t.kind = m.kind;
    t.msid = m.msid;
    t.codec = negotiated(m, *c);
    t.codec.rtcp_fb.erase(std::remove(t.codec.rtcp_fb.begin(), t.codec.rtcp_fb.end(), "transport-cc"),
                          t.codec.rtcp_fb.end());
    const auto ssrcs = m.ssrcs();
    if (ssrcs.empty()) {
      err = {400, at + "no a=ssrc (simulcast with rid only is not supported)"};
      return false;
    }
    t.ssrc = ssrcs.front();
    for (const SsrcGroup& g : m.ssrc_groups) {
      if (g.semantics == "FID" && g.ssrcs.size() == 2 && g.ssrcs[0] == t.ssrc) t.rtx_ssrc = g.ssrcs[1];
    }
    if (t.rtx_ssrc == 0) t.codec.rtx_pt = -1;
    Media am = answer_media(m, local);
    am.direction = Direction::kRecvOnly;
    add_codec(am, t.codec, t.codec.rtx_pt);
    for (const Extmap& e : m.extmaps) {
      if (e.uri != kTwccUri &&
          std::find(std::begin(kForwardedExtensions), std::end(kForwardedExtensions), e.uri) !=
              std::end(kForwardedExtensions)) {
        am.extmaps.push_back(Extmap{e.id, "", e.uri});
        t.extmaps.emplace_back(e.id, e.uri);
      }
    }
    out.answer.media.push_back(std::move(am));
    out.tracks.push_back(std::move(t));
  }
  if (out.tracks.empty()) {
    err = {406, "the offer sends no audio or video we can receive"};
    return false;
  }
  return true;
}

bool answer_subscribe(const Session& offer, const LocalTransport& local,
                      const std::vector<PublishedTrack>& tracks, uint32_t (*next_ssrc)(void*),
                      void* ssrc_ctx, SubscribeAnswer& out, NegotiationError& err) {
  if (!check_transport(offer, err)) return false;
  out.answer = answer_skeleton(offer, local);
  out.tracks.clear();
  std::vector<bool> used(tracks.size(), false);
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const Media& m = offer.media[i];
    const bool receives = m.direction == Direction::kRecvOnly || m.direction == Direction::kSendRecv;
    if (!in_use(offer, m) || (m.kind != "audio" && m.kind != "video") || !receives) {
      out.answer.media.push_back(rejected(m));
      continue;
    }
    Media am = answer_media(m, local);
    // The first unassigned track of this kind whose codec the subscriber takes.
    std::size_t src = tracks.size();
    const Codec* sub_codec = nullptr;
    for (std::size_t t = 0; t < tracks.size() && src == tracks.size(); ++t) {
      if (used[t] || tracks[t].kind != m.kind) continue;
      for (const Codec& c : m.codecs) {
        if (iequal(c.name, tracks[t].codec.name) && c.clock_rate == tracks[t].codec.clock_rate &&
            (!iequal(c.name, "H264") || fmtp_param(c.fmtp, "profile-level-id") ==
                                            fmtp_param(tracks[t].codec.fmtp, "profile-level-id"))) {
          src = t;
          sub_codec = &c;
          break;
        }
      }
    }
    if (src == tracks.size()) {
      // Nothing (yet) for this m-line: answer it with a codec it offered, inactive.
      const Codec* c = pick(m);
      if (c == nullptr) {
        out.answer.media.push_back(rejected(m));
        continue;
      }
      am.direction = Direction::kInactive;
      add_codec(am, negotiated(m, *c), -1);
      out.answer.media.push_back(std::move(am));
      continue;
    }
    used[src] = true;
    const PublishedTrack& pt = tracks[src];
    SubscribedTrack st;
    st.source = src;
    st.mid = m.mid;
    st.ssrc = next_ssrc(ssrc_ctx);
    NegotiatedCodec c = negotiated(m, *sub_codec);
    const int sub_rtx = pt.kind == "video" ? rtx_for(m, sub_codec->pt) : -1;
    if (sub_rtx >= 0) {
      st.rtx_ssrc = next_ssrc(ssrc_ctx);
      st.rtx_pt = static_cast<uint8_t>(sub_rtx);
    }
    st.pt_map.emplace_back(pt.codec.pt, sub_codec->pt);
    for (const auto& [pid, uri] : pt.extmaps) {
      for (const Extmap& e : m.extmaps) {
        if (e.uri == uri) st.ext_map.emplace_back(pid, e.id);
      }
    }
    am.direction = Direction::kSendOnly;
    add_codec(am, c, sub_rtx);
    for (const auto& [pid, sid] : st.ext_map) {
      for (const auto& [id, uri] : pt.extmaps) {
        if (id == pid) am.extmaps.push_back(Extmap{sid, "", uri});
      }
    }
    const std::string track_id = "TR_" + std::to_string(src) + "_" + pt.mid;
    am.msid = "edgesfu " + track_id;
    if (st.rtx_ssrc != 0) am.ssrc_groups.push_back(SsrcGroup{"FID", {st.ssrc, st.rtx_ssrc}});
    am.ssrc_attrs.emplace_back(st.ssrc, "cname:edgesfu");
    am.ssrc_attrs.emplace_back(st.ssrc, "msid:edgesfu " + track_id);
    if (st.rtx_ssrc != 0) am.ssrc_attrs.emplace_back(st.rtx_ssrc, "cname:edgesfu");
    out.answer.media.push_back(std::move(am));
    out.tracks.push_back(std::move(st));
  }
  (void)err;
  return true;
}

}  // namespace edgesfu::sp::sdp
