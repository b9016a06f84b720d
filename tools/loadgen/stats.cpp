#include "tools/loadgen/stats.hpp"

#include <bit>
#include <cmath>

namespace edgesfu::loadgen {

int LatencyHistogram::bucket_of(uint64_t v) {
  if (v < static_cast<uint64_t>(kSub)) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);
  const int shift = msb - kSubBits;                     // >= 0
  const int sub = static_cast<int>(v >> shift) - kSub;  // 0..kSub-1
  return kSub * (shift + 1) + sub;
}

uint64_t LatencyHistogram::bucket_low(int b) {
  if (b < kSub) return static_cast<uint64_t>(b);
  const int shift = b / kSub - 1;
  return static_cast<uint64_t>(kSub + b % kSub) << shift;
}

uint64_t LatencyHistogram::bucket_high(int b) {
  if (b < kSub) return static_cast<uint64_t>(b) + 1;
  const int shift = b / kSub - 1;
  return bucket_low(b) + (uint64_t{1} << shift);
}

void LatencyHistogram::record(uint64_t ns) {
  ++b_[static_cast<std::size_t>(bucket_of(ns))];
  ++count_;
  if (ns > max_) max_ = ns;
}

uint64_t LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (q < 0) q = 0;
  if (q > 1) q = 1;
  // The rank of the sample, 1-based: the smallest r with r >= q * count.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += b_[static_cast<std::size_t>(b)];
    if (seen >= rank) {
      const uint64_t mid = bucket_low(b) + (bucket_high(b) - bucket_low(b)) / 2;
      return mid < max_ ? mid : max_;
    }
  }
  return max_;
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  for (std::size_t i = 0; i < b_.size(); ++i) b_[i] += o.b_[i];
  count_ += o.count_;
  if (o.max_ > max_) max_ = o.max_;
}

void LatencyHistogram::clear() {
  b_.fill(0);
  count_ = 0;
  max_ = 0;
}

void StreamReceive::on_packet(uint32_t number, uint32_t rtp_ts, uint32_t clock_rate,
                              uint64_t arrival_ns) {
  ++received_;
  if (last_ns_ != 0 && arrival_ns > last_ns_ && arrival_ns - last_ns_ > max_gap_ns_) {
    max_gap_ns_ = arrival_ns - last_ns_;
  }
  if (arrival_ns > last_ns_) last_ns_ = arrival_ns;
  if (received_ == 1) {
    lowest_ = highest_ = number;
    seen_.reset();
    seen_.set(number % kWindow);
  } else if (static_cast<int32_t>(number - highest_) > 0) {
    // Newer: clear the window slots we move over (packets not seen yet).
    const uint32_t step = number - highest_;
    if (step >= kWindow) {
      seen_.reset();
    } else {
      for (uint32_t n = highest_ + 1; n != number; ++n) seen_.reset(n % kWindow);
    }
    highest_ = number;
    seen_.set(number % kWindow);
  } else if (highest_ - number < kWindow) {
    // Late (reordered) or a copy.
    if (static_cast<int32_t>(number - lowest_) < 0) lowest_ = number;
    if (seen_.test(number % kWindow)) {
      ++duplicates_;
      return;
    }
    seen_.set(number % kWindow);
  } else {
    // Older than the window: a copy of a long-gone packet or an ancient
    // straggler; not counted as new.
    ++duplicates_;
    return;
  }
  // RFC 3550 §6.4.1 / A.8: J += (|D| - J) / 16 in RTP units.
  if (clock_rate == 0) return;
  clock_rate_ = clock_rate;
  // Microseconds first, so that the product stays far inside 64 bits.
  const auto arrival = static_cast<int64_t>(arrival_ns / 1000 * clock_rate / 1000000);
  const int64_t transit = arrival - static_cast<int64_t>(rtp_ts);
  if (have_transit_) {
    // RTP timestamps wrap at 2^32: take the difference modulo 2^32.
    const auto d = static_cast<int32_t>(static_cast<uint32_t>(transit - last_transit_));
    jitter_ += (std::abs(static_cast<double>(d)) - jitter_) / 16.0;
  }
  last_transit_ = transit;
  have_transit_ = true;
}

double StreamReceive::jitter_ms() const {
  return clock_rate_ == 0 ? 0.0 : jitter_ * 1000.0 / clock_rate_;
}

}  // namespace edgesfu::loadgen
