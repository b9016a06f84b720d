#include "dataplane/worker/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include "dataplane/control/command.hpp"
#include "dataplane/pkt/demux.hpp"
#include "dataplane/punt/punt_policy.hpp"

namespace edgesfu::dp {

namespace {

Counter& drop(LcoreStats& s, DropReason r) { return s.drops[static_cast<std::size_t>(r)]; }

// Sends `n` packets on (port, queue); frees and counts what the queue refuses.
// Consumes the mbufs.
uint16_t send_all(uint16_t port, uint16_t queue, rte_mbuf** pkts, uint16_t n, DirectionStats& st,
                  Counter& dropped) {
  if (n == 0) return 0;
  const uint16_t sent = rte_eth_tx_burst(port, queue, pkts, n);
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < sent; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  if (sent < n) {
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    dropped.add(n - sent);
  }
  st.tx_pkts.add(sent);
  st.tx_bytes.add(bytes);
  return sent;
}

// Per-burst scratch, on the lcore's stack.
struct Sorted {
  rte_mbuf* punt[kMaxBurst];
  uint16_t npunt = 0;
  rte_mbuf* rtp[kMaxBurst];
  pkt::UdpFrame rtp_frames[kMaxBurst];
  uint16_t rtp_slots[kMaxBurst];
  uint16_t nrtp = 0;
  rte_mbuf* rtcp[kMaxBurst];
  pkt::UdpFrame rtcp_frames[kMaxBurst];
  uint16_t rtcp_slots[kMaxBurst];
  uint32_t rtcp_lens[kMaxBurst];
  uint16_t nrtcp = 0;
  rte_mbuf* handoff[kMaxBurst];  // frames of flows another lcore owns
  uint16_t handoff_to[kMaxBurst];
  uint16_t nhandoff = 0;
};

// A kernel frame to a flow this lcore owns.
void learn_kernel_flow(Worker& w, const flow::FlowRef& ref, const pkt::UdpFrame& f, rte_mbuf* m,
                       uint64_t now_us) {
  if (!w.fastpath->valid(ref)) return;
  const uint8_t* p = rte_pktmbuf_mtod_offset(m, const uint8_t*, f.payload_offset);
  // A Binding success response (0x0101): the ICE agent validated a check.
  const bool consent = f.payload_len >= 20 && p[0] == 0x01 && p[1] == 0x01;
  w.fastpath->learn_from_kernel(ref.slot, f, consent, now_us);
}

// Punts or drops a frame the fast path did not take, as the punt policy
// judges it: per-source limiter (unless exempt), then the worker's budget at
// the frame's priority. Consumes the mbuf.
void punt_or_drop(Worker& w, Sorted& s, rte_mbuf* m, pkt::FrameKind kind, const pkt::UdpFrame& f,
                  pkt::UdpClass cls, bool flow_hit, uint64_t tsc) {
  const std::span<const uint8_t> payload =
      kind == pkt::FrameKind::kUdp
          ? std::span<const uint8_t>{rte_pktmbuf_mtod_offset(m, const uint8_t*, f.payload_offset),
                                     f.payload_len}
          : std::span<const uint8_t>{};
  const punt::Verdict v = punt::judge(w.rules, kind, f, cls, payload, flow_hit);
  DropReason why = v.drop;
  if (v.punt) {
    const bool data = v.priority == punt::Priority::kFlowData;
    punt::SourceLimiter* lim = v.priority == punt::Priority::kTcpSyn ? w.syn_limiter
                               : data                                ? w.flow_limiter
                                                                     : w.limiter;
    if (v.limit && lim != nullptr && !lim->allow(v.key.b, v.key.len, tsc)) {
      why = DropReason::kPuntRateLimited;
    } else if (data ? w.flow_budget_enabled && !w.flow_budget.take(tsc)
                    : w.budget_enabled && !w.budget.take(v.priority, tsc)) {
      why = DropReason::kPuntBudget;
    } else {
      s.punt[s.npunt++] = m;
      switch (v.priority) {
        case punt::Priority::kSession: w.stats.media.punted_session.add(1); break;
        case punt::Priority::kTcpConnected: w.stats.media.punted_tcp.add(1); break;
        case punt::Priority::kTcpSyn: w.stats.media.punted_syn.add(1); break;
        case punt::Priority::kFlowData: w.stats.media.punted_data.add(1); break;
        default: w.stats.media.punted_other.add(1); break;
      }
      return;
    }
  }
  drop(w.stats, why).add(1);
  rte_pktmbuf_free(m);
}

// Sorts received frames: fast path, hand-off, or punt. Consumes the mbufs.
void sort_burst(Worker& w, rte_mbuf** pkts, uint16_t n, uint64_t tsc, Sorted& s) {
  pkt::UdpFrame frames[kMaxBurst];
  pkt::UdpClass classes[kMaxBurst];
  const flow::FlowKey* keyp[flow::kLookupBurst];
  flow::FlowKey keys[flow::kLookupBurst];
  uint16_t idx[flow::kLookupBurst];
  for (uint16_t base = 0; base < n; base += flow::kLookupBurst) {
    const uint32_t left = static_cast<uint32_t>(n - base);
    const uint16_t end =
        static_cast<uint16_t>(left > flow::kLookupBurst ? base + flow::kLookupBurst : n);
    uint16_t nk = 0;
    for (uint16_t i = base; i < end; ++i) {
      rte_mbuf* m = pkts[i];
      pkt::UdpFrame& f = frames[i];
      f = pkt::UdpFrame{};
      const pkt::FrameKind kind =
          pkt::parse_udp_frame({rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)}, f);
      RxClass rc = RxClass::non_udp;
      classes[i] = pkt::UdpClass::kUnknown;
      if (kind == pkt::FrameKind::kUdp) {
        classes[i] = pkt::classify_udp_payload(
            {rte_pktmbuf_mtod_offset(m, const uint8_t*, f.payload_offset), f.payload_len});
        switch (classes[i]) {
          case pkt::UdpClass::kRtp: rc = RxClass::rtp; break;
          case pkt::UdpClass::kRtcp: rc = RxClass::rtcp; break;
          case pkt::UdpClass::kStun: rc = RxClass::stun; break;
          case pkt::UdpClass::kDtls: rc = RxClass::dtls; break;
          default: rc = RxClass::other_udp; break;
        }
      }
      PktBytes& cls = w.stats.rx_class[static_cast<std::size_t>(rc)];
      cls.pkts.add(1);
      cls.bytes.add(rte_pktmbuf_pkt_len(m));
      if (kind == pkt::FrameKind::kUdp && w.flows != nullptr && punt::addressed_to_us(w.rules, f)) {
        keys[nk] = flow::FlowKey::of(f);
        keyp[nk] = &keys[nk];
        idx[nk++] = i;
      } else {
        // Malformed, not for us, not UDP, fragments, or no fast path.
        punt_or_drop(w, s, m, kind, f, classes[i], false, tsc);
      }
    }
    if (nk == 0) continue;
    flow::FlowRef refs[flow::kLookupBurst];
    const uint64_t hits = w.flows->lookup_burst(keyp, nk, refs);
    for (uint16_t k = 0; k < nk; ++k) {
      const uint16_t i = idx[k];
      rte_mbuf* m = pkts[i];
      const pkt::UdpFrame& f = frames[i];
      const flow::FlowRef ref = refs[k];
      if (((hits >> k) & 1) != 0 && ref.worker != w.index) {
        // Another lcore owns the room: hand the packet over (DESIGN.md §2),
        // with the burst's others for that lcore (hand_off).
        if (ref.worker < w.workers && w.handoff[ref.worker] != nullptr) {
          s.handoff[s.nhandoff] = m;
          s.handoff_to[s.nhandoff++] = ref.worker;
        } else {
          drop(w.stats, DropReason::kHandoffFull).add(1);
          rte_pktmbuf_free(m);
        }
        continue;
      }
      // A miss, or looked up just before its participant went (a miss now).
      const bool live = ((hits >> k) & 1) != 0 && w.fastpath->valid(ref);
      const pkt::UdpClass c = classes[i];
      if (live && c == pkt::UdpClass::kRtp) {
        s.rtp[s.nrtp] = m;
        s.rtp_frames[s.nrtp] = f;
        s.rtp_slots[s.nrtp++] = ref.slot;
      } else if (live && c == pkt::UdpClass::kRtcp) {
        s.rtcp[s.nrtcp] = m;
        s.rtcp_frames[s.nrtcp] = f;
        s.rtcp_slots[s.nrtcp++] = ref.slot;
      } else {
        punt_or_drop(w, s, m, pkt::FrameKind::kUdp, f, c, live, tsc);
      }
    }
  }
}

// Hands a burst's frames for other lcores over, one enqueue per lcore: an MP
// ring's head claim and tail wait are paid per enqueue, not per packet.
// Arrival order is kept per lcore. What a full ring refuses is dropped and
// counted.
void hand_off(Worker& w, Sorted& s) {
  uint16_t left = s.nhandoff;
  while (left != 0) {
    const uint16_t to = s.handoff_to[0];
    void* batch[kMaxBurst];
    uint16_t nb = 0, rest = 0;
    for (uint16_t i = 0; i < left; ++i) {
      if (s.handoff_to[i] == to) {
        batch[nb++] = s.handoff[i];
      } else {
        s.handoff[rest] = s.handoff[i];
        s.handoff_to[rest++] = s.handoff_to[i];
      }
    }
    left = rest;
    const unsigned sent = rte_ring_mp_enqueue_burst(w.handoff[to], batch, nb, nullptr);
    w.stats.media.handed_off.add(sent);
    if (sent < nb) {
      drop(w.stats, DropReason::kHandoffFull).add(nb - sent);
      rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(batch + sent), nb - sent);
    }
  }
  s.nhandoff = 0;
}

// The kernel's frames (exception RX), before they go to the wire: a UDP
// frame to a live participant's flow teaches its owner the path the slow
// path chose (and, a STUN success response, that its check passed); a flow
// of another lcore gets the frame handed over, tagged, to learn and send.
// Compacts `pkts` to what this lcore sends; returns how many.
uint16_t route_kernel_frames(Worker& w, rte_mbuf** pkts, uint16_t n, uint64_t now_us) {
  if (w.fastpath == nullptr) return n;
  uint16_t out = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    pkt::UdpFrame f;
    const pkt::FrameKind k =
        pkt::parse_udp_frame({rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)}, f);
    if (k != pkt::FrameKind::kMalformed && f.dst.family != 0) w.fastpath->learn_kernel_frame(f);
    if (k == pkt::FrameKind::kUdp) {
      const flow::FlowKey key = flow::FlowKey::make(f.dst, f.dst_port, f.src_port);
      const flow::FlowKey* kp = &key;
      flow::FlowRef ref;
      if (w.flows->lookup_burst(&kp, 1, &ref) != 0) {
        if (ref.worker == w.index) {
          learn_kernel_flow(w, ref, f, m, now_us);
        } else if (ref.worker < w.workers &&
                   rte_ring_mp_enqueue(w.handoff[ref.worker], tag_kernel(m)) == 0) {
          w.stats.media.handed_off.add(1);
          continue;
        }
      }
    }
    pkts[out++] = m;
  }
  return out;
}

// Counts a received burst (packets and bytes) on one direction.
inline void count_rx(DirectionStats& d, rte_mbuf* const* pkts, uint16_t n) {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  d.rx_pkts.add(n);
  d.rx_bytes.add(bytes);
}

// Handles one burst from the wire or the hand-off ring. Consumes the mbufs.
void handle_burst(Worker& w, rte_mbuf** pkts, uint16_t n, uint64_t tsc, uint64_t now_us) {
  Sorted s;
  sort_burst(w, pkts, n, tsc, s);
  if (s.nhandoff != 0) hand_off(w, s);
  w.stats.media.punted.add(s.npunt);
  send_all(w.exception_port, w.queue, s.punt, s.npunt, w.stats.wire_to_exception,
           drop(w.stats, DropReason::kExceptionTxFull));
  // SRTCP authenticates first (subscribers' paths), media fans out, then the
  // RTCP is acted on (NACKs find this burst's packets).
  if (s.nrtcp != 0) {
    s.nrtcp = w.fastpath->unprotect_rtcp(s.rtcp, s.rtcp_frames, s.rtcp_slots, s.rtcp_lens, s.nrtcp,
                                         now_us);
  }
  if (s.nrtp != 0) w.fastpath->on_rtp(s.rtp, s.rtp_frames, s.rtp_slots, s.nrtp, now_us, w.tx);
  if (s.nrtcp != 0) {
    w.fastpath->on_rtcp(s.rtcp, s.rtcp_frames, s.rtcp_slots, s.rtcp_lens, s.nrtcp, now_us, w.tx);
  }
}

}  // namespace

uint16_t worker_poll_once(Worker& w) {
  const uint64_t tsc = rte_rdtsc();
  const uint64_t now_us = tsc / (w.tsc_hz / 1000000u == 0 ? 1 : w.tsc_hz / 1000000u);
  uint16_t total = 0;

  if (w.fastpath != nullptr) {
    control::Command cmds[kCommandsPerLoop];
    const unsigned nc = rte_ring_sc_dequeue_burst_elem(w.commands, cmds, sizeof(control::Command),
                                                       kCommandsPerLoop, nullptr);
    for (unsigned i = 0; i < nc; ++i) w.fastpath->apply(cmds[i], now_us, w.tx);
    void* handed[kMaxBurst];
    const unsigned nh = rte_ring_sc_dequeue_burst(w.handoff[w.index], handed, w.burst, nullptr);
    if (nh != 0) {
      // Wire frames of our flows, and (tagged) the kernel's frames to them.
      rte_mbuf* wire[kMaxBurst];
      rte_mbuf* kernel[kMaxBurst];
      uint16_t nw = 0, nk = 0;
      for (unsigned i = 0; i < nh; ++i) {
        if (is_kernel_tagged(handed[i])) {
          kernel[nk++] = untag(handed[i]);
        } else {
          wire[nw++] = static_cast<rte_mbuf*>(handed[i]);
        }
      }
      if (nw != 0) handle_burst(w, wire, nw, tsc, now_us);
      if (nk != 0) {
        nk = route_kernel_frames(w, kernel, nk, now_us);
        send_all(w.wire_port, w.queue, kernel, nk, w.stats.exception_to_wire,
                 drop(w.stats, DropReason::kWireTxFull));
      }
      total = static_cast<uint16_t>(total + nh);
    }
  }

  rte_mbuf* pkts[kMaxBurst];
  const uint16_t n = rte_eth_rx_burst(w.wire_port, w.queue, pkts, w.burst);
  if (n != 0) {
    count_rx(w.stats.wire_to_exception, pkts, n);
    handle_burst(w, pkts, n, tsc, now_us);
    total = static_cast<uint16_t>(total + n);
  }

  if (w.fastpath != nullptr) {
    w.fastpath->on_timer(now_us, w.tx);
    // Flush what the fast path produced in this iteration.
    w.tx.flush();
  }

  // The kernel's replies go out of the wire as they are.
  const uint16_t ne = rte_eth_rx_burst(w.exception_port, w.queue, pkts, w.burst);
  if (ne != 0) {
    count_rx(w.stats.exception_to_wire, pkts, ne);
    const uint16_t mine = route_kernel_frames(w, pkts, ne, now_us);
    send_all(w.wire_port, w.queue, pkts, mine, w.stats.exception_to_wire,
             drop(w.stats, DropReason::kWireTxFull));
    total = static_cast<uint16_t>(total + ne);
  }
  return total;
}

int worker_main(void* arg) {
  auto& w = *static_cast<Worker*>(arg);
  if (w.flows != nullptr) w.flows->register_reader(w.index);
  if (w.fastpath != nullptr && !w.fastpath->prepare_lcore()) {
    RTE_LOG(ERR, USER1, "worker %u: the SRTP engine could not set up this lcore\n", w.index);
  }
  uint64_t busy = 0, idle = 0, loops = 0;
  uint32_t idle_loops = 0;
  uint64_t prev = rte_rdtsc();
  while (!w.stop->load(std::memory_order_relaxed)) {
    const uint16_t n = worker_poll_once(w);
    // A CPU shared with other work: back off while nothing arrives (the
    // first packet after a pause waits at most idle_sleep_us).
    idle_loops = n != 0 ? 0 : idle_loops + 1;
    if (w.idle_sleep_us != 0 && idle_loops >= 64) rte_delay_us_sleep(w.idle_sleep_us);
    // No flow reference is held across iterations: a quiescent point.
    if (w.flows != nullptr) w.flows->quiescent(w.index);
    const uint64_t now = rte_rdtsc();
    (n != 0 ? busy : idle) += now - prev;
    prev = now;
    // Publish the cycle counters every 1024 loops, not every loop.
    if ((++loops & 1023) == 0) {
      w.stats.busy_cycles.add(busy);
      w.stats.idle_cycles.add(idle);
      w.stats.loops.add(1024);
      busy = idle = 0;
    }
  }
  w.stats.busy_cycles.add(busy);
  w.stats.idle_cycles.add(idle);
  w.stats.loops.add(loops & 1023);
  if (w.flows != nullptr) w.flows->unregister_reader(w.index);
  w.exited.store(true, std::memory_order_release);
  return 0;
}

}  // namespace edgesfu::dp
