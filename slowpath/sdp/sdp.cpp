#include "slowpath/sdp/sdp.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

namespace edgesfu::sp::sdp {

namespace {

constexpr std::size_t kMaxText = 64 * 1024;
constexpr std::size_t kMaxMedia = 64;
constexpr std::size_t kMaxLines = 4096;
constexpr std::size_t kMaxGroupSsrcs = 8;  // per a=ssrc-group
constexpr std::size_t kMaxRids = 8;        // a=rid lines and simulcast streams per m-line

template <typename T>
bool to_uint(std::string_view s, T& out, uint64_t max) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

// Splits at the first run of spaces: ("a  b c") -> ("a", "b c").
std::pair<std::string_view, std::string_view> split1(std::string_view s) {
  const auto sp = s.find(' ');
  if (sp == std::string_view::npos) return {s, {}};
  std::string_view rest = s.substr(sp + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return {s.substr(0, sp), rest};
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> w;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const std::size_t j = std::min(s.find(' ', i), s.size());
    if (j > i) w.push_back(s.substr(i, j - i));
    i = j;
  }
  return w;
}

Codec& codec_for(Media& m, uint8_t pt) {
  for (Codec& c : m.codecs) {
    if (c.pt == pt) return c;
  }
  m.codecs.push_back(Codec{});
  m.codecs.back().pt = pt;
  return m.codecs.back();
}

// Handles one "a=" attribute at media level; false with `why` on error.
// RFC 8851 §10: rid-id = 1*(alpha-numeric / "-" / "_"), kept short here.
bool rid_name(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

// "a;~b,c;d" -> {a, b, d}: one stream per ';', its first alternative, unpaused.
bool simulcast_list(std::string_view s, std::vector<std::string>& out) {
  while (!s.empty()) {
    const auto semi = s.find(';');
    std::string_view stream = s.substr(0, semi);
    s = semi == std::string_view::npos ? std::string_view{} : s.substr(semi + 1);
    stream = stream.substr(0, stream.find(','));
    if (!stream.empty() && stream.front() == '~') stream.remove_prefix(1);
    if (!rid_name(stream) || out.size() == kMaxRids) return false;
    out.emplace_back(stream);
  }
  return !out.empty();
}

bool media_attr(Media& m, std::string_view name, std::string_view value, bool has_value,
                std::string& why) {
  if (name == "mid") {
    m.mid = value;
  } else if (name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive") {
    m.direction = name == "sendrecv"   ? Direction::kSendRecv
                  : name == "sendonly" ? Direction::kSendOnly
                  : name == "recvonly" ? Direction::kRecvOnly
                                       : Direction::kInactive;
  } else if (name == "ice-ufrag") {
    m.ice_ufrag = value;
  } else if (name == "ice-pwd") {
    m.ice_pwd = value;
  } else if (name == "candidate") {
    m.candidates.emplace_back(value);
  } else if (name == "end-of-candidates") {
    m.end_of_candidates = true;
  } else if (name == "fingerprint") {
    const auto [alg, fp] = split1(value);
    if (fp.empty()) {
      why = "a=fingerprint needs an algorithm and a value";
      return false;
    }
    m.fingerprint_alg = alg;
    m.fingerprint = fp;
  } else if (name == "setup") {
    m.setup = value;
  } else if (name == "rtcp-mux") {
    m.rtcp_mux = true;
  } else if (name == "rtcp-rsize") {
    m.rtcp_rsize = true;
  } else if (name == "rtpmap") {
    // a=rtpmap:<pt> <name>/<clock>[/<channels>]
    const auto [pts, enc] = split1(value);
    uint8_t pt = 0;
    if (!to_uint(pts, pt, 127) || enc.empty()) {
      why = "a=rtpmap: bad payload type or encoding";
      return false;
    }
    const auto s1 = enc.find('/');
    if (s1 == std::string_view::npos) {
      why = "a=rtpmap: no clock rate";
      return false;
    }
    Codec& c = codec_for(m, pt);
    c.name = enc.substr(0, s1);
    const std::string_view rest = enc.substr(s1 + 1);
    const auto s2 = rest.find('/');
    if (!to_uint(rest.substr(0, s2), c.clock_rate, 10000000)) {
      why = "a=rtpmap: bad clock rate";
      return false;
    }
    if (s2 != std::string_view::npos && !to_uint(rest.substr(s2 + 1), c.channels, 255)) {
      why = "a=rtpmap: bad channel count";
      return false;
    }
  } else if (name == "fmtp") {
    const auto [pts, params] = split1(value);
    uint8_t pt = 0;
    if (!to_uint(pts, pt, 127)) {
      why = "a=fmtp: bad payload type";
      return false;
    }
    codec_for(m, pt).fmtp = params;
  } else if (name == "rtcp-fb") {
    const auto [pts, fb] = split1(value);
    if (fb.empty()) {
      why = "a=rtcp-fb: no feedback type";
      return false;
    }
    if (pts == "*") {
      m.other.push_back("rtcp-fb:" + std::string(value));
    } else {
      uint8_t pt = 0;
      if (!to_uint(pts, pt, 127)) {
        why = "a=rtcp-fb: bad payload type";
        return false;
      }
      codec_for(m, pt).rtcp_fb.emplace_back(fb);
    }
  } else if (name == "extmap") {
    // a=extmap:<id>[/<direction>] <uri> [<attributes>]
    const auto [idd, rest] = split1(value);
    const auto slash = idd.find('/');
    Extmap e;
    if (!to_uint(idd.substr(0, slash), e.id, 255) || e.id == 0 || rest.empty()) {
      why = "a=extmap: bad ID or no URI";
      return false;
    }
    if (slash != std::string_view::npos) e.direction = idd.substr(slash + 1);
    e.uri = split1(rest).first;
    m.extmaps.push_back(e);
  } else if (name == "msid") {
    m.msid = value;
  } else if (name == "ssrc") {
    const auto [id, attr] = split1(value);
    uint32_t ssrc = 0;
    if (!to_uint(id, ssrc, 0xffffffffu)) {
      why = "a=ssrc: bad SSRC";
      return false;
    }
    m.ssrc_attrs.emplace_back(ssrc, std::string(attr));
  } else if (name == "ssrc-group") {
    const auto w = words(value);
    if (w.size() < 2) {
      why = "a=ssrc-group: needs semantics and SSRCs";
      return false;
    }
    // RFC 5576 §4.2; FID pairs a stream with its RTX, SIM lists simulcast
    // layers: a handful at most.
    if (w.size() > 1 + kMaxGroupSsrcs) {
      why = "a=ssrc-group: more than " + std::to_string(kMaxGroupSsrcs) + " SSRCs";
      return false;
    }
    SsrcGroup g;
    g.semantics = w[0];
    for (std::size_t i = 1; i < w.size(); ++i) {
      uint32_t s = 0;
      if (!to_uint(w[i], s, 0xffffffffu)) {
        why = "a=ssrc-group: bad SSRC";
        return false;
      }
      g.ssrcs.push_back(s);
    }
    m.ssrc_groups.push_back(std::move(g));
  } else if (name == "bundle-only") {
    m.bundle_only = true;
  } else if (name == "rid") {
    // a=rid:<rid-id> <send|recv> [<params>] (RFC 8851 §10).
    const auto [id, rest] = split1(value);
    const auto [dir, params] = split1(rest);
    if (!rid_name(id) || (dir != "send" && dir != "recv")) {
      why = "a=rid: bad RID or direction";
      return false;
    }
    if (m.rids.size() == kMaxRids) {
      why = "a=rid: more than " + std::to_string(kMaxRids);
      return false;
    }
    m.rids.push_back(Rid{std::string(id), std::string(dir), std::string(params)});
  } else if (name == "simulcast") {
    // a=simulcast:<send|recv> <list> [<recv|send> <list>] (RFC 8853 §5.1).
    const auto w = words(value);
    if (w.empty() || w.size() % 2 != 0 || w.size() > 4) {
      why = "a=simulcast: needs a direction and a stream list";
      return false;
    }
    for (std::size_t i = 0; i < w.size(); i += 2) {
      auto& list = w[i] == "send" ? m.simulcast_send : m.simulcast_recv;
      if ((w[i] != "send" && w[i] != "recv") || !list.empty() || !simulcast_list(w[i + 1], list)) {
        why = "a=simulcast: bad direction or stream list";
        return false;
      }
    }
  } else {
    m.other.push_back(std::string(name) + (has_value ? ":" + std::string(value) : ""));
  }
  return true;
}

}  // namespace

const char* to_string(Direction d) {
  switch (d) {
    case Direction::kSendRecv: return "sendrecv";
    case Direction::kSendOnly: return "sendonly";
    case Direction::kRecvOnly: return "recvonly";
    case Direction::kInactive: return "inactive";
  }
  return "sendrecv";
}

bool in_use(const Session& s, const Media& m) {
  if (m.port != 0) return true;
  return m.bundle_only && !m.mid.empty() &&
         std::find(s.bundle.begin(), s.bundle.end(), m.mid) != s.bundle.end();
}

const Codec* Media::codec(uint8_t pt) const {
  for (const Codec& c : codecs) {
    if (c.pt == pt) return &c;
  }
  return nullptr;
}

std::vector<uint32_t> Media::ssrcs() const {
  std::vector<uint32_t> out;
  for (const auto& [s, attr] : ssrc_attrs) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

Result<Session> parse(std::string_view text) {
  if (text.size() > kMaxText)
    return make_error(ErrorCode::kInvalidArgument, "SDP larger than 64 KiB");
  Session s;
  Media* m = nullptr;
  bool have_v = false;
  std::size_t lineno = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++lineno;
    if (lineno > kMaxLines)
      return make_error(ErrorCode::kInvalidArgument, "SDP has more than 4096 lines");
    if (line.empty()) continue;
    const std::string at = "SDP line " + std::to_string(lineno) + ": ";
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      return make_error(ErrorCode::kInvalidArgument, at + "not of the form <letter>=<value>");
    }
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (!have_v) {
      if (type != 'v' || value != "0")
        return make_error(ErrorCode::kInvalidArgument, at + "an SDP starts with v=0");
      have_v = true;
      continue;
    }
    switch (type) {
      case 'o': s.origin = value; break;
      case 's': s.name = value; break;
      case 'm': {
        if (s.media.size() == kMaxMedia)
          return make_error(ErrorCode::kInvalidArgument, at + "more than 64 media sections");
        const auto w = words(value);
        if (w.size() < 3)
          return make_error(ErrorCode::kInvalidArgument, at + "m= needs media, port, proto");
        Media nm;
        nm.kind = w[0];
        const std::string_view port = w[1].substr(0, w[1].find('/'));
        if (!to_uint(port, nm.port, 65535))
          return make_error(ErrorCode::kInvalidArgument, at + "m= port is not a number");
        nm.proto = w[2];
        for (std::size_t i = 3; i < w.size(); ++i) nm.fmts.emplace_back(w[i]);
        s.media.push_back(std::move(nm));
        m = &s.media.back();
        break;
      }
      case 'a': {
        const auto colon = value.find(':');
        const std::string_view name = value.substr(0, colon);
        const std::string_view val =
            colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
        const bool has_val = colon != std::string_view::npos;
        std::string why;
        if (m != nullptr) {
          if (!media_attr(*m, name, val, has_val, why))
            return make_error(ErrorCode::kInvalidArgument, at + why);
        } else if (name == "group") {
          const auto w = words(val);
          if (!w.empty() && w[0] == "BUNDLE") {
            for (std::size_t i = 1; i < w.size(); ++i) s.bundle.emplace_back(w[i]);
          } else {
            s.other.push_back(std::string(value));
          }
        } else if (name == "ice-lite") {
          s.ice_lite = true;
        } else if (name == "ice-ufrag") {
          s.ice_ufrag = val;
        } else if (name == "ice-pwd") {
          s.ice_pwd = val;
        } else if (name == "fingerprint") {
          const auto [alg, fp] = split1(val);
          if (fp.empty())
            return make_error(ErrorCode::kInvalidArgument,
                              at + "a=fingerprint needs an algorithm and a value");
          s.fingerprint_alg = alg;
          s.fingerprint = fp;
        } else if (name == "setup") {
          s.setup = val;
        } else {
          s.other.push_back(std::string(value));
        }
        break;
      }
      default: break;  // c=, t=, b=, i=, ... carry nothing an SFU acts on
    }
  }
  if (!have_v) return make_error(ErrorCode::kInvalidArgument, "SDP is empty");
  return s;
}

std::string write(const Session& s) {
  std::ostringstream o;
  o << "v=0\r\no=" << s.origin << "\r\ns=" << s.name << "\r\nt=0 0\r\n";
  if (s.ice_lite) o << "a=ice-lite\r\n";
  if (!s.bundle.empty()) {
    o << "a=group:BUNDLE";
    for (const auto& mid : s.bundle) o << ' ' << mid;
    o << "\r\n";
  }
  if (!s.ice_ufrag.empty()) o << "a=ice-ufrag:" << s.ice_ufrag << "\r\n";
  if (!s.ice_pwd.empty()) o << "a=ice-pwd:" << s.ice_pwd << "\r\n";
  if (!s.fingerprint.empty())
    o << "a=fingerprint:" << s.fingerprint_alg << ' ' << s.fingerprint << "\r\n";
  if (!s.setup.empty()) o << "a=setup:" << s.setup << "\r\n";
  for (const auto& a : s.other) o << "a=" << a << "\r\n";
  for (const Media& m : s.media) {
    o << "m=" << m.kind << ' ' << m.port << ' ' << m.proto;
    for (const auto& f : m.fmts) o << ' ' << f;
    o << "\r\nc=IN IP4 0.0.0.0\r\n";
    if (!m.mid.empty()) o << "a=mid:" << m.mid << "\r\n";
    if (m.bundle_only) o << "a=bundle-only\r\n";
    // A data section has no direction (RFC 8841 §5.1).
    if (m.kind != "application") o << "a=" << to_string(m.direction) << "\r\n";
    if (!m.ice_ufrag.empty()) o << "a=ice-ufrag:" << m.ice_ufrag << "\r\n";
    if (!m.ice_pwd.empty()) o << "a=ice-pwd:" << m.ice_pwd << "\r\n";
    if (!m.fingerprint.empty())
      o << "a=fingerprint:" << m.fingerprint_alg << ' ' << m.fingerprint << "\r\n";
    if (!m.setup.empty()) o << "a=setup:" << m.setup << "\r\n";
    if (m.rtcp_mux) o << "a=rtcp-mux\r\n";
    if (m.rtcp_rsize) o << "a=rtcp-rsize\r\n";
    for (const Extmap& e : m.extmaps) {
      o << "a=extmap:" << int{e.id} << (e.direction.empty() ? "" : "/" + e.direction) << ' '
        << e.uri << "\r\n";
    }
    for (const Codec& c : m.codecs) {
      o << "a=rtpmap:" << int{c.pt} << ' ' << c.name << '/' << c.clock_rate;
      if (c.channels != 0) o << '/' << int{c.channels};
      o << "\r\n";
      for (const auto& fb : c.rtcp_fb) o << "a=rtcp-fb:" << int{c.pt} << ' ' << fb << "\r\n";
      if (!c.fmtp.empty()) o << "a=fmtp:" << int{c.pt} << ' ' << c.fmtp << "\r\n";
    }
    if (!m.msid.empty()) o << "a=msid:" << m.msid << "\r\n";
    for (const auto& g : m.ssrc_groups) {
      o << "a=ssrc-group:" << g.semantics;
      for (uint32_t x : g.ssrcs) o << ' ' << x;
      o << "\r\n";
    }
    for (const auto& [ssrc, attr] : m.ssrc_attrs) o << "a=ssrc:" << ssrc << ' ' << attr << "\r\n";
    for (const Rid& r : m.rids) {
      o << "a=rid:" << r.id << ' ' << r.direction << (r.params.empty() ? "" : " " + r.params)
        << "\r\n";
    }
    if (!m.simulcast_send.empty() || !m.simulcast_recv.empty()) {
      auto list = [&](const std::vector<std::string>& l) {
        for (std::size_t i = 0; i < l.size(); ++i) o << (i == 0 ? "" : ";") << l[i];
      };
      o << "a=simulcast:";
      if (!m.simulcast_send.empty()) {
        o << "send ";
        list(m.simulcast_send);
      }
      if (!m.simulcast_recv.empty()) {
        o << (m.simulcast_send.empty() ? "recv " : " recv ");
        list(m.simulcast_recv);
      }
      o << "\r\n";
    }
    for (const auto& c : m.candidates) o << "a=candidate:" << c << "\r\n";
    if (m.end_of_candidates) o << "a=end-of-candidates\r\n";
    for (const auto& a : m.other) o << "a=" << a << "\r\n";
  }
  return o.str();
}

}  // namespace edgesfu::sp::sdp
