// Fastpath: SRTP in from publishers, fan-out to every downtrack, SRTP out.
#include <cstring>

#include "dataplane/fanout/fastpath.hpp"
#include "dataplane/munge/rtp_rewrite.hpp"
#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::fanout {

DropReason srtp_drop(srtp::Status s) {
  switch (s) {
    case srtp::Status::kAuthFail: return DropReason::kSrtpAuthFail;
    case srtp::Status::kReplay: return DropReason::kSrtpReplay;
    case srtp::Status::kMalformed: return DropReason::kSrtpMalformed;
    case srtp::Status::kUnknownSsrc: return DropReason::kSrtpUnknownSsrc;
    case srtp::Status::kNoRoom: return DropReason::kTooBig;
    default: return DropReason::kSrtpError;
  }
}

uint16_t Fastpath::inbound_ops(rte_mbuf** pkts, const pkt::UdpFrame* frames, const uint16_t* slots,
                               uint16_t base, uint16_t n, srtp::Op* ops) const {
  const uint16_t k = static_cast<uint16_t>(n - base < kBatch ? n - base : kBatch);
  for (uint16_t i = 0; i < k; ++i) {
    const pkt::UdpFrame& f = frames[base + i];
    ops[i] =
        srtp::Op{rte_pktmbuf_mtod_offset(pkts[base + i], uint8_t*, f.payload_offset), f.payload_len,
                 f.payload_len, participants_[slots[base + i]].rx, srtp::Status::kError};
  }
  return k;
}

void Fastpath::learn_path(uint16_t slot, const pkt::UdpFrame& f, uint64_t now_us) {
  Participant& p = participants_[slot];
  p.last_seen_us = now_us;
  // The reply path: our MAC and address as the peer addressed us, the peer's
  // as it sent. Checked every frame (cheap), rewritten only when it changes.
  if (!p.path_known || p.path.dst_mac != f.src_mac || p.path.src_mac != f.dst_mac ||
      !(p.path.src == f.dst)) {
    p.path = pkt::UdpPath::reply_to(f);
    p.path_set();
    stats_->media.path_changes.add(1);
  }
}

void Fastpath::learn_from_kernel(uint16_t slot, const pkt::UdpFrame& k, bool consent,
                                 uint64_t now_us) {
  Participant& p = participants_[slot];
  if (consent) p.last_seen_us = now_us;
  if (!p.path_known || p.path.dst_mac != k.dst_mac || p.path.src_mac != k.src_mac ||
      !(p.path.src == k.src)) {
    p.path.src_mac = k.src_mac;
    p.path.dst_mac = k.dst_mac;
    p.path.src = k.src;
    p.path.dst = k.dst;
    p.path.src_port = k.src_port;
    p.path.dst_port = k.dst_port;
    p.path_set();
    stats_->media.path_changes.add(1);
  }
}

uint8_t* Fastpath::begin_out(uint16_t participant, uint32_t max_len, PendingOut& po) {
  const Participant& p = participants_[participant];
  if (!p.path_known) {
    drop(DropReason::kNoPath);
    return nullptr;
  }
  const uint16_t hdr = p.hdr_len;
  rte_mbuf* m = take_mbuf();
  if (m == nullptr) {
    drop(DropReason::kNoMbuf);
    return nullptr;
  }
  if (hdr + max_len + srtp::kMaxTrailer > rte_pktmbuf_tailroom(m)) {
    rte_pktmbuf_free(m);
    drop(DropReason::kTooBig);
    return nullptr;
  }
  po.m = m;
  po.participant = participant;
  po.hdr_len = hdr;
  return rte_pktmbuf_mtod(m, uint8_t*) + hdr;
}

// Protects every pending RTP packet, writes its headers and stages it.
void Fastpath::flush_rtp(TxStage& tx) {
  if (npending_ == 0) return;
  engine_->protect_rtp({ops_, npending_});
  for (uint16_t i = 0; i < npending_; ++i) {
    PendingOut& po = pending_[i];
    const srtp::Op& op = ops_[i];
    if (op.status != srtp::Status::kOk) {
      drop(srtp_drop(op.status));
      rte_pktmbuf_free(po.m);
      continue;
    }
    const Participant& p = participants_[po.participant];
    uint8_t* frame = rte_pktmbuf_mtod(po.m, uint8_t*);
    p.hdr.write(frame, p.path, static_cast<uint16_t>(op.len));
    po.m->data_len = static_cast<uint16_t>(po.hdr_len + op.len);
    po.m->pkt_len = po.m->data_len;
    tx.push(po.m);
    if (po.downtrack != kNoIndex) {
      Downtrack& d = downtracks_[po.downtrack];
      ++d.packets;
      d.octets += op.len;
    }
  }
  stats_->media.rtp_out.add(npending_);
  npending_ = 0;
}

// What fan-out reads of a downtrack: its first line and the munger's.
void Fastpath::prefetch_downtrack(uint32_t di) const {
  const char* b = reinterpret_cast<const char*>(&downtracks_[di]);
  __builtin_prefetch(b, 1);
  __builtin_prefetch(b + offsetof(Downtrack, munger), 1);
}

void Fastpath::fan_out(const Track& t, const uint8_t* rtp, uint32_t len, const pkt::RtpHeader& h,
                       uint64_t now_us, TxStage& tx) {
  // A two-deep prefetch pipeline down the list: the downtrack after next
  // (whose index the prefetched next one holds), and for the next one what
  // the protect and the headers will read (its session, its subscriber).
  if (t.first_downtrack != kNoIndex) {
    prefetch_downtrack(t.first_downtrack);
    const uint32_t second = downtracks_[t.first_downtrack].next;
    if (second != kNoIndex) prefetch_downtrack(second);
  }
  for (uint32_t di = t.first_downtrack; di != kNoIndex; di = downtracks_[di].next) {
    Downtrack& d = downtracks_[di];
    if (d.next != kNoIndex) {
      const Downtrack& nd = downtracks_[d.next];
      if (nd.next != kNoIndex) prefetch_downtrack(nd.next);
      __builtin_prefetch(nd.tx);
      __builtin_prefetch(&participants_[nd.subscriber]);
    }
    if (d.paused) continue;  // unsubscribed for now (it resumes as a new epoch)
    munge::MungeOut mo;
    if (d.munger.munge(h.ssrc, h.seq, h.timestamp, now_us, t.clock_rate, mo) !=
        munge::MungeVerdict::kForward) {
      drop(DropReason::kMungeTooOld);
      continue;
    }
    PendingOut& po = pending_[npending_];
    uint8_t* out = begin_out(d.subscriber, len, po);
    if (out == nullptr) continue;
    po.downtrack = di;
    // The one copy per subscriber (DESIGN.md §1): the header rewritten as it
    // is copied, the payload copied by the cipher as it encrypts (Op::src).
    munge::write_forward_header(
        out, rtp, h,
        {d.map_pt(h.payload_type), mo.seq, mo.ts, d.ssrc, d.ext_identity ? nullptr : &d.ext_map});
    ops_[npending_] = srtp::Op{out,
                               len,
                               static_cast<uint32_t>(rte_pktmbuf_tailroom(po.m) - po.hdr_len),
                               d.tx,
                               srtp::Status::kError,
                               rtp};
    if (++npending_ == kBatch) flush_rtp(tx);
  }
}

void Fastpath::on_rtp(rte_mbuf** pkts, const pkt::UdpFrame* frames, const uint16_t* slots,
                      uint16_t n, uint64_t now_us, TxStage& tx) {
  // Decrypt the whole burst in place (one engine call).
  srtp::Op ops[kBatch];
  for (uint16_t base = 0; base < n; base += kBatch) {
    const uint16_t k = inbound_ops(pkts, frames, slots, base, n, ops);
    engine_->unprotect_rtp({ops, k});
    for (uint16_t i = 0; i < k; ++i) {
      rte_mbuf* m = pkts[base + i];
      if (ops[i].status != srtp::Status::kOk) {
        drop(srtp_drop(ops[i].status));
        rte_pktmbuf_free(m);
        continue;
      }
      // Authentic: the sender's path and a sign of life.
      learn_path(slots[base + i], frames[base + i], now_us);
      const uint8_t* rtp = ops[i].data;
      const uint32_t len = ops[i].len;
      pkt::RtpHeader h;
      if (pkt::parse_rtp({rtp, len}, h) != pkt::RtpError::kOk) {
        drop(DropReason::kRtpMalformed);
        rte_pktmbuf_free(m);
        continue;
      }
      const uint16_t slot = slots[base + i];
      // Every packet on the transport counts for congestion feedback,
      // whatever its stream (RTX probes too).
      if (h.has_extension && participants_[slot].twcc_ext != 0)
        record_twcc(slot, rtp, h, now_us, tx);
      uint32_t v = track_by_ssrc_.find(slot, h.ssrc);
      if (v == SsrcMap::kNone) v = bind_stream(slot, rtp, h);
      if (v == SsrcMap::kNone) {
        drop(DropReason::kRtpUnknownSsrc);
        rte_pktmbuf_free(m);
        continue;
      }
      Track& t = tracks_[stream_track(v)];
      const uint32_t role = stream_role(v);
      uint8_t* data = ops[i].data;
      uint32_t n_len = len;
      if (role == kRoleRtx) {
        // The publisher's retransmissions and bandwidth probes: one that
        // carries a packet we do not have goes on as that packet; the rest
        // no further (we keep our own packets for subscribers' NACKs).
        if (!repair_from_rtx(t, data, n_len, h, now_us)) {
          stats_->media.rtx_in_ignored.add(1);
          rte_pktmbuf_free(m);
          continue;
        }
      } else if (role != kRoleStream &&
                 !select_layer(t, static_cast<uint8_t>(role - 1), rtp, h, now_us, tx)) {
        rte_pktmbuf_free(m);
        continue;
      } else {
        track_arrival(t, h, now_us);
      }
      stats_->media.rtp_in.add(1);
      t.stats.on_packet(h.seq, h.timestamp, now_us, n_len);
      fan_out(t, data, n_len, h, now_us, tx);
      if (t.level_ext != 0 && h.has_extension) observe_level(t, stream_track(v), data, h);
      // The plaintext stays for NACKs: the ring takes this reference (no
      // copy), once the protects that read it are done.
      const auto off =
          static_cast<uint16_t>(frames[base + i].payload_offset + (data - ops[i].data));
      hold_for_rtx(t, h.seq, RtxEntry{m, off, static_cast<uint16_t>(n_len)}, tx);
    }
  }
  settle_rtp(tx);
}

void Fastpath::hold_for_rtx(Track& t, uint16_t seq, const RtxEntry& e, TxStage& tx) {
  if (nheld_ == kMaxHeld) settle_rtp(tx);
  held_[nheld_++] = Held{t.ring, seq, e};
}

void Fastpath::settle_rtp(TxStage& tx) {
  flush_rtp(tx);
  for (uint16_t i = 0; i < nheld_; ++i) held_[i].ring->put(held_[i].seq, held_[i].e);
  nheld_ = 0;
}

void Fastpath::track_arrival(Track& t, const pkt::RtpHeader& h, uint64_t now_us) {
  t.media_pt = h.payload_type;
  if (!t.nack_on) return;
  if (h.ssrc != t.nack_ssrc) {  // first packet, or another simulcast layer
    t.nack.reset();
    t.nack_ssrc = h.ssrc;
  }
  // A duplicate never gets here (SRTP's replay check drops it); an old
  // packet past giving up goes on (still of use to a jitter buffer).
  t.nack.on_packet(h.seq, now_us);
  if (t.nack.missing() != 0) nack_pending_ = true;
}

bool Fastpath::repair_from_rtx(Track& t, uint8_t*& rtp, uint32_t& len, pkt::RtpHeader& h,
                               uint64_t now_us) {
  if (!t.nack_on || t.ssrc == 0 || t.nack_ssrc != t.ssrc) return false;
  // Only the RTX of the stream forwarded (with layers, the current one's).
  bool ours = h.ssrc == t.rtx_ssrc && t.nlayers == 0;
  for (uint8_t i = 0; i < t.nlayers && !ours; ++i) {
    ours = t.layer_rtx_ssrc[i] == h.ssrc && t.layer_ssrc[i] == t.ssrc;
  }
  uint16_t osn = 0;
  if (!ours || !munge::rtx_osn(rtp, h, osn)) return false;  // a padding-only probe
  // One we never had goes on: asked for, or newer than any yet (a probe
  // that carries a packet whose original was lost or is still on the way);
  // an OSN far ahead is no packet of this stream.
  if (!t.nack.could_be_due(osn) ||
      t.nack.on_packet(osn, now_us) == rtcp::NackTracker::Arrival::kOld) {
    return false;
  }
  if (t.nack.missing() != 0) nack_pending_ = true;
  munge::rtx_restore(rtp, len, h, osn, t.media_pt, t.ssrc);  // the original, in place
  if (pkt::parse_rtp({rtp, len}, h) != pkt::RtpError::kOk) return false;
  stats_->media.rtx_in_repaired.add(1);
  return true;
}

}  // namespace edgesfu::dp::fanout
