#include "dataplane/munge/rtp_munger.hpp"

#include "dataplane/pkt/seq.hpp"

namespace edgesfu::dp::munge {

using pkt::seq_delta;
using pkt::seq_newer;

void RtpMunger::start_epoch(uint32_t src_ssrc, uint16_t seq, uint32_t ts, uint64_t now_us,
                            uint32_t clock_rate) {
  uint32_t out_ts = first_ts_;
  if (have_ts_) {
    // Continue the timeline: the newest timestamp sent plus the time that
    // passed since, at least one tick, so the subscriber's jitter buffer sees
    // neither a jump back nor a burst.
    const uint64_t elapsed_us = now_us > last_now_us_ ? now_us - last_now_us_ : 0;
    const uint64_t ticks = elapsed_us * clock_rate / 1000000u;
    out_ts = last_out_ts_ + static_cast<uint32_t>(ticks == 0 ? 1 : ticks);
  }
  started_ = true;
  src_ssrc_ = src_ssrc;
  seq_offset_ = static_cast<uint16_t>(next_seq_ - seq);
  ts_offset_ = out_ts - ts;
  highest_in_ = static_cast<uint16_t>(seq - 1);
  highest_in_ext_ += 1u << 20;  // a fresh range, well apart from the last epoch's
  epoch_first_in_ext_ = highest_in_ext_ + 1;
  epoch_first_out_ext_ = next_out_ext_;
  hist_[0] = {next_out_ext_, seq_offset_};
  nhist_ = 1;
}

MungeVerdict RtpMunger::munge(uint32_t src_ssrc, uint16_t seq, uint32_t ts, uint64_t now_us,
                              uint32_t clock_rate, MungeOut& out) {
  if (!started_ || src_ssrc != src_ssrc_ || restart_) {
    restart_ = false;
    start_epoch(src_ssrc, seq, ts, now_us, clock_rate);
  } else {
    const int32_t d = seq_delta(seq, highest_in_);
    if (d > kMaxSeqJump || d < -kMaxSeqJump) {
      start_epoch(src_ssrc, seq, ts, now_us, clock_rate);  // publisher restart
    } else if (in_ext(seq) < epoch_first_in_ext_) {
      return MungeVerdict::kDropTooOld;
    }
  }
  uint16_t in_seq_out = static_cast<uint16_t>(seq + seq_offset_);
  if (!seq_newer(seq, highest_in_)) {
    // A late packet: the offset in force when its number was due.
    uint16_t mapped = 0;
    if (!unmap_inverse(seq, mapped)) return MungeVerdict::kDropTooOld;
    in_seq_out = mapped;
  } else {
    highest_in_ext_ = in_ext(seq);
    highest_in_ = seq;
    next_out_ext_ = out_ext(static_cast<uint16_t>(in_seq_out + 1));
    next_seq_ = static_cast<uint16_t>(in_seq_out + 1);
  }
  out.seq = in_seq_out;
  out.ts = ts + ts_offset_;
  if (!have_ts_ || pkt::ts_newer(out.ts, last_out_ts_)) {
    last_out_ts_ = out.ts;
    last_now_us_ = now_us;
    have_ts_ = true;
  }
  return MungeVerdict::kForward;
}

void RtpMunger::skip(uint16_t seq) {
  if (!started_ || seq != static_cast<uint16_t>(highest_in_ + 1)) return;
  // Treat it as seen, and pull every later number down by one.
  highest_in_ext_ = in_ext(seq);
  highest_in_ = seq;
  seq_offset_ = static_cast<uint16_t>(seq_offset_ - 1);
  if (nhist_ == kOffsetHistory) {
    for (int i = 1; i < kOffsetHistory; ++i) hist_[i - 1] = hist_[i];
    --nhist_;
  }
  hist_[nhist_++] = {next_out_ext_, seq_offset_};
}

bool RtpMunger::unmap_inverse(uint16_t in_seq, uint16_t& out_seq) const {
  // The newest offset whose range starts at or before in_seq's number.
  for (int i = nhist_ - 1; i >= 0; --i) {
    const uint16_t cand = static_cast<uint16_t>(in_seq + hist_[i].offset);
    const uint64_t ext = out_ext(cand);
    if (ext >= hist_[i].from_out_ext && ext >= epoch_first_out_ext_) {
      out_seq = cand;
      return true;
    }
  }
  return false;
}

bool RtpMunger::unmap_seq(uint16_t out_seq, uint16_t& in_seq) const {
  if (!started_) return false;
  const uint64_t ext = out_ext(out_seq);
  if (ext < epoch_first_out_ext_ || ext >= next_out_ext_) return false;
  for (int i = nhist_ - 1; i >= 0; --i) {
    if (ext >= hist_[i].from_out_ext) {
      in_seq = static_cast<uint16_t>(out_seq - hist_[i].offset);
      return true;
    }
  }
  return false;
}

}  // namespace edgesfu::dp::munge
