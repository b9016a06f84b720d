// Fastpath: simulcast layers learned from their MID and RID header
// extensions and the best one forwarded; transport-wide congestion feedback
// to publishers.
#include <cstring>

#include "dataplane/fanout/fastpath.hpp"
#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::fanout {

namespace {

// `value` (an extension's bytes) equals the NUL-padded `name`.
bool same_name(std::span<const uint8_t> value, const char* name, std::size_t cap) {
  if (value.empty() || value.size() > cap) return false;
  if (std::memcmp(value.data(), name, value.size()) != 0) return false;
  return value.size() == cap || name[value.size()] == '\0';
}

}  // namespace

uint32_t Fastpath::bind_stream(uint16_t slot, const uint8_t* rtp, const pkt::RtpHeader& h) {
  const Participant& p = participants_[slot];
  if (p.nsimulcast == 0 || !h.has_extension || p.mid_ext == 0) return SsrcMap::kNone;
  const std::span<const uint8_t> ext{rtp + h.ext_offset, h.ext_len};
  const std::span<const uint8_t> mid = pkt::find_extension(ext, h.ext_profile, p.mid_ext);
  if (mid.empty()) return SsrcMap::kNone;
  bool repaired = false;
  std::span<const uint8_t> rid;
  if (p.rid_ext != 0) rid = pkt::find_extension(ext, h.ext_profile, p.rid_ext);
  if (rid.empty() && p.rrid_ext != 0) {
    rid = pkt::find_extension(ext, h.ext_profile, p.rrid_ext);
    repaired = true;
  }
  if (rid.empty()) return SsrcMap::kNone;
  for (uint8_t k = 0; k < p.nsimulcast; ++k) {
    const uint16_t ti = p.simulcast[k];
    Track& t = tracks_[ti];
    if (!same_name(mid, t.mid, sizeof t.mid)) continue;
    for (uint8_t i = 0; i < t.nlayers; ++i) {
      if (!same_name(rid, t.rids[i], sizeof t.rids[i])) continue;
      // A layer (or its RTX) that restarts with a new SSRC replaces the old.
      uint32_t& bound = repaired ? t.layer_rtx_ssrc[i] : t.layer_ssrc[i];
      if (bound != 0) track_by_ssrc_.erase(slot, bound);
      const uint32_t v = stream_value(ti, repaired ? kRoleRtx : 1u + i);
      if (!track_by_ssrc_.insert(slot, h.ssrc, v)) {
        bound = 0;
        return SsrcMap::kNone;
      }
      if (!repaired && t.layers.current() == i) {
        // The layer forwarded restarted: start over (the next layer taken
        // waits for a keyframe; the old stream's NACK ring and statistics go
        // at that switch).
        t.layers.reset();
        t.ssrc = 0;
      }
      bound = h.ssrc;
      return v;
    }
    return SsrcMap::kNone;
  }
  return SsrcMap::kNone;
}

bool Fastpath::select_layer(Track& t, uint8_t layer, const uint8_t* rtp, const pkt::RtpHeader& h,
                            uint64_t now_us, TxStage& tx) {
  // Only a packet of another layer is looked into; a codec whose keyframes
  // we cannot see switches at once.
  const bool key = layer != t.layers.current() &&
                   (t.codec == pkt::VideoCodec::kOther ||
                    pkt::starts_keyframe(t.codec, {rtp + h.header_len, h.payload_len}));
  switch (t.layers.on_packet(layer, now_us, key)) {
    case LayerVerdict::kForward: return true;
    case LayerVerdict::kSkip: break;
    case LayerVerdict::kWantKeyframe: {
      // At most one request per layer per pli_throttle_ms: packets of two
      // waiting layers interleave, and the track's own throttle (per SSRC
      // asked last) would let every one of them through.
      uint64_t& last = t.layer_keyframe_req_us[layer];
      if (last == 0 || now_us - last >= uint64_t{limits_.pli_throttle_ms} * 1000u) {
        last = now_us == 0 ? 1 : now_us;
        request_keyframe(t, h.ssrc, false, now_us, tx);
      }
      break;
    }
    case LayerVerdict::kSwitch:
      t.ssrc = h.ssrc;
      // What referred to the old layer's stream: its packets kept for NACKs
      // (once this burst's protects that read them are done), its receive
      // statistics and sender report.
      settle_rtp(tx);
      t.ring->clear();
      t.stats = rtcp::ReceiveStats(t.clock_rate);
      t.have_sr = false;
      stats_->media.layer_switches.add(1);
      return true;
  }
  stats_->media.layer_skipped.add(1);
  return false;
}

void Fastpath::record_twcc(uint16_t slot, const uint8_t* rtp, const pkt::RtpHeader& h,
                           uint64_t now_us, TxStage& tx) {
  Participant& p = participants_[slot];
  const std::span<const uint8_t> seq =
      pkt::find_extension({rtp + h.ext_offset, h.ext_len}, h.ext_profile, p.twcc_ext);
  if (seq.size() != 2) return;
  p.last_media_ssrc = h.ssrc;
  if (twcc_[slot].full()) send_twcc(slot, tx);
  twcc_[slot].record(pkt::load_be16(seq.data()), now_us);
}

void Fastpath::send_twcc(uint16_t slot, TxStage& tx) {
  const Participant& p = participants_[slot];
  uint8_t buf[rtcp::TwccRecorder::kMaxReport];
  const std::size_t len = twcc_[slot].build(p.feedback_ssrc, p.last_media_ssrc, buf);
  if (len == 0) return;
  send_rtcp(slot, p.tx_rtcp, buf, len, tx);
  stats_->media.twcc_reports.add(1);
}

}  // namespace edgesfu::dp::fanout
