// SDP (RFC 8866) as WebRTC uses it (RFC 8829/JSEP): parsing an offer into a
// typed description and writing one back. What an SFU needs is kept typed
// (BUNDLE, mid, rtcp-mux, ICE credentials and candidates, DTLS fingerprint and
// setup, codecs with rtpmap/fmtp/rtcp-fb, RTX, extmap, msid, ssrc and
// ssrc-group); every other attribute is kept as text so nothing is lost.
// Slow path; parse errors are results, not exceptions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace edgesfu::sp::sdp {

struct Codec {
  uint8_t pt = 0;
  std::string name;  // "opus", "VP8", "H264", "rtx", ... as written
  uint32_t clock_rate = 0;
  uint8_t channels = 0;              // 0 when not given
  std::string fmtp;                  // parameters after "a=fmtp:<pt> "
  std::vector<std::string> rtcp_fb;  // "nack", "nack pli", "ccm fir", "transport-cc", "goog-remb"
};

struct Extmap {
  uint8_t id = 0;
  std::string direction;  // empty, or sendonly/recvonly/sendrecv/inactive
  std::string uri;
};

struct SsrcGroup {
  std::string semantics;  // "FID", "SIM", ...
  std::vector<uint32_t> ssrcs;
};

// RFC 8851: one RTP stream of an m-line named by its RID.
struct Rid {
  std::string id;
  std::string direction;  // send, recv
  std::string params;     // restrictions (max-width=..;...), as written
};

enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };
const char* to_string(Direction d);

struct Media {
  std::string kind;  // audio, video, application
  uint16_t port = 9;
  std::string proto;  // UDP/TLS/RTP/SAVPF, UDP/DTLS/SCTP, ...
  std::vector<std::string> fmts;
  std::string mid;
  Direction direction = Direction::kSendRecv;
  std::string ice_ufrag, ice_pwd;
  std::vector<std::string> candidates;  // the text after "a=candidate:"
  bool end_of_candidates = false;
  std::string fingerprint_alg, fingerprint;  // e.g. sha-256, AB:CD:...
  std::string setup;                         // actpass, active, passive
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  std::vector<Codec> codecs;
  std::vector<Extmap> extmaps;
  std::string msid;                                          // "<stream> <track>" from a=msid
  std::vector<std::pair<uint32_t, std::string>> ssrc_attrs;  // a=ssrc:<id> <attr>
  std::vector<SsrcGroup> ssrc_groups;
  std::vector<std::string> other;  // attributes not typed above, without "a="
  bool bundle_only = false;        // a=bundle-only (RFC 8843 §6)
  // a=rid lines, and a=simulcast (RFC 8853): the RIDs sent and received in
  // order, the first of each set of alternatives, paused ones ("~") included.
  std::vector<Rid> rids;
  std::vector<std::string> simulcast_send, simulcast_recv;

  const Codec* codec(uint8_t pt) const;
  // SSRCs in order of first mention (a=ssrc lines).
  std::vector<uint32_t> ssrcs() const;
};

struct Session {
  std::string origin = "- 0 0 IN IP4 127.0.0.1";
  std::string name = "-";
  std::vector<std::string> bundle;  // mids of a=group:BUNDLE
  bool ice_lite = false;
  std::string ice_ufrag, ice_pwd;  // session-level (media-level wins)
  std::string fingerprint_alg, fingerprint;
  std::string setup;
  std::vector<std::string> other;  // session attributes not typed above
  std::vector<Media> media;
};

// Parses an SDP. Lines may end in CRLF or LF. Errors name the line number and
// what is wrong; limits: 64 KiB of text, 64 media sections, 4,096 lines.
Result<Session> parse(std::string_view text);

// Writes an SDP with CRLF line ends.
std::string write(const Session& s);

// Whether an offered m-line takes part: a port other than 0, or port 0 with
// a=bundle-only and its mid in the BUNDLE group (RFC 8843 §7.5: a max-bundle
// offerer's non-tagged m-lines; they ride on the tagged m-line's transport).
bool in_use(const Session& s, const Media& m);

// Media-level value, falling back to the session level (RFC 8839 §5.4, RFC 8122 §5).
inline const std::string& ice_ufrag(const Session& s, const Media& m) {
  return m.ice_ufrag.empty() ? s.ice_ufrag : m.ice_ufrag;
}
inline const std::string& ice_pwd(const Session& s, const Media& m) {
  return m.ice_pwd.empty() ? s.ice_pwd : m.ice_pwd;
}

}  // namespace edgesfu::sp::sdp
