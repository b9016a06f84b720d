#include "dataplane/rtcp/feedback.hpp"

#include <bit>

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::rtcp {

namespace {

// Sequence numbers a NACK's FCI asks for: each entry one, and one per bit of
// its bitmask of following losses (RFC 4585 §6.2.1).
int nack_count(std::span<const uint8_t> fci) {
  int n = 0;
  for (std::size_t i = 0; i + 4 <= fci.size(); i += 4) {
    n += 1 + std::popcount(pkt::load_be16(fci.data() + i + 2));
  }
  return n;
}

void add_blocks(FeedbackActions& out, const pkt::ReportBlock* blocks, int n) {
  for (int i = 0; i < n; ++i) {
    if (out.n_blocks == FeedbackActions::kMaxBlocks) {
      ++out.over_capacity;
      continue;
    }
    out.blocks[out.n_blocks++] = blocks[i];
  }
}

void add_keyframe(FeedbackActions& out, uint32_t media_ssrc, bool fir) {
  if (out.n_keyframes == FeedbackActions::kMaxKeyframes) {
    ++out.over_capacity;
    return;
  }
  out.keyframes[out.n_keyframes++] = {media_ssrc, fir};
}

void add_feedback(FeedbackActions& out, const pkt::RtcpPacket& rp) {
  pkt::Feedback fb;
  if (pkt::parse_feedback(rp, fb) != pkt::RtcpError::kOk) return;
  if (rp.type == pkt::kRtcpRtpfb && rp.count == pkt::kFmtNack) {
    uint16_t lost[FeedbackActions::kMaxNacks];
    const int room = FeedbackActions::kMaxNacks - out.n_nacks;
    const int k = pkt::expand_nack(fb.fci, {lost, static_cast<std::size_t>(room)});
    for (int i = 0; i < k; ++i) out.nacks[out.n_nacks++] = {fb.media_ssrc, lost[i]};
    // What did not fit: the FCI's entries ask for up to 17 each.
    const int asked = nack_count(fb.fci);
    if (asked > k) out.over_capacity += static_cast<uint32_t>(asked - k);
  } else if (rp.type == pkt::kRtcpRtpfb && rp.count == pkt::kFmtTwcc) {
    pkt::TwccHeader twcc;
    if (pkt::parse_twcc(fb, twcc)) {
      out.twcc = twcc;
      out.have_twcc = true;
    }
  } else if (rp.type == pkt::kRtcpPsfb && rp.count == pkt::kFmtPli) {
    add_keyframe(out, fb.media_ssrc, false);
  } else if (rp.type == pkt::kRtcpPsfb && rp.count == pkt::kFmtFir) {
    pkt::FirEntry fir[8];
    const int k = pkt::parse_fir(fb.fci, fir);
    for (int i = 0; i < k; ++i) add_keyframe(out, fir[i].ssrc, true);
    const auto entries = static_cast<int>(fb.fci.size() / 8);
    if (entries > k) out.over_capacity += static_cast<uint32_t>(entries - k);
  } else if (rp.type == pkt::kRtcpPsfb && rp.count == pkt::kFmtAfb) {
    pkt::Remb remb;  // a malformed REMB after a good one leaves the good one
    if (pkt::parse_remb(fb, remb)) {
      out.remb = remb;
      out.have_remb = true;
    }
  }
}

}  // namespace

pkt::RtcpError decide(std::span<const uint8_t> compound, FeedbackActions& out) {
  out.n_sr = out.n_blocks = out.n_nacks = out.n_keyframes = 0;
  out.have_twcc = out.have_remb = false;
  out.over_capacity = 0;
  if (const pkt::RtcpError e = pkt::validate_rtcp(compound); e != pkt::RtcpError::kOk) return e;
  pkt::RtcpWalker w(compound);
  pkt::RtcpPacket rp;
  while (w.next(rp)) {
    pkt::ReportBlock blocks[pkt::kMaxReportBlocks];
    int nb = 0;
    if (rp.type == pkt::kRtcpSr) {
      pkt::SenderInfo si;
      if (pkt::parse_sr(rp, si, blocks, nb) != pkt::RtcpError::kOk) continue;
      if (out.n_sr == FeedbackActions::kMaxSr) {
        ++out.over_capacity;
      } else {
        out.sr[out.n_sr++] = si;
      }
    } else if (rp.type == pkt::kRtcpRr) {
      uint32_t reporter = 0;
      if (pkt::parse_rr(rp, reporter, blocks, nb) != pkt::RtcpError::kOk) continue;
    } else if (rp.type == pkt::kRtcpRtpfb || rp.type == pkt::kRtcpPsfb) {
      add_feedback(out, rp);
    }
    add_blocks(out, blocks, nb);
  }
  return pkt::RtcpError::kOk;
}

}  // namespace edgesfu::dp::rtcp
