// Per-downtrack RTP sequence-number and timestamp rewriting. Pure state and
// arithmetic (no DPDK); owned by the lcore that owns the downtrack.
//
// What a subscriber sees is one continuous stream per downtrack:
//  * the first packet starts at the downtrack's chosen sequence number and
//    timestamp;
//  * loss upstream stays a gap (the subscriber NACKs it and the retransmission
//    ring answers through unmap_seq);
//  * a packet the SFU drops on purpose (skip) leaves no gap;
//  * a source switch (another SSRC feeds the downtrack) or a publisher restart
//    (the same SSRC jumps by more than kMaxSeqJump) continues from the last
//    number sent, and the timestamp advances by the wall-clock time that passed;
//  * packets from before the current source epoch are dropped.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/pkt/seq.hpp"

namespace edgesfu::dp::munge {

enum class MungeVerdict : uint8_t {
  kForward,
  kDropTooOld,  // from before the current epoch (start, switch or restart)
};

struct MungeOut {
  uint16_t seq = 0;
  uint32_t ts = 0;
};

class RtpMunger {
 public:
  // A jump larger than this (either way) on the same SSRC is a restart.
  static constexpr int32_t kMaxSeqJump = 3000;

  RtpMunger() = default;
  RtpMunger(uint16_t first_out_seq, uint32_t first_out_ts) { reset(first_out_seq, first_out_ts); }

  // Forgets everything; the next packet starts at these numbers.
  void reset(uint16_t first_out_seq, uint32_t first_out_ts) {
    *this = RtpMunger();
    next_seq_ = first_out_seq;
    first_ts_ = first_out_ts;
  }

  // Maps one publisher packet. `now_us` is the caller's clock (microseconds),
  // `clock_rate` the codec's RTP clock (e.g. 48000), used only on a switch.
  MungeVerdict munge(uint32_t src_ssrc, uint16_t seq, uint32_t ts, uint64_t now_us,
                     uint32_t clock_rate, MungeOut& out);

  // The next packet starts a new epoch, as a source switch does: its number
  // follows the last one sent, its timestamp the time that passed. For a
  // downtrack that resumes after a pause (nothing sent meanwhile, whatever
  // the publisher lost or reordered).
  void restart_at_next() { restart_ = true; }

  // The SFU drops the publisher's packet `seq` on purpose: if it is the next
  // one expected, later packets are shifted down so that no gap shows.
  void skip(uint16_t seq);

  // Publisher timestamp -> this downtrack's (for SR translation).
  uint32_t translate_ts(uint32_t ts) const { return ts + ts_offset_; }

  // Downtrack sequence number -> publisher's, for NACKs; false when it lies
  // outside the current epoch or has not been sent.
  bool unmap_seq(uint16_t out_seq, uint16_t& in_seq) const;

  // The per-packet state ends within the first 64 bytes (checked below).
  static constexpr std::size_t hot_bytes() { return offsetof(RtpMunger, nhist_) + 1; }

  bool started() const { return started_; }
  uint32_t source() const { return src_ssrc_; }
  uint16_t last_out_seq() const { return static_cast<uint16_t>(next_seq_ - 1); }

 private:
  void start_epoch(uint32_t src_ssrc, uint16_t seq, uint32_t ts, uint64_t now_us,
                   uint32_t clock_rate);
  // Publisher seq (not newer than the highest) -> the downtrack seq it had.
  bool unmap_inverse(uint16_t in_seq, uint16_t& out_seq) const;

  // Offsets in force from a downtrack sequence number on; skip() adds one.
  // Sequence numbers are compared as extended (64-bit) numbers so that an
  // epoch longer than half the 16-bit space still works.
  struct OffsetFrom {
    uint64_t from_out_ext;
    uint16_t offset;
  };
  // Extended number of a publisher / downtrack sequence number near the
  // newest one seen / sent.
  uint64_t in_ext(uint16_t seq) const {
    return static_cast<uint64_t>(static_cast<int64_t>(highest_in_ext_) +
                                 pkt::seq_delta(seq, highest_in_));
  }
  uint64_t out_ext(uint16_t seq) const {
    return static_cast<uint64_t>(static_cast<int64_t>(next_out_ext_) +
                                 pkt::seq_delta(seq, next_seq_));
  }
  static constexpr int kOffsetHistory = 8;

  // What munge() reads and writes for a packet in order comes first, in 64
  // bytes (one cache line when the munger starts one, as a Downtrack's
  // does); the offset history and what only a new epoch reads follow.
  uint64_t highest_in_ext_ = 0, epoch_first_in_ext_ = 0;
  uint64_t next_out_ext_ = 1u << 20;
  uint64_t last_now_us_ = 0;  // when last_out_ts_ was sent
  uint32_t src_ssrc_ = 0;
  uint32_t ts_offset_ = 0;    // out = in + ts_offset_
  uint32_t last_out_ts_ = 0;  // newest timestamp sent
  uint16_t seq_offset_ = 0;   // out = in + seq_offset_ (the newest entry)
  uint16_t highest_in_ = 0;   // highest publisher seq seen in the epoch
  uint16_t next_seq_ = 0;     // the downtrack seq after the highest sent
  bool started_ = false;
  bool have_ts_ = false;
  bool restart_ = false;   // restart_at_next() was called
  uint8_t nhist_ = 0;      // valid entries in hist_, newest last
  uint32_t first_ts_ = 0;  // the first epoch's first timestamp
  uint64_t epoch_first_out_ext_ = 0;
  OffsetFrom hist_[kOffsetHistory] = {};
};

static_assert(RtpMunger::hot_bytes() <= 64, "the munger's per-packet state fits one line");

}  // namespace edgesfu::dp::munge
