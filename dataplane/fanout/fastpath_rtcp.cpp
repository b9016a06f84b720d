// Fastpath: SRTCP in (receiver reports, sender reports, PLI/FIR, NACK, REMB,
// transport-cc), retransmissions, keyframe requests, and the periodic SR/RR.
#include <rte_ring_elem.h>

#include <algorithm>
#include <cstring>

#include "dataplane/fanout/fastpath.hpp"
#include "dataplane/munge/rtp_rewrite.hpp"
#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/rtcp/feedback.hpp"
#include "dataplane/rtcp/sr_translate.hpp"

namespace edgesfu::dp::fanout {

namespace {
constexpr std::size_t kMaxRtcpOut = 512;
// Upstream NACKs: how often the trackers are looked at, and at most how many
// sequence numbers one NACK asks for (12 + 4 each bytes, scattered).
constexpr uint64_t kNackCheckUs = 5'000;
constexpr std::size_t kMaxNackSeqs = 64;
}  // namespace

void Fastpath::queue_rtcp(uint16_t participant, srtp::Session* s, const uint8_t* rtcp,
                          std::size_t len, TxStage& tx) {
  if (s == nullptr) return;
  PendingOut& po = rtcp_pending_[nrtcp_pending_];
  uint8_t* out = begin_out(participant, static_cast<uint32_t>(len), po);
  if (out == nullptr) return;
  po.downtrack = kNoIndex;
  std::memcpy(out, rtcp, len);
  rtcp_ops_[nrtcp_pending_] = srtp::Op{
      out, static_cast<uint32_t>(len),
      static_cast<uint32_t>(rte_pktmbuf_tailroom(po.m) - po.hdr_len), s, srtp::Status::kError};
  if (++nrtcp_pending_ == kBatch) flush_rtcp(tx);
}

void Fastpath::flush_rtcp(TxStage& tx) {
  if (nrtcp_pending_ == 0) return;
  engine_->protect_rtcp({rtcp_ops_, nrtcp_pending_});
  uint64_t sent = 0;
  for (uint16_t i = 0; i < nrtcp_pending_; ++i) {
    PendingOut& po = rtcp_pending_[i];
    const srtp::Op& op = rtcp_ops_[i];
    if (op.status != srtp::Status::kOk) {
      drop(srtp_drop(op.status));
      rte_pktmbuf_free(po.m);
      continue;
    }
    pkt::write_udp_headers(rte_pktmbuf_mtod(po.m, uint8_t*), participants_[po.participant].path,
                           static_cast<uint16_t>(op.len));
    po.m->data_len = static_cast<uint16_t>(po.hdr_len + op.len);
    po.m->pkt_len = po.m->data_len;
    tx.push(po.m);
    ++sent;
  }
  stats_->media.rtcp_out.add(sent);
  nrtcp_pending_ = 0;
}

void Fastpath::request_keyframe(Track& t, bool fir, uint64_t now_us, TxStage& tx) {
  request_keyframe(t, t.ssrc, fir, now_us, tx);
}

void Fastpath::request_keyframe(Track& t, uint32_t media_ssrc, bool fir, uint64_t now_us,
                                TxStage& tx) {
  if (!rtcp::keyframe_request_due(t.last_keyframe_req_us, t.last_keyframe_ssrc, media_ssrc, now_us,
                                  uint64_t{limits_.pli_throttle_ms} * 1000u)) {
    return;
  }
  t.last_keyframe_req_us = now_us == 0 ? 1 : now_us;
  t.last_keyframe_ssrc = media_ssrc;
  Participant& pub = participants_[t.participant];
  uint8_t buf[32];
  const std::size_t len = fir ? pkt::build_fir(buf, pub.feedback_ssrc, media_ssrc, pub.fir_seq++)
                              : pkt::build_pli(buf, pub.feedback_ssrc, media_ssrc);
  send_rtcp(t.participant, pub.tx_rtcp, buf, len, tx);
  stats_->media.keyframe_requests.add(1);
}

void Fastpath::retransmit(Downtrack& d, uint16_t out_seq, TxStage& tx) {
  uint16_t in_seq = 0;
  RtxEntry e;
  Track& t = tracks_[d.track];
  if (!d.munger.unmap_seq(out_seq, in_seq) || !t.ring->get(in_seq, e)) {
    stats_->media.nack_miss.add(1);
    return;
  }
  const uint8_t* src = rte_pktmbuf_mtod_offset(e.m, const uint8_t*, e.off);
  pkt::RtpHeader h;
  if (pkt::parse_rtp({src, e.len}, h) != pkt::RtpError::kOk) return;  // parsed once already
  // On the RTX stream when the subscriber has one (RFC 4588), else as the
  // original again.
  const bool rtx = d.rtx_ssrc != 0 && d.tx_rtx != nullptr;
  const uint32_t out_len = rtx ? munge::rtx_len(h) : e.len;
  PendingOut& po = pending_[npending_];
  uint8_t* out = begin_out(d.subscriber, out_len, po);
  if (out == nullptr) return;
  po.downtrack = kNoIndex;
  const uint32_t ts = d.munger.translate_ts(h.timestamp);
  const pkt::ExtIdMap* ext = d.ext_identity ? nullptr : &d.ext_map;
  if (rtx) {
    munge::write_rtx(out, src, h, {d.rtx_pt, d.rtx_seq++, ts, d.rtx_ssrc, ext}, out_seq);
  } else {  // the payload as fan-out copies it: by the cipher (Op::src)
    munge::write_forward_header(out, src, h, {d.pt_map[h.payload_type], out_seq, ts, d.ssrc, ext});
  }
  ops_[npending_] = srtp::Op{out,
                             out_len,
                             static_cast<uint32_t>(rte_pktmbuf_tailroom(po.m) - po.hdr_len),
                             rtx ? d.tx_rtx : d.tx,
                             srtp::Status::kError,
                             rtx ? nullptr : src};
  ++npending_;
  stats_->media.rtx_out.add(1);
  if (npending_ == kBatch) flush_rtp(tx);
}

void Fastpath::handle_rtcp_compound(uint16_t slot, const uint8_t* p, uint32_t len, uint64_t now_us,
                                    TxStage& tx) {
  rtcp::FeedbackActions& a = feedback_;
  if (rtcp::decide({p, len}, a) != pkt::RtcpError::kOk) {
    drop(DropReason::kRtcpMalformed);
    return;
  }
  if (a.over_capacity != 0) stats_->media.rtcp_over_capacity.add(a.over_capacity);
  Participant& part = participants_[slot];
  // A publisher's SR: kept for LSR/DLSR and for translating our SRs; only
  // the stream forwarded, whose SR maps the timestamps subscribers get.
  for (int i = 0; i < a.n_sr; ++i) {
    const pkt::SenderInfo& si = a.sr[i];
    const uint32_t v = track_by_ssrc_.find(slot, si.ssrc);
    if (v == SsrcMap::kNone || stream_role(v) == kRoleRtx) continue;
    Track& t = tracks_[stream_track(v)];
    if (t.ssrc != si.ssrc) continue;
    t.stats.on_sender_report(si.ntp, now_us);
    t.last_sr = si;
    t.last_sr_us = now_us;
    t.have_sr = true;
  }
  // One lookup per run of sequence numbers for the same stream (one per
  // NACK packet), not one per sequence number.
  uint32_t nack_di = SsrcMap::kNone;
  for (int i = 0; i < a.n_nacks; ++i) {
    if (i == 0 || a.nacks[i].media_ssrc != a.nacks[i - 1].media_ssrc)
      nack_di = downtrack_by_ssrc_.find(slot, a.nacks[i].media_ssrc);
    if (nack_di != SsrcMap::kNone) retransmit(downtracks_[nack_di], a.nacks[i].seq, tx);
  }
  for (int i = 0; i < a.n_keyframes; ++i) {
    const uint32_t di = downtrack_by_ssrc_.find(slot, a.keyframes[i].media_ssrc);
    if (di != SsrcMap::kNone)
      request_keyframe(tracks_[downtracks_[di].track], a.keyframes[i].fir, now_us, tx);
  }
  if (a.have_twcc) {
    part.twcc = a.twcc;
    part.have_twcc = true;
  }
  if (a.have_remb) {
    part.remb = a.remb;
    part.have_remb = true;
  }
  // Report blocks (in SR or RR) about what this participant receives from
  // us: its downtracks' loss, jitter and round-trip time.
  for (int i = 0; i < a.n_blocks; ++i) {
    const pkt::ReportBlock& rb = a.blocks[i];
    const uint32_t di = downtrack_by_ssrc_.find(slot, rb.ssrc);
    if (di == SsrcMap::kNone) continue;
    Downtrack& d = downtracks_[di];
    d.fraction_lost = rb.fraction_lost;
    d.cumulative_lost = rb.cumulative_lost;
    d.jitter = rb.jitter;
    // RFC 3550 §6.4.1 on the timeline of the SR the block refers to: our SRs
    // carry the publisher's NTP clock, not ours, so "now" is that SR's NTP
    // time plus what passed on our clock since we sent it.
    if (d.last_sr_ntp != 0 && rb.lsr == static_cast<uint32_t>(d.last_sr_ntp >> 16)) {
      const uint64_t since_us = now_us - d.last_sr_sent_us;
      const uint32_t rtt = rtcp::rtt_from_report(rb, d.last_sr_ntp + ((since_us << 32) / 1000000u));
      if (rtt != 0) d.rtt = rtt;
    }
  }
}

uint16_t Fastpath::unprotect_rtcp(rte_mbuf** pkts, pkt::UdpFrame* frames, uint16_t* slots,
                                  uint32_t* lens, uint16_t n, uint64_t now_us) {
  srtp::Op ops[kBatch];
  uint16_t kept = 0;
  for (uint16_t base = 0; base < n; base += kBatch) {
    const uint16_t k = inbound_ops(pkts, frames, slots, base, n, ops);
    engine_->unprotect_rtcp({ops, k});
    for (uint16_t i = 0; i < k; ++i) {
      const uint16_t j = static_cast<uint16_t>(base + i);
      if (ops[i].status != srtp::Status::kOk) {
        drop(srtp_drop(ops[i].status));
        rte_pktmbuf_free(pkts[j]);
        continue;
      }
      learn_path(slots[j], frames[j], now_us);
      pkts[kept] = pkts[j];
      frames[kept] = frames[j];
      slots[kept] = slots[j];
      lens[kept++] = ops[i].len;
    }
  }
  return kept;
}

void Fastpath::on_rtcp(rte_mbuf** pkts, const pkt::UdpFrame* frames, const uint16_t* slots,
                       const uint32_t* lens, uint16_t n, uint64_t now_us, TxStage& tx) {
  for (uint16_t i = 0; i < n; ++i) {
    stats_->media.rtcp_in.add(1);
    handle_rtcp_compound(slots[i],
                         rte_pktmbuf_mtod_offset(pkts[i], const uint8_t*, frames[i].payload_offset),
                         lens[i], now_us, tx);
    rte_pktmbuf_free(pkts[i]);
  }
  flush_rtp(tx);
}

void Fastpath::send_nacks(uint64_t now_us, TxStage& tx) {
  bool pending = false;
  uint8_t buf[kMaxRtcpOut];
  for (uint16_t ti = 0; ti < limits_.max_tracks; ++ti) {
    Track& t = tracks_[ti];
    if (!t.used || !t.nack_on || t.nack.missing() == 0) continue;
    uint16_t lost[kMaxNackSeqs];
    uint32_t gave_up = 0;
    const std::size_t k = t.nack.due(now_us, lost, gave_up);
    if (gave_up != 0) stats_->media.nack_gave_up.add(gave_up);
    pending = pending || t.nack.missing() != 0;
    if (k == 0) continue;
    const Participant& pub = participants_[t.participant];
    const std::size_t len = pkt::build_nack(buf, pub.feedback_ssrc, t.nack_ssrc, {lost, k});
    if (len == 0) continue;
    queue_rtcp(t.participant, pub.tx_rtcp, buf, len, tx);
    stats_->media.nack_sent.add(1);
    stats_->media.nack_seqs.add(k);
  }
  flush_rtcp(tx);
  nack_pending_ = pending;
}

void Fastpath::on_timer(uint64_t now_us, TxStage& tx) {
  if (nack_pending_ && now_us >= next_nack_us_) {
    next_nack_us_ = now_us + kNackCheckUs;
    send_nacks(now_us, tx);
  }
  if (now_us >= next_twcc_us_) {
    next_twcc_us_ = now_us + uint64_t{limits_.twcc_interval_ms} * 1000u;
    for (uint16_t pi = 0; pi < limits_.max_participants; ++pi) {
      if (participants_[pi].used && twcc_[pi].pending() != 0) send_twcc(pi, tx);
    }
  }
  if (now_us < next_report_us_) return;
  next_report_us_ = now_us + uint64_t{limits_.report_interval_ms} * 1000u;
  // Consent (RFC 7675): a peer that sent nothing, not even a STUN check, for
  // the idle timeout is reported once; the control thread ends its session.
  const uint64_t idle_us = uint64_t{limits_.idle_timeout_ms} * 1000u;
  for (uint16_t pi = 0; pi < limits_.max_participants; ++pi) {
    Participant& p = participants_[pi];
    if (!p.used || p.idle_reported) continue;
    if (p.last_seen_us == 0) p.last_seen_us = now_us;
    if (idle_us != 0 && now_us - p.last_seen_us >= idle_us) {
      control::Event ev{};
      ev.type = control::EventType::kFlowIdle;
      ev.slot = pi;
      ev.id = p.id;
      ev.generation = p.generation;
      if (rte_ring_sp_enqueue_elem(events_, &ev, sizeof ev) == 0) {
        p.idle_reported = true;
      } else {
        stats_->media.events_lost.add(1);
      }
    }
  }
  uint8_t buf[kMaxRtcpOut];
  for (uint16_t pi = 0; pi < limits_.max_participants; ++pi) {
    Participant& p = participants_[pi];
    p.q_any = false;
    p.q_loss_in = p.q_loss_out = 0;
    p.q_jitter_ms = p.q_rtt_ms = 0;
  }
  auto ms_of = [](uint32_t ticks, uint32_t clock) {
    const uint64_t ms = uint64_t{ticks} * 1000u / (clock == 0 ? 90000u : clock);
    return static_cast<uint16_t>(ms > 0xffff ? 0xffff : ms);
  };
  // RR to each publisher, one block per track it sends (RFC 3550 §6.4.2).
  for (uint16_t ti = 0; ti < limits_.max_tracks; ++ti) {
    Track& t = tracks_[ti];
    if (!t.used || !t.stats.started() || t.ssrc == 0) continue;
    const pkt::ReportBlock rb = t.stats.make_report(t.ssrc, now_us);
    Participant& pub = participants_[t.participant];
    pub.q_any = true;
    pub.q_loss_in = std::max(pub.q_loss_in, rb.fraction_lost);
    pub.q_jitter_ms = std::max(pub.q_jitter_ms, ms_of(rb.jitter, t.clock_rate));
    const std::size_t len = pkt::build_rr(buf, pub.feedback_ssrc, {&rb, 1});
    queue_rtcp(t.participant, pub.tx_rtcp, buf, len, tx);
  }
  // SR per downtrack, carrying the publisher's NTP<->RTP mapping (for lip sync)
  // moved forward to now and translated into the downtrack's timestamps.
  for (uint32_t di = 0; di < limits_.max_downtracks; ++di) {
    Downtrack& d = downtracks_[di];
    if (!d.used || d.packets == 0) continue;
    const Track& t = tracks_[d.track];
    // What the subscriber's receiver reports said of this downtrack.
    Participant& sub = participants_[d.subscriber];
    sub.q_any = true;
    sub.q_loss_out = std::max(sub.q_loss_out, d.fraction_lost);
    sub.q_jitter_ms = std::max(sub.q_jitter_ms, ms_of(d.jitter, t.clock_rate));
    sub.q_rtt_ms =
        std::max(sub.q_rtt_ms, static_cast<uint16_t>(std::min<uint32_t>(
                                   static_cast<uint32_t>(uint64_t{d.rtt} * 1000 >> 16), 0xffff)));
    if (!t.have_sr) continue;
    const pkt::SenderInfo si =
        rtcp::translate_sr(t.last_sr, t.last_sr_us, now_us, t.clock_rate, d.munger, d.ssrc,
                           static_cast<uint32_t>(d.packets), static_cast<uint32_t>(d.octets));
    const std::size_t len = pkt::build_sr(buf, si, {});
    queue_rtcp(d.subscriber, d.tx, buf, len, tx);
    d.last_sr_ntp = si.ntp;
    d.last_sr_sent_us = now_us;
  }
  flush_rtcp(tx);
  // Each participant's quality over this interval, to the control thread.
  for (uint16_t pi = 0; pi < limits_.max_participants; ++pi) {
    const Participant& p = participants_[pi];
    if (!p.used || !p.q_any) continue;
    control::Event ev{};
    ev.type = control::EventType::kQuality;
    ev.slot = pi;
    ev.id = p.id;
    ev.generation = p.generation;
    ev.loss_in = p.q_loss_in;
    ev.loss_out = p.q_loss_out;
    ev.jitter_ms = p.q_jitter_ms;
    ev.rtt_ms = p.q_rtt_ms;
    send_telemetry(ev);
  }
}

}  // namespace edgesfu::dp::fanout
