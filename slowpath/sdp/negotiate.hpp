// Offer/answer for the appliance (RFC 8829/JSEP, RFC 3264): which codecs,
// header extensions and SSRCs a publisher's offer leads to (WHIP), and what a
// subscriber's offer receives of the tracks in a room (WHEP). The answer is an
// ICE-lite, DTLS-passive, BUNDLE'd, rtcp-mux'd description. Pure; slow path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "slowpath/base/result.hpp"
#include "slowpath/sdp/sdp.hpp"

namespace edgesfu::sp::sdp {

// Our side of the transport.
struct LocalTransport {
  std::string ice_ufrag, ice_pwd;
  std::vector<std::string> candidates;  // "candidate:..." lines
  std::string fingerprint;              // sha-256
};

// Why negotiation failed: a client error (400), or nothing we can receive or
// send (406). The message says which m-line and why.
struct NegotiationError {
  int http_status = 400;
  std::string message;
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

struct PublishedTrack {
  std::string mid;
  std::string kind;  // audio, video
  std::string msid;
  uint32_t ssrc = 0;
  uint32_t rtx_ssrc = 0;
  NegotiatedCodec codec;
  std::vector<std::pair<uint8_t, std::string>> extmaps;  // publisher's ID -> URI
};

struct PublishAnswer {
  Session answer;
  std::vector<PublishedTrack> tracks;
};

// What a publisher's offer is answered with. Audio: Opus; video: VP8, else
// H264 with packetization-mode=1; RTX when offered; the header extensions we
// forward (audio level, abs-send-time, transport-cc, mid).
bool answer_publish(const Session& offer, const LocalTransport& local, PublishAnswer& out,
                    NegotiationError& err);

// One track a subscriber receives: what the fast path needs for a downtrack.
struct SubscribedTrack {
  std::size_t source = 0;  // index into the `tracks` given
  std::string mid;
  uint32_t ssrc = 0;       // ours, toward the subscriber
  uint32_t rtx_ssrc = 0;   // 0: the subscriber negotiated no RTX
  uint8_t rtx_pt = 0;
  std::vector<std::pair<uint8_t, uint8_t>> pt_map;   // publisher PT -> subscriber PT
  std::vector<std::pair<uint8_t, uint8_t>> ext_map;  // publisher ext ID -> subscriber's
};

struct SubscribeAnswer {
  Session answer;
  std::vector<SubscribedTrack> tracks;
};

// Assigns `tracks` (those published in the room) to the subscriber's
// receiving m-lines in order, by kind and codec; m-lines left over are
// answered inactive. `next_ssrc` hands out our SSRCs.
bool answer_subscribe(const Session& offer, const LocalTransport& local,
                      const std::vector<PublishedTrack>& tracks, uint32_t (*next_ssrc)(void*),
                      void* ssrc_ctx, SubscribeAnswer& out, NegotiationError& err);

}  // namespace edgesfu::sp::sdp
