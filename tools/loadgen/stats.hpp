// What a loadgen subscriber measures of the packets it receives: one-way
// latency (a log-linear histogram), per-stream loss and duplicates (from the
// publishers' packet numbers in the marker, so SSRC and sequence rewriting by
// the SFU do not matter), and RFC 3550 interarrival jitter. Pure; no clocks.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>

namespace edgesfu::loadgen {

// Durations in ns; 32 sub-buckets per power of two (~3% resolution), exact
// below 32 ns, up to 2^63 ns.
class LatencyHistogram {
 public:
  void record(uint64_t ns);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // The value below which a fraction `q` (0..1) of the samples fall (the
  // middle of its bucket); 0 when empty.
  uint64_t quantile(double q) const;
  void merge(const LatencyHistogram& o);
  void clear();

  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = kSub * (64 - kSubBits + 1);
  static int bucket_of(uint64_t v);
  static uint64_t bucket_low(int b);
  static uint64_t bucket_high(int b);  // exclusive

 private:
  std::array<uint64_t, kBuckets> b_{};
  uint64_t count_ = 0, max_ = 0;
};

// RFC 3550 A.1's extended sequence number of one stream, for counting the
// packets of a stream that is not decrypted (loadgen --dpdk --verify-every):
// the SFU numbers each subscriber's stream without gaps, so its sequence
// numbers stand in for the marker's packet numbers.
class SeqExtender {
 public:
  uint32_t extend(uint16_t seq) {
    if (!have_) {
      have_ = true;
      last_ = seq;
      return seq;
    }
    if (static_cast<int16_t>(seq - last_) > 0) {
      if (seq < last_) cycles_ += 65536;  // wrapped forward
      last_ = seq;
      return cycles_ + seq;
    }
    // Late: from before the last wrap when it is above the newest one.
    return seq > last_ && cycles_ >= 65536 ? cycles_ - 65536 + seq : cycles_ + seq;
  }

 private:
  bool have_ = false;
  uint16_t last_ = 0;
  uint32_t cycles_ = 0;
};

// One received RTP stream (one publisher's track as one subscriber gets it).
class StreamReceive {
 public:
  // `number` from the marker, `rtp_ts` in `clock_rate` units, arrival in ns.
  void on_packet(uint32_t number, uint32_t rtp_ts, uint32_t clock_rate, uint64_t arrival_ns);

  uint64_t received() const { return received_; }  // every copy
  uint64_t duplicates() const { return duplicates_; }
  uint64_t unique() const { return received_ - duplicates_; }
  // Packets the publisher sent between the first and the highest number seen.
  uint64_t expected() const { return received_ == 0 ? 0 : uint64_t(highest_ - lowest_) + 1; }
  uint64_t lost() const { return expected() > unique() ? expected() - unique() : 0; }
  double jitter_ms() const;

  // Silence (issue 12 #10: a dark stream must not pass as "loss 0"): the
  // longest gap between packets since the last reset_silence(), or since the
  // last packet until `now_ns`, whichever is longer.
  uint64_t silence_ns(uint64_t now_ns) const {
    const uint64_t tail = now_ns > last_ns_ ? now_ns - last_ns_ : 0;
    return tail > max_gap_ns_ ? tail : max_gap_ns_;
  }
  void reset_silence(uint64_t now_ns) {
    max_gap_ns_ = 0;
    if (last_ns_ < now_ns) last_ns_ = now_ns;
  }
  uint32_t publisher() const { return publisher_; }
  void set_publisher(uint32_t p) { publisher_ = p; }

 private:
  static constexpr uint32_t kWindow = 1024;  // duplicate detection window, packets
  uint64_t received_ = 0, duplicates_ = 0;
  uint32_t lowest_ = 0, highest_ = 0;
  std::bitset<kWindow>
      seen_;           // bit n % kWindow: number n seen, for n in (highest - kWindow, highest]
  double jitter_ = 0;  // RTP units
  uint32_t clock_rate_ = 0;
  int64_t last_transit_ = 0;
  bool have_transit_ = false;
  uint64_t last_ns_ = 0, max_gap_ns_ = 0;
  uint32_t publisher_ = 0;  // from the marker
};

}  // namespace edgesfu::loadgen
