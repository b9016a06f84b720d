// Per-lcore dataplane counters: one cache-aligned block per worker, written only
// by its lcore, read (summed) by the slow path. Drop reasons come from one X-macro
// that generates the enum and the names (DESIGN.md §6, after VPP).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>

namespace edgesfu::dp {

// X(enum name, counter name, description)
#define EDGESFU_DROP_REASONS(X)                                                                  \
  X(kWireTxFull, "wire_tx_full", "the wire port's TX queue was full")                            \
  X(kExceptionTxFull, "exception_tx_full", "the exception port's TX queue was full")             \
  X(kPuntRateLimited, "punt_rate_limited", "the source exceeded its punt token bucket")          \
  X(kMalformedFrame, "malformed_frame", "truncated or inconsistent L2-L4 headers")               \
  X(kHandoffFull, "handoff_full", "the owning lcore's hand-off ring was full")                   \
  X(kSrtpAuthFail, "srtp_auth_fail", "SRTP/SRTCP authentication failed")                         \
  X(kSrtpReplay, "srtp_replay", "SRTP/SRTCP replayed or too old")                                \
  X(kSrtpMalformed, "srtp_malformed", "too short or malformed for SRTP")                         \
  X(kSrtpUnknownSsrc, "srtp_unknown_ssrc", "no SRTP stream for the SSRC")                        \
  X(kSrtpError, "srtp_error", "other SRTP error")                                                \
  X(kRtpMalformed, "rtp_malformed", "RTP header invalid after decryption")                       \
  X(kRtpUnknownSsrc, "rtp_unknown_ssrc", "RTP SSRC is not a published track")                    \
  X(kRtcpMalformed, "rtcp_malformed", "RTCP invalid after decryption")                           \
  X(kMungeTooOld, "munge_too_old", "packet older than its downtrack's epoch")                    \
  X(kNoPath, "no_path", "subscriber's L2 path not learned yet")                                  \
  X(kTooBig, "too_big", "output would not fit an mbuf")                                          \
  X(kNoMbuf, "no_mbuf", "mempool empty")                                                         \
  X(kNotForUs, "not_for_us", "to another unicast MAC or IP than the appliance's")                \
  X(kUnknownFlow, "unknown_flow",                                                                \
    "RTP, RTCP or other non-ICE UDP to a media port from no live flow")                          \
  X(kStunRefused, "stun_refused",                                                                \
    "STUN to a media port that is no Binding Request for its session's ufrag")                   \
  X(kDtlsUnvalidated, "dtls_unvalidated",                                                        \
    "DTLS from an address that passed no ICE check on that port")                                \
  X(kPuntBudget, "punt_budget", "the worker's punt budget had no room at the packet's priority") \
  X(kFlowNotMedia, "flow_not_media", "UDP from a live flow that is no RTP, RTCP, STUN or DTLS")

enum class DropReason : uint8_t {
#define EDGESFU_X(e, name, desc) e,
  EDGESFU_DROP_REASONS(EDGESFU_X)
#undef EDGESFU_X
      kCount
};

inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::kCount);

inline constexpr std::array<const char*, kDropReasonCount> kDropReasonNames = {
#define EDGESFU_X(e, name, desc) name,
    EDGESFU_DROP_REASONS(EDGESFU_X)
#undef EDGESFU_X
};

inline constexpr std::array<const char*, kDropReasonCount> kDropReasonDescriptions = {
#define EDGESFU_X(e, name, desc) desc,
    EDGESFU_DROP_REASONS(EDGESFU_X)
#undef EDGESFU_X
};

// A counter with exactly one writer. The writer's load+store compiles to a plain
// add (no lock prefix); relaxed order is enough because readers only need an
// untorn value, not ordering with other memory.
class Counter {
 public:
  void add(uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// One direction of forwarding on an lcore.
struct alignas(64) DirectionStats {
  Counter rx_pkts;
  Counter rx_bytes;
  Counter tx_pkts;
  Counter tx_bytes;
};

// Fast-path events that are not drops.
#define EDGESFU_MEDIA_COUNTERS(X)                                                           \
  X(rtp_in, "RTP packets decrypted from publishers")                                        \
  X(rtp_out, "RTP packets protected and sent to subscribers")                               \
  X(rtcp_in, "RTCP compounds decrypted")                                                    \
  X(rtcp_out, "RTCP packets sent (SR, RR, PLI, FIR)")                                       \
  X(rtx_out, "retransmissions sent in answer to NACKs")                                     \
  X(nack_miss, "NACKed packets no longer (or never) in the ring")                           \
  X(keyframe_requests, "PLI/FIR forwarded to publishers")                                   \
  X(layer_skipped, "simulcast packets of a layer not forwarded")                            \
  X(layer_switches, "simulcast layer switches (at a keyframe)")                             \
  X(rtx_in_ignored, "publishers' RTX and probe packets (not forwarded)")                    \
  X(rtx_in_repaired, "publishers' RTX packets forwarded as the lost original")              \
  X(nack_sent, "NACKs sent to publishers (upstream loss)")                                  \
  X(nack_seqs, "sequence numbers those NACKs asked for")                                    \
  X(nack_gave_up, "lost publisher packets no longer asked for")                             \
  X(twcc_reports, "transport-wide congestion feedback sent to publishers")                  \
  X(punted, "packets handed to the exception path")                                         \
  X(punted_session, "of which STUN/DTLS of sessions (first priority)")                      \
  X(punted_tcp, "of which TCP of connections to the signalling port")                       \
  X(punted_syn, "of which SYNs to the signalling port")                                     \
  X(punted_other, "of which anything else (last priority)")                                 \
  X(punted_data, "of which DTLS of live participants (data channels)")                      \
  X(path_changes, "reply paths learned or changed by authenticated packets")                \
  X(handed_off, "packets handed to the owning lcore")                                       \
  X(events_lost, "events the control thread could not be told (ring full)")                 \
  X(rtcp_over_capacity,                                                                     \
    "RTCP feedback past one compound's room (512 NACKed packets, 16 keyframe requests, 64 " \
    "report blocks)")

struct alignas(64) MediaCounters {
#define EDGESFU_X(name, desc) Counter name;
  EDGESFU_MEDIA_COUNTERS(EDGESFU_X)
#undef EDGESFU_X
};

enum class MediaCounter : uint8_t {
#define EDGESFU_X(name, desc) name,
  EDGESFU_MEDIA_COUNTERS(EDGESFU_X)
#undef EDGESFU_X
};

inline constexpr const char* kMediaCounterNames[] = {
#define EDGESFU_X(name, desc) #name,
    EDGESFU_MEDIA_COUNTERS(EDGESFU_X)
#undef EDGESFU_X
};
inline constexpr std::size_t kMediaCounterCount = std::size(kMediaCounterNames);

// Received traffic by class (RFC 7983 for UDP), packets and bytes.
#define EDGESFU_RX_CLASSES(X) X(rtp) X(rtcp) X(stun) X(dtls) X(other_udp) X(non_udp)

enum class RxClass : uint8_t {
#define EDGESFU_X(name) name,
  EDGESFU_RX_CLASSES(EDGESFU_X)
#undef EDGESFU_X
      kCount
};
inline constexpr std::size_t kRxClassCount = static_cast<std::size_t>(RxClass::kCount);
inline constexpr const char* kRxClassNames[] = {
#define EDGESFU_X(name) #name,
    EDGESFU_RX_CLASSES(EDGESFU_X)
#undef EDGESFU_X
};

struct PktBytes {
  Counter pkts;
  Counter bytes;
};

struct alignas(64) LcoreStats {
  std::array<PktBytes, kRxClassCount> rx_class;
  DirectionStats wire_to_exception;  // rx: every wire packet; tx: what was punted
  DirectionStats exception_to_wire;  // the kernel's replies
  DirectionStats fastpath_to_wire;   // tx: what the fast path sent
  MediaCounters media;
  alignas(64) std::array<Counter, kDropReasonCount> drops;
  Counter busy_cycles;  // TSC cycles of loop iterations that moved packets
  Counter idle_cycles;  // TSC cycles of empty polls
  Counter loops;
};

// A plain copy of LcoreStats, summed or differenced by readers.
struct LcoreStatsSnapshot {
  struct Direction {
    uint64_t rx_pkts = 0, rx_bytes = 0, tx_pkts = 0, tx_bytes = 0;
  };
  Direction wire_to_exception;
  Direction exception_to_wire;
  Direction fastpath_to_wire;
  std::array<std::array<uint64_t, 2>, kRxClassCount> rx_class{};  // packets, bytes
  std::array<uint64_t, kDropReasonCount> drops{};
  std::array<uint64_t, kMediaCounterCount> media{};
  uint64_t busy_cycles = 0, idle_cycles = 0, loops = 0;
};

inline LcoreStatsSnapshot snapshot(const LcoreStats& s) {
  auto dir = [](const DirectionStats& d) {
    return LcoreStatsSnapshot::Direction{d.rx_pkts.get(), d.rx_bytes.get(), d.tx_pkts.get(),
                                         d.tx_bytes.get()};
  };
  LcoreStatsSnapshot out;
  out.wire_to_exception = dir(s.wire_to_exception);
  out.exception_to_wire = dir(s.exception_to_wire);
  out.fastpath_to_wire = dir(s.fastpath_to_wire);
  for (std::size_t i = 0; i < kRxClassCount; ++i) {
    out.rx_class[i] = {s.rx_class[i].pkts.get(), s.rx_class[i].bytes.get()};
  }
  for (std::size_t i = 0; i < kDropReasonCount; ++i) out.drops[i] = s.drops[i].get();
  std::size_t m = 0;
#define EDGESFU_X(name, desc) out.media[m++] = s.media.name.get();
  EDGESFU_MEDIA_COUNTERS(EDGESFU_X)
#undef EDGESFU_X
  out.busy_cycles = s.busy_cycles.get();
  out.idle_cycles = s.idle_cycles.get();
  out.loops = s.loops.get();
  return out;
}

}  // namespace edgesfu::dp
