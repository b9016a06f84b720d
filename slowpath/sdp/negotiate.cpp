#include "slowpath/sdp/negotiate.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>

namespace edgesfu::sp::sdp {

namespace {

constexpr const char* kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
// Header extensions the fast path forwards (IDs are remapped per subscriber).
const char* const kForwardedExtensions[] = {
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    kMidUri,
};
const char* const kFeedback[] = {"nack", "nack pli", "ccm fir", "transport-cc", "goog-remb"};

// transport-cc toward a publisher: the fast path sends it transport-wide
// feedback (rtcp::TwccRecorder) for its send-side bandwidth estimation.
constexpr const char* kTwccUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr const char* kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr const char* kRidUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
constexpr const char* kRepairedRidUri = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
// What the fast path can hold (dp::control::kMaxLayers, kMaxRid, kMaxMid).
constexpr std::size_t kMaxSimulcastLayers = 3, kMaxRidLength = 8, kMaxMidLength = 16;

bool iequal(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
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

}  // namespace

int rtx_for(const Media& m, uint8_t pt) {
  for (const Codec& c : m.codecs) {
    if (iequal(c.name, "rtx") && fmtp_param(c.fmtp, "apt") == std::to_string(pt)) return c.pt;
  }
  return -1;
}

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
    if (const Codec* vp8 = in_order([](const Codec& c) { return iequal(c.name, "VP8"); }))
      return vp8;
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
    if (std::find(std::begin(kFeedback), std::end(kFeedback), fb) != std::end(kFeedback))
      n.rtcp_fb.push_back(fb);
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

Status check_transport(const Session& offer) {
  if (offer.media.empty())
    return make_error(ErrorCode::kInvalidArgument, "the offer has no media section");
  // RFC 8843 §7.2: the BUNDLE group names m-lines of the offer.
  for (const std::string& mid : offer.bundle) {
    const bool present = std::any_of(offer.media.begin(), offer.media.end(),
                                     [&](const Media& m) { return m.mid == mid; });
    if (!present) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the BUNDLE group names mid '" + mid + "', which no m-line has");
    }
  }
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const Media& m = offer.media[i];
    if (!in_use(offer, m)) continue;
    const std::string at = "m-line " + std::to_string(i) + " (mid " + m.mid + "): ";
    if (ice_ufrag(offer, m).empty() || ice_pwd(offer, m).empty()) {
      return make_error(ErrorCode::kInvalidArgument, at + "no ice-ufrag/ice-pwd");
    }
    const std::string& fp = m.fingerprint.empty() ? offer.fingerprint : m.fingerprint;
    const std::string& alg = m.fingerprint.empty() ? offer.fingerprint_alg : m.fingerprint_alg;
    if (fp.empty() || !iequal(alg, "sha-256")) {
      return make_error(ErrorCode::kInvalidArgument, at + "no sha-256 DTLS fingerprint");
    }
    // One certificate: a session-level fingerprint that the m-line
    // contradicts is an error, not something to choose between.
    if (!m.fingerprint.empty() && !offer.fingerprint.empty() &&
        (!iequal(m.fingerprint, offer.fingerprint) ||
         !iequal(m.fingerprint_alg, offer.fingerprint_alg))) {
      return make_error(ErrorCode::kInvalidArgument,
                        at + "its fingerprint differs from the session's");
    }
    // We answer DTLS passive (the browser is the client, RFC 5763 §5): an
    // offer that insists on being the server could never complete.
    const std::string& setup = m.setup.empty() ? offer.setup : m.setup;
    if (setup == "passive") {
      return make_error(
          ErrorCode::kUnsupported,
          at + "a=setup:passive (the offerer must be the DTLS client: actpass or active)");
    }
    if ((m.kind == "audio" || m.kind == "video") && !m.rtcp_mux) {
      return make_error(ErrorCode::kInvalidArgument, at + "rtcp-mux is required");
    }
    if (m.mid.empty())
      return make_error(ErrorCode::kInvalidArgument, at + "a=mid is required (BUNDLE)");
  }
  return ok_status();
}

Result<PublishedTrack> published_track(const Media& m, std::size_t index) {
  const std::string at =
      "m-line " + std::to_string(index) + " (" + m.kind + ", mid " + m.mid + "): ";
  const Codec* c = pick(m);
  if (c == nullptr) {
    return make_error(
        ErrorCode::kUnsupported,
        at + (m.kind == "audio" ? "no Opus/48000" : "no VP8 or H264 packetization-mode=1") +
            " in the offer");
  }
  PublishedTrack t;
  t.mid = m.mid;
  t.kind = m.kind;
  t.msid = m.msid;
  t.codec = negotiated(m, *c);
  for (const Extmap& e : m.extmaps) {
    if (e.uri == kTwccUri) t.twcc_ext = e.id;
    if (e.uri == kMidUri) t.mid_ext = e.id;
    if (e.uri == kRidUri) t.rid_ext = e.id;
    if (e.uri == kRepairedRidUri) t.rrid_ext = e.id;
    if (e.uri == kAudioLevelUri && m.kind == "audio") t.audio_level_ext = e.id;
  }
  // Transport-wide feedback only with its extension (RFC 8888's rtcp-fb alone says nothing).
  if (t.twcc_ext == 0) {
    t.codec.rtcp_fb.erase(
        std::remove(t.codec.rtcp_fb.begin(), t.codec.rtcp_fb.end(), "transport-cc"),
        t.codec.rtcp_fb.end());
  }
  // Simulcast named by RID (RFC 8853), as browsers send it: no a=ssrc; the
  // fast path learns each layer's SSRC from the MID and RID extensions.
  for (const std::string& r : m.simulcast_send) {
    const bool declared = std::any_of(m.rids.begin(), m.rids.end(), [&](const Rid& d) {
      return d.id == r && d.direction == "send";
    });
    if (declared) t.rids.push_back(r);
  }
  if (!t.rids.empty()) {
    if (t.rids.size() > kMaxSimulcastLayers ||
        std::any_of(t.rids.begin(), t.rids.end(),
                    [](const std::string& r) { return r.size() > kMaxRidLength; })) {
      return make_error(ErrorCode::kUnsupported,
                        at + "simulcast with more than 3 layers or RIDs over 8 characters");
    }
    if (t.mid_ext == 0 || t.rid_ext == 0 || m.mid.size() > kMaxMidLength) {
      return make_error(ErrorCode::kUnsupported,
                        at + "simulcast without the MID and RID header extensions");
    }
  } else {
    const auto ssrcs = m.ssrcs();
    if (ssrcs.empty()) {
      return make_error(ErrorCode::kInvalidArgument, at + "no a=ssrc and no simulcast by RID");
    }
    t.ssrc = ssrcs.front();
    for (const SsrcGroup& g : m.ssrc_groups) {
      if (g.semantics == "FID" && g.ssrcs.size() == 2 && g.ssrcs[0] == t.ssrc)
        t.rtx_ssrc = g.ssrcs[1];
    }
    if (t.rtx_ssrc == 0) t.codec.rtx_pt = -1;
  }
  for (const Extmap& e : m.extmaps) {
    if (e.uri != kTwccUri &&
        std::find(std::begin(kForwardedExtensions), std::end(kForwardedExtensions), e.uri) !=
            std::end(kForwardedExtensions)) {
      t.extmaps.emplace_back(e.id, e.uri);
    }
  }
  return t;
}

void answer_publication(Media& am, const PublishedTrack& t) {
  auto add = [&](uint8_t id, const std::string& uri) {
    const bool taken = std::any_of(am.extmaps.begin(), am.extmaps.end(),
                                   [&](const Extmap& e) { return e.id == id || e.uri == uri; });
    if (id != 0 && !taken) am.extmaps.push_back(Extmap{id, "", uri});
  };
  for (const auto& [id, uri] : t.extmaps) add(id, uri);
  add(t.mid_ext, kMidUri);
  add(t.twcc_ext, kTwccUri);
  if (!t.rids.empty()) {
    add(t.rid_ext, kRidUri);
    add(t.rrid_ext, kRepairedRidUri);
    for (const std::string& r : t.rids) am.rids.push_back(Rid{r, "recv", ""});
    am.simulcast_recv = t.rids;
  }
}

bool relayed_to_subscribers(const std::string& uri) { return uri != kMidUri; }

bool answered_extension(const std::string& uri, const std::string& kind) {
  if (uri == kRidUri || uri == kRepairedRidUri) return kind == "video";
  if (uri == kAudioLevelUri) return kind == "audio";
  return uri == kMidUri || uri == kTwccUri ||
         uri == "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
}

const Codec* codec_for(const Media& m, const PublishedTrack& src) {
  for (const Codec& c : m.codecs) {
    if (iequal(c.name, src.codec.name) && c.clock_rate == src.codec.clock_rate &&
        (!iequal(c.name, "H264") || fmtp_param(c.fmtp, "profile-level-id") ==
                                        fmtp_param(src.codec.fmtp, "profile-level-id"))) {
      return &c;
    }
  }
  return nullptr;
}

Session answer_session() {
  Session a;
  a.origin = "- 1 1 IN IP4 0.0.0.0";
  a.ice_lite = true;
  a.other.push_back("msid-semantic: WMS *");
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

bool is_data_channel(const Media& m) {
  return m.kind == "application" && (m.proto == "UDP/DTLS/SCTP" || m.proto == "TCP/DTLS/SCTP") &&
         std::find(m.fmts.begin(), m.fmts.end(), "webrtc-datachannel") != m.fmts.end();
}

Result<DataSection> data_section(const Media& m) {
  DataSection d;
  d.mid = m.mid;
  // The number after `prefix` in attribute `a`, or nullopt when `a` is
  // another attribute; a value that is not a whole number is an error.
  auto value = [&](const std::string& a, std::string_view prefix,
                   uint64_t& out) -> std::optional<bool> {
    if (a.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    const char* first = a.data() + prefix.size();
    const char* last = a.data() + a.size();
    auto [end, ec] = std::from_chars(first, last, out);
    return ec == std::errc() && end == last && first != last;
  };
  for (const std::string& a : m.other) {
    uint64_t n = 0;
    std::optional<bool> ok = value(a, "sctp-port:", n);
    if (ok) {
      if (!*ok || n == 0 || n > 65535) {
        return make_error(ErrorCode::kInvalidArgument, "mid " + m.mid + ": bad a=" + a);
      }
      d.sctp_port = static_cast<uint16_t>(n);
      continue;
    }
    ok = value(a, "max-message-size:", n);
    if (ok) {
      if (!*ok) return make_error(ErrorCode::kInvalidArgument, "mid " + m.mid + ": bad a=" + a);
      d.max_message = n;
    }
  }
  return d;
}

Media data_media(const Media& shape, const LocalTransport& local, uint64_t max_message,
                 const std::string& setup) {
  Media dm = answer_media(shape, local);
  dm.proto = "UDP/DTLS/SCTP";
  dm.fmts = {"webrtc-datachannel"};
  dm.rtcp_mux = false;
  dm.rtcp_rsize = false;
  dm.setup = setup;
  dm.other = {"sctp-port:5000", "max-message-size:" + std::to_string(max_message)};
  return dm;
}

Media rejected(const Media& m) {
  Media r;
  r.kind = m.kind;
  r.port = 0;
  r.proto = m.proto;
  r.fmts =
      m.fmts.empty() ? std::vector<std::string>{"0"} : std::vector<std::string>{m.fmts.front()};
  r.mid = m.mid;
  r.direction = Direction::kInactive;
  return r;
}

}  // namespace edgesfu::sp::sdp
