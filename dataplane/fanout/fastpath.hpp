// The media fast path of one worker lcore (DESIGN.md §1): the participants,
// published tracks and downtracks of the rooms this lcore owns, the commands
// that change them, and the processing of their SRTP/SRTCP.
//
// Threads: create() and the destructor run on the control thread before launch
// and after join; every other member runs on the owning worker lcore only.
// Nothing here allocates, locks or throws after create().
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/result.hpp"
#include "dataplane/control/command.hpp"
#include "dataplane/fanout/layer_select.hpp"
#include "dataplane/fanout/ssrc_map.hpp"
#include "dataplane/flow/flow_key.hpp"
#include "dataplane/mem/node_memory.hpp"
#include "dataplane/munge/rtp_munger.hpp"
#include "dataplane/nack_cache/rtx_ring.hpp"
#include "dataplane/pkt/net.hpp"
#include "dataplane/pkt/rtcp.hpp"
#include "dataplane/pkt/rtp.hpp"
#include "dataplane/pkt/rtp_ext.hpp"
#include "dataplane/rtcp/audio_level.hpp"
#include "dataplane/rtcp/feedback.hpp"
#include "dataplane/rtcp/nack_tracker.hpp"
#include "dataplane/rtcp/receive_stats.hpp"
#include "dataplane/rtcp/twcc_feedback.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "dataplane/stats/lcore_stats.hpp"
#include "dataplane/worker/tx_stage.hpp"

namespace edgesfu::dp::fanout {

struct FastpathLimits {
  uint16_t max_participants = 256;
  uint16_t max_tracks = 512;
  uint32_t max_downtracks = 4096;
  uint32_t rtx_depth = 512;  // packets kept per track for NACKs
  // Packets (mbufs of the pool) all of this worker's retransmission rings
  // may hold: each live track keeps min(its ring's capacity, rtx_budget /
  // live tracks), so that many publishers cannot starve the pool that
  // receives packets. 0: no budget (each ring its capacity).
  uint32_t rtx_budget = 0;
  uint32_t pli_throttle_ms = 500;      // at most one keyframe request per track per this
  uint32_t report_interval_ms = 1000;  // SR per downtrack, RR per track
  uint32_t twcc_interval_ms = 50;      // transport-wide congestion feedback to publishers
  // Audio levels (LiveKit's audio.active_level and update_interval): a track
  // with the level extension reports a window this long to the slow path.
  uint8_t audio_active_level = 35;
  uint16_t audio_window_ms = 400;
  // A participant silent this long is reported (consent, RFC 7675).
  uint32_t idle_timeout_ms = 30000;
};

// A plaintext RTP packet kept for retransmission: the received mbuf (its
// reference held by the ring) and where the RTP packet lies in it.
struct RtxEntry {
  rte_mbuf* m = nullptr;
  uint16_t off = 0;
  uint16_t len = 0;
};
struct RtxRelease {
  void operator()(const RtxEntry& e) const { rte_pktmbuf_free(e.m); }
};
using RtxRingT = nack_cache::RtxRing<RtxEntry, RtxRelease>;

inline constexpr uint32_t kNoIndex = 0xffffffffu;

// Room the event ring keeps for session releases (every session the lcore
// could release at once): telemetry events (audio levels, quality) are
// dropped and counted rather than take it, or a release could be lost and
// its SRTP session leak.
inline uint32_t event_release_reserve(const FastpathLimits& l) {
  return 2u * (uint32_t{l.max_participants} + l.max_downtracks) + 64u;
}

// The drop reason for an SRTP/SRTCP failure.
DropReason srtp_drop(srtp::Status s);

// Its first line is what sending to it reads per packet (the headers of its
// path); the rest is read per packet it sends, on commands and timers.
struct alignas(64) Participant {
  pkt::HeaderTemplate hdr;  // of `path`, rebuilt whenever it changes
  bool path_known = false;
  uint8_t hdr_len = 0;  // path.header_len()
  bool used = false;
  bool idle_reported = false;
  uint64_t last_seen_us = 0;
  uint8_t fir_seq = 0;
  bool have_remb = false, have_twcc = false;
  uint32_t generation = 0;
  uint32_t id = 0;
  uint32_t feedback_ssrc = 0;
  // The header extension IDs of its connection (from its tracks).
  uint8_t twcc_ext = 0, mid_ext = 0, rid_ext = 0, rrid_ext = 0;
  // Its simulcast tracks (up to kMaxSimulcastTracks learn their layers).
  static constexpr uint8_t kMaxSimulcastTracks = 4;
  uint8_t nsimulcast = 0;
  uint16_t simulcast[kMaxSimulcastTracks];
  uint32_t last_media_ssrc = 0;  // named in its TWCC reports
  srtp::Session* rx = nullptr;
  srtp::Session* tx_rtcp = nullptr;
  pkt::UdpPath path;
  pkt::Remb remb;
  pkt::TwccHeader twcc;
  // This report interval's connection quality, reported to the control thread.
  bool q_any = false;
  uint8_t q_loss_in = 0, q_loss_out = 0;
  uint16_t q_jitter_ms = 0, q_rtt_ms = 0;

  // `path` is known (it changed): its headers are made once here.
  void path_set() {
    path_known = true;
    hdr.build(path);
    hdr_len = static_cast<uint8_t>(path.header_len());
  }
};
static_assert(offsetof(Participant, hdr_len) < 64, "what sending reads is in the first line");

// What an SSRC is to its track (the high half of a track_by_ssrc_ value; the
// low half is the track slot): its one stream, simulcast layer i (1 + i), or
// an RTX stream that is not forwarded.
inline constexpr uint32_t kRoleStream = 0, kRoleRtx = 0xf;
inline uint32_t stream_value(uint16_t track, uint32_t role) { return track | (role << 16); }
inline uint16_t stream_track(uint32_t v) { return static_cast<uint16_t>(v & 0xffff); }
inline uint32_t stream_role(uint32_t v) { return v >> 16; }

struct Track {
  bool used = false;
  bool have_sr = false;
  control::MediaKind kind = control::MediaKind::kAudio;
  pkt::VideoCodec codec = pkt::VideoCodec::kOther;
  uint16_t participant = 0;
  uint32_t id = 0;
  uint32_t ssrc = 0;  // the stream forwarded (with layers: the current layer's, or 0)
  uint32_t rtx_ssrc = 0;
  // Simulcast: layers by RID, lowest first; their SSRCs once learned, and
  // which one is forwarded.
  uint8_t nlayers = 0;
  char mid[control::kMaxMid];
  char rids[control::kMaxLayers][control::kMaxRid];
  uint32_t layer_ssrc[control::kMaxLayers];
  uint32_t layer_rtx_ssrc[control::kMaxLayers];
  uint64_t layer_keyframe_req_us[control::kMaxLayers];  // per layer: two layers waiting interleave
  LayerSelector<control::kMaxLayers> layers;
  uint8_t level_ext = 0;  // the publisher's audio level extension ID (0: none)
  rtcp::AudioLevelWindow level;
  uint32_t clock_rate = 48000;
  uint32_t first_downtrack = kNoIndex;
  uint64_t last_sr_us = 0;
  uint64_t last_keyframe_req_us = 0;
  uint32_t last_keyframe_ssrc = 0;
  pkt::SenderInfo last_sr;
  rtcp::ReceiveStats stats;
  // Made at create() in the tables' arena, for the track's slot's life:
  // cleared on reuse, never reassigned (a Track is never assigned whole).
  RtxRingT* ring = nullptr;
  // Upstream loss recovery (video): what the forwarded stream is missing,
  // asked of the publisher; its RTX answers are forwarded as the original.
  bool nack_on = false;
  uint8_t media_pt = 0;    // of the forwarded stream: what a repaired packet carries
  uint32_t nack_ssrc = 0;  // the stream `nack` follows (a layer switch starts over)
  rtcp::NackTracker nack;
};

// Laid out for fan-out (issue 17): what it touches per packet is the first
// line (list link, subscriber, SSRC, session, the payload type last mapped,
// counters) and the munger's first line (rtp_munger.hpp keeps its per-packet
// state there); the rest is read on commands, RTCP and timers only.
struct alignas(64) Downtrack {
  uint32_t next = kNoIndex;  // in the track's list
  uint16_t subscriber = 0;
  bool paused = false;  // not forwarded; it resumes as a new munger epoch (no gap)
  bool ext_identity = true;
  uint32_t ssrc = 0;
  // The last payload type mapped through pt_map (pt_in 0xff: none yet): a
  // track's packets mostly carry one, so the map's two lines stay cold.
  uint8_t pt_in = 0xff, pt_out = 0;
  srtp::Session* tx = nullptr;
  uint64_t packets = 0, octets = 0;

  alignas(64) munge::RtpMunger munger;

  bool used = false;
  uint8_t rtx_pt = 0;
  uint16_t track = 0;
  uint16_t rtx_seq = 0;
  uint32_t id = 0;
  uint32_t rtx_ssrc = 0;
  uint32_t prev = kNoIndex;  // in the track's list
  // From the subscriber's receiver reports.
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;
  uint32_t jitter = 0;
  uint32_t rtt = 0;  // 1/65536 s
  // The last SR we sent on this downtrack: its NTP time (the publisher's
  // timeline) and when, on our clock; a report block's LSR/DLSR refer to it.
  uint64_t last_sr_ntp = 0;
  uint64_t last_sr_sent_us = 0;
  srtp::Session* tx_rtx = nullptr;
  uint8_t pt_map[128];
  pkt::ExtIdMap ext_map;

  uint8_t map_pt(uint8_t pt) {
    if (pt != pt_in) {
      pt_in = pt;
      pt_out = pt_map[pt & 0x7f];
    }
    return pt_out;
  }
};
static_assert(offsetof(Downtrack, packets) + sizeof(uint64_t) * 2 <= 64,
              "fan-out's fields of a downtrack fit its first line");
static_assert(offsetof(Downtrack, munger) == 64, "the munger's hot line is the second");

class Fastpath {
 public:
  // The fast path and its tables on NUMA node `node` (the worker lcore's;
  // mem::kNoNode: wherever the kernel puts them).
  static Result<std::unique_ptr<Fastpath>> create(const FastpathLimits& limits,
                                                  srtp::Engine* engine, rte_mempool* pool,
                                                  rte_ring* events, LcoreStats* stats,
                                                  int node = mem::kNoNode);
  ~Fastpath();
  // What create() maps for the tables at `limits`.
  static std::size_t table_bytes(const FastpathLimits& limits);
  // The object itself is on the node too (its batches and stash are touched
  // for every packet): only create() makes one.
  static void* operator new(std::size_t bytes, int node) noexcept;
  static void operator delete(void* p, std::size_t bytes) noexcept;

  // Applies one command (worker lcore, between bursts). A keyframe request
  // may produce a PLI into `tx`.
  void apply(const control::Command& c, uint64_t now_us, TxStage& tx);

  // Is `ref` a live participant of this lcore?
  bool valid(const flow::FlowRef& ref) const {
    return ref.slot < limits_.max_participants && participants_[ref.slot].used &&
           participants_[ref.slot].generation == ref.generation;
  }
  // Records the L2/L3 path to a participant, and a sign of life, from a
  // frame it sent that authenticated (SRTP/SRTCP unprotected): a spoofed frame
  // with its addresses cannot move its media elsewhere (issue 12 #3).
  void learn_path(uint16_t slot, const pkt::UdpFrame& f, uint64_t now_us);
  // The same from a frame the kernel sent to the participant's flow through
  // the exception port (a STUN answer to a check the ICE agent validated, its
  // DTLS): the slow path chose that path. A STUN success response is also a
  // sign of life (consent, RFC 7675: the peer's check passed).
  void learn_from_kernel(uint16_t slot, const pkt::UdpFrame& kernel_frame, bool consent,
                         uint64_t now_us);
  // Notes the next hop the kernel used for a frame it sent out through the
  // exception port (its ARP/ND resolution): a participant added later for
  // that address can be sent to before it sends anything on its flow.
  void learn_kernel_frame(const pkt::UdpFrame& f) {
    Neighbor& n = neighbors_[neighbor_slot(f.dst)];
    n.ip = f.dst;
    n.our_ip = f.src;
    n.ours = f.src_mac;
    n.theirs = f.dst_mac;
  }

  // Consumes `n` SRTP (RTP) frames from live participants; produces fan-out
  // into `tx`. frames[i] describes pkts[i]; slots[i] is its participant.
  void on_rtp(rte_mbuf** pkts, const pkt::UdpFrame* frames, const uint16_t* slots, uint16_t n,
              uint64_t now_us, TxStage& tx);
  // SRTCP in two steps, so that a subscriber's path is known before the
  // media of the same burst fans out, and a NACK finds the packets of its
  // burst in the ring: first every frame is unprotected in place (failures
  // are counted and freed; the authentic ones teach their paths; the arrays
  // are compacted to them, with their plaintext lengths in `lens`; returns
  // how many), then, after on_rtp, on_rtcp consumes them and may produce
  // retransmissions and keyframe requests into `tx`.
  uint16_t unprotect_rtcp(rte_mbuf** pkts, pkt::UdpFrame* frames, uint16_t* slots, uint32_t* lens,
                          uint16_t n, uint64_t now_us);
  void on_rtcp(rte_mbuf** pkts, const pkt::UdpFrame* frames, const uint16_t* slots,
               const uint32_t* lens, uint16_t n, uint64_t now_us, TxStage& tx);
  // Sends SRs and RRs that are due.
  void on_timer(uint64_t now_us, TxStage& tx);

  // On the worker lcore before its first burst: the SRTP engine's per-thread
  // state, made outside the packet path.
  bool prepare_lcore() { return engine_ == nullptr || engine_->prepare_thread(); }

  // Read-only views for tests and telemetry (same lcore, or after join).
  const Downtrack& downtrack(uint32_t slot) const { return downtracks_[slot]; }
  const Track& track(uint16_t slot) const { return tracks_[slot]; }
  const Participant& participant(uint16_t slot) const { return participants_[slot]; }

 private:
  // Where create() carved the tables.
  struct Tables {
    std::unique_ptr<mem::NodeArena> arena;
    Participant* participants;
    Track* tracks;
    Downtrack* downtracks;
    rtcp::TwccRecorder* twcc;
    uint64_t* track_keys;
    uint32_t* track_vals;
    uint64_t* downtrack_keys;
    uint32_t* downtrack_vals;
  };
  static Result<Tables> make_tables(const FastpathLimits& l, int node);
  Fastpath(const FastpathLimits& l, srtp::Engine* e, rte_mempool* p, rte_ring* ev, LcoreStats* s,
           Tables t);

  void add_participant(const control::AddParticipant& c);
  void remove_participant(uint16_t slot);
  void add_track(const control::AddTrack& c);
  void remove_track(uint16_t slot);
  // Shares limits_.rtx_budget between the live tracks' rings (set_keep).
  void share_rtx_budget();
  void add_downtrack(const control::AddDowntrack& c);
  void remove_downtrack(uint32_t slot);
  void release_session(srtp::Session* s, uint32_t id);

  // Output building: one RTP/RTCP packet to a participant, protected, staged.
  struct PendingOut {
    rte_mbuf* m;
    uint16_t participant;
    uint16_t hdr_len;
    uint32_t downtrack;  // kNoIndex for RTCP of our own
  };
  uint8_t* begin_out(uint16_t participant, uint32_t max_len, PendingOut& po);
  void flush_rtp(TxStage& tx);
  // A pending protect reads its payload from the received packet
  // (srtp::Op::src) until flush_rtp, so nothing may free a received packet
  // that fan-out used before then. Its RTX ring would: a put frees the
  // packet that falls out of the kept window (or the one put, when the ring
  // keeps none), and a layer switch clears the ring. So the burst's packets
  // are held here and put once their protects are done (settle_rtp), and
  // a ring is cleared only after settle_rtp. retransmit() reads from the
  // rings too, and the rings change only here and between bursts.
  void hold_for_rtx(Track& t, uint16_t seq, const RtxEntry& e, TxStage& tx);
  void settle_rtp(TxStage& tx);
  // RTCP of our own: queued and protected a batch at a time (a report
  // interval's SRs and RRs in one engine call per kBatch), then given its
  // headers and staged. send_rtcp sends one at once.
  void queue_rtcp(uint16_t participant, srtp::Session* s, const uint8_t* rtcp, std::size_t len,
                  TxStage& tx);
  void flush_rtcp(TxStage& tx);
  void send_rtcp(uint16_t participant, srtp::Session* s, const uint8_t* rtcp, std::size_t len,
                 TxStage& tx) {
    queue_rtcp(participant, s, rtcp, len, tx);
    flush_rtcp(tx);
  }
  void fan_out(const Track& t, const uint8_t* rtp, uint32_t len, const pkt::RtpHeader& h,
               uint64_t now_us, TxStage& tx);
  void retransmit(Downtrack& d, uint16_t out_seq, TxStage& tx);
  // Upstream loss: a packet of the forwarded stream seen by the NACK
  // tracker; a publisher's RTX packet turned back into the original in place
  // (false: not one we asked for); the NACKs due.
  void track_arrival(Track& t, const pkt::RtpHeader& h, uint64_t now_us);
  bool repair_from_rtx(Track& t, uint8_t*& rtp, uint32_t& len, pkt::RtpHeader& h, uint64_t now_us);
  void send_nacks(uint64_t now_us, TxStage& tx);
  void request_keyframe(Track& t, bool fir, uint64_t now_us, TxStage& tx);  // its stream forwarded
  void request_keyframe(Track& t, uint32_t media_ssrc, bool fir, uint64_t now_us, TxStage& tx);
  // Simulcast: the track and role of an SSRC this publisher never announced,
  // from the MID and RID in its header extensions (bound on the way), or
  // SsrcMap::kNone; then whether a packet of layer `layer` is forwarded (a
  // switch to a better layer, or away from one that stopped, happens at a
  // keyframe; until then a keyframe is asked for).
  uint32_t bind_stream(uint16_t slot, const uint8_t* rtp, const pkt::RtpHeader& h);
  bool select_layer(Track& t, uint8_t layer, const uint8_t* rtp, const pkt::RtpHeader& h,
                    uint64_t now_us, TxStage& tx);
  // Transport-wide congestion feedback: one packet's arrival, and the reports.
  void record_twcc(uint16_t slot, const uint8_t* rtp, const pkt::RtpHeader& h, uint64_t now_us,
                   TxStage& tx);
  void send_twcc(uint16_t slot, TxStage& tx);
  // One audio packet's level into its track's window; a full window is
  // reported to the control thread.
  void observe_level(Track& t, uint16_t slot, const uint8_t* rtp, const pkt::RtpHeader& h);
  // An audio-level or quality event, unless the ring is down to the room
  // kept for session releases (then counted in events_lost).
  void send_telemetry(const control::Event& ev);
  void handle_rtcp_compound(uint16_t slot, const uint8_t* p, uint32_t len, uint64_t now_us,
                            TxStage& tx);
  void drop(DropReason r, uint64_t n = 1) { stats_->drops[static_cast<std::size_t>(r)].add(n); }
  // Fills ops for unprotecting frames [base, base + kBatch) of a burst in
  // place with each participant's inbound session; returns how many.
  void prefetch_downtrack(uint32_t di) const;
  uint16_t inbound_ops(rte_mbuf** pkts, const pkt::UdpFrame* frames, const uint16_t* slots,
                       uint16_t base, uint16_t n, srtp::Op* ops) const;

  struct Neighbor {
    pkt::IpAddr ip, our_ip;
    pkt::Mac ours{}, theirs{};
  };
  static constexpr uint32_t kNeighbors = 256;
  static uint32_t neighbor_slot(const pkt::IpAddr& ip) {
    uint32_t h = 2166136261u;
    for (uint8_t b : ip.b) h = (h ^ b) * 16777619u;
    return h % kNeighbors;
  }
  Neighbor neighbors_[kNeighbors];

  FastpathLimits limits_;
  srtp::Engine* engine_;
  rte_mempool* pool_;
  rte_ring* events_;
  LcoreStats* stats_;
  // The tables, in one mapping on the worker's node: the arena destroys them.
  std::unique_ptr<mem::NodeArena> tables_;
  Participant* participants_;
  Track* tracks_;
  uint32_t live_tracks_ = 0;
  Downtrack* downtracks_;
  SsrcMap track_by_ssrc_;      // (publisher slot, ssrc) -> track slot
  SsrcMap downtrack_by_ssrc_;  // (subscriber slot, ssrc or rtx ssrc) -> downtrack slot
  uint64_t next_report_us_ = 0;
  rtcp::TwccRecorder* twcc_;  // per participant
  uint64_t next_twcc_us_ = 0;
  uint64_t next_nack_us_ = 0;
  bool nack_pending_ = false;       // some track may be missing packets
  rtcp::FeedbackActions feedback_;  // one compound's, reused (rtcp/feedback.hpp)

  // Protect batch for RTP going out.
  // Output mbufs come from the pool a bulk at a time (one mempool call per
  // kStash packets instead of one per packet); what is left over stays here
  // until the next burst and goes back to the pool with the fast path. They
  // are taken raw: DPDK keeps a pooled mbuf with one reference, one segment
  // and no next (rte_mbuf_raw_alloc's contract), and what else a packet out
  // needs lies in its first line; rte_pktmbuf_reset would also write the
  // second (next, tx_offload) for every packet.
  rte_mbuf* take_mbuf() {
    if (stash_next_ == stash_n_) {
      if (rte_mempool_get_bulk(pool_, reinterpret_cast<void**>(stash_), kStash) != 0)
        return rte_pktmbuf_alloc(pool_);
      stash_n_ = kStash;
      stash_next_ = 0;
    }
    rte_mbuf* m = stash_[stash_next_++];
    m->data_off = static_cast<uint16_t>(RTE_PKTMBUF_HEADROOM < m->buf_len ? RTE_PKTMBUF_HEADROOM
                                                                          : m->buf_len);
    m->port = RTE_MBUF_PORT_INVALID;
    m->ol_flags &= RTE_MBUF_F_EXTERNAL;  // no offloads; a pinned external buffer stays so
    m->packet_type = 0;
    m->pkt_len = 0;
    m->data_len = 0;
    m->vlan_tci = 0;
    m->vlan_tci_outer = 0;
    return m;
  }
  static constexpr uint16_t kStash = 32;
  rte_mbuf* stash_[kStash];
  uint16_t stash_n_ = 0, stash_next_ = 0;

  static constexpr uint16_t kBatch = 64;
  srtp::Op ops_[kBatch];
  PendingOut pending_[kBatch];
  uint16_t npending_ = 0;
  struct Held {
    RtxRingT* ring;
    uint16_t seq;
    RtxEntry e;
  };
  static constexpr uint16_t kMaxHeld = 256;  // more in a burst: settled early
  Held held_[kMaxHeld];
  uint16_t nheld_ = 0;
  srtp::Op rtcp_ops_[kBatch];
  PendingOut rtcp_pending_[kBatch];
  uint16_t nrtcp_pending_ = 0;
};

}  // namespace edgesfu::dp::fanout
