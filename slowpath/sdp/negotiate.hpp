// The rules of offer/answer for one m-line (RFC 3264, RFC 8829/JSEP) as the
// appliance applies them: which codecs, header extensions and SSRCs a
// participant's sending m-line publishes, which codec a receiving m-line takes
// for a track, and how our side of an m-line is written (ICE-lite, DTLS
// passive in answers, BUNDLE, rtcp-mux). session/participant_media puts them
// together over a whole connection. Pure; slow path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "slowpath/sdp/sdp.hpp"

namespace edgesfu::sp::sdp {

// Our side of the transport.
struct LocalTransport {
  std::string ice_ufrag, ice_pwd;
  std::vector<std::string> candidates;  // "candidate:..." lines
  std::string fingerprint;              // sha-256
};

// A codec as negotiated on one side, with its RTX if any.
struct NegotiatedCodec {
  uint8_t pt = 0;
  std::string name;
  uint32_t clock_rate = 0;
  uint8_t channels = 0;
  std::string fmtp;
  std::vector<std::string> rtcp_fb;
  int rtx_pt = -1;
};

// What a participant sends on one m-line.
struct PublishedTrack {
  std::string mid;
  std::string kind;  // audio, video
  std::string msid;
  uint32_t ssrc = 0;
  uint32_t rtx_ssrc = 0;
  NegotiatedCodec codec;
  std::vector<std::pair<uint8_t, std::string>> extmaps;  // relayed ones: publisher's ID -> URI
  // Simulcast layers by RID, lowest first as offered (then ssrc is 0).
  std::vector<std::string> rids;
  // The publisher's IDs of the extensions the fast path reads (0: none).
  uint8_t twcc_ext = 0, mid_ext = 0, rid_ext = 0, rrid_ext = 0, audio_level_ext = 0;
};

// One track a participant receives: what the fast path needs for a downtrack.
struct SubscribedTrack {
  uint32_t ssrc = 0;      // ours, toward the subscriber
  uint32_t rtx_ssrc = 0;  // 0: the subscriber negotiated no RTX
  uint8_t rtx_pt = 0;
  std::vector<std::pair<uint8_t, uint8_t>> pt_map;   // publisher PT -> subscriber PT
  std::vector<std::pair<uint8_t, uint8_t>> ext_map;  // publisher ext ID -> subscriber's
};

// The transport attributes every BUNDLE'd WebRTC offer carries on each m-line
// in use: ICE credentials, a sha-256 fingerprint, rtcp-mux, a mid
// (kInvalidArgument naming the m-line).
Status check_transport(const Session& offer);

// The first offered codec (in m-line order) we forward: Opus/48000 for
// audio; VP8, else H264 with packetization-mode=1 for video. nullptr if none.
const Codec* pick(const Media& m);
// The RTX payload type the m-line pairs with `pt` (apt=), or -1.
int rtx_for(const Media& m, uint8_t pt);
// `c` as negotiated on `m`: the feedback we handle, its RTX (video).
NegotiatedCodec negotiated(const Media& m, const Codec& c);
// Adds `c` (and RTX with `rtx_pt` >= 0) to an m-line we write.
void add_codec(Media& am, const NegotiatedCodec& c, int rtx_pt);

// What a participant publishes on its sending m-line `m` (the `index`-th):
// the codec (kUnsupported: none we forward), the SSRC and its RTX from
// a=ssrc/ssrc-group, or simulcast layers by RID from a=simulcast/a=rid
// (kUnsupported: more than 3, or without the MID and RID extensions;
// kInvalidArgument: neither SSRC nor layers), the header extensions.
Result<PublishedTrack> published_track(const Media& m, std::size_t index);
// What an answer to the publisher's m-line says of `t` beyond its codec: the
// extensions it may send (relayed ones, MID, transport-wide sequence
// numbers; RID and repaired RID with layers) and a=rid recv / a=simulcast:recv
// for its layers.
void answer_publication(Media& am, const PublishedTrack& t);
// Whether a published header extension goes on to subscribers (under their
// IDs). The MID names an m-line of the publisher's connection, not the
// subscriber's: relayed, it makes a subscriber's demuxer bind the SSRC to its
// own m-line of that name, and libwebrtc then refuses its next answer
// ("Failed to set up audio demuxing"). It becomes padding instead; the
// subscriber demuxes by the a=ssrc lines of its answer.
bool relayed_to_subscribers(const std::string& uri);
// Whether an answer accepts this offered header extension on an m-line of
// `kind`, whatever flows on it: every extension we read or relay. Chromium
// stops offering, on every later m-line of the session, an extension that an
// answer left out once: a first answer without the RID extension makes its
// later simulcast offers invalid.
bool answered_extension(const std::string& uri, const std::string& kind);
// The codec of a receiving m-line that carries `src` unchanged (same name
// and clock rate; same H264 profile), or nullptr.
const Codec* codec_for(const Media& m, const PublishedTrack& src);

// The session part of anything we write: ICE-lite (RFC 8445 §2.5), msid
// semantics; m-lines and BUNDLE are the caller's.
Session answer_session();
// Our answer to offered m-line `m`: transport attributes (ICE-lite
// credentials and candidates, DTLS passive: the browser is the DTLS client),
// rtcp-mux; codecs and direction are the caller's.
Media answer_media(const Media& m, const LocalTransport& local);
// A rejected m-line (port 0, RFC 3264 §6).
Media rejected(const Media& m);

// Data channels (RFC 8841): an m=application section for SCTP over DTLS
// ("UDP/DTLS/SCTP webrtc-datachannel"; the older "DTLS/SCTP 5000" form is
// not taken).
bool is_data_channel(const Media& m);
// What the peer's data section says: its SCTP port (a=sctp-port, default
// 5000) and the largest message it takes (a=max-message-size, default 64 KiB;
// 0: no limit).
struct DataSection {
  std::string mid;
  uint16_t sctp_port = 5000;
  uint64_t max_message = 65536;
};
Result<DataSection> data_section(const Media& m);
// Our side of a data section: the transport attributes, our SCTP port 5000
// and the largest message we take. `setup` as for media ("passive" in an
// answer, "actpass" in an offer).
Media data_media(const Media& shape, const LocalTransport& local, uint64_t max_message,
                 const std::string& setup);

}  // namespace edgesfu::sp::sdp
