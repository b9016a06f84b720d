// What one participant's decrypted RTCP compound asks of the fast path, as
// actions. Pure over the compound's bytes: no SSRC tables, no mbufs, no
// clock. The fan-out (fanout/fastpath_rtcp.cpp) looks the SSRCs up and
// carries the actions out; the keyframe-request throttle is decided here too.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/pkt/rtcp.hpp"

namespace edgesfu::dp::rtcp {

struct NackAction {
  uint32_t media_ssrc = 0;  // the subscriber's view: a downtrack's SSRC
  uint16_t seq = 0;         // a sequence number it lost, as it received it
};

struct KeyframeAction {
  uint32_t media_ssrc = 0;  // a downtrack's SSRC
  bool fir = false;         // FIR (RFC 5104) or PLI (RFC 4585)
};

// One compound's actions. Reused from compound to compound: decide() resets
// the counts only, so filling it costs what the compound holds, not its size.
struct FeedbackActions {
  static constexpr int kMaxSr = 4;
  static constexpr int kMaxBlocks = 64;
  static constexpr int kMaxNacks = 512;
  static constexpr int kMaxKeyframes = 16;
  pkt::SenderInfo sr[kMaxSr];  // the sender's own SRs (a publisher's clock mapping)
  int n_sr = 0;
  pkt::ReportBlock blocks[kMaxBlocks];  // from SR and RR: on streams it receives from us
  int n_blocks = 0;
  NackAction nacks[kMaxNacks];  // retransmissions asked for, in the order asked
  int n_nacks = 0;
  KeyframeAction keyframes[kMaxKeyframes];
  int n_keyframes = 0;
  bool have_twcc = false;  // the compound's last well-formed transport-cc feedback
  pkt::TwccHeader twcc;
  bool have_remb = false;  // its last well-formed REMB
  pkt::Remb remb;
  uint32_t over_capacity = 0;  // items left out for want of room (the caller counts them)
};

// Fills `out` with what `compound` asks; kOk, or why the compound is invalid
// (then `out` is empty). Sub-packets that do not parse are skipped, as
// receivers of RFC 3550 compounds do.
pkt::RtcpError decide(std::span<const uint8_t> compound, FeedbackActions& out);

// Whether a keyframe request for `media_ssrc` goes to its publisher at
// `now_us`: not within `gap_us` of the last one for the same stream
// (subscribers joining together, or losing the same packet, would flood the
// publisher); a stream other than the last asked for (a simulcast layer to
// switch to) goes at once. last_us == 0: never asked.
inline bool keyframe_request_due(uint64_t last_us, uint32_t last_ssrc, uint32_t media_ssrc,
                                 uint64_t now_us, uint64_t gap_us) {
  if (media_ssrc == 0) return false;  // simulcast before its first layer: nothing to ask yet
  return last_us == 0 || media_ssrc != last_ssrc || now_us - last_us >= gap_us;
}

}  // namespace edgesfu::dp::rtcp
