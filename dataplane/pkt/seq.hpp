// Sequence-number arithmetic with wrap-around (RFC 3550 §A.1 style). Pure.
#pragma once

#include <cstdint>

namespace edgesfu::dp::pkt {

// True when `a` comes after `b` in 16-bit serial arithmetic (RFC 1982).
inline bool seq_newer(uint16_t a, uint16_t b) {
  return a != b && static_cast<uint16_t>(a - b) < 0x8000;
}

// Signed distance a - b in 16-bit serial arithmetic, in [-32768, 32767].
inline int32_t seq_delta(uint16_t a, uint16_t b) {
  return static_cast<int16_t>(static_cast<uint16_t>(a - b));
}

// True when 32-bit timestamp `a` comes after `b`.
inline bool ts_newer(uint32_t a, uint32_t b) {
  return a != b && static_cast<uint32_t>(a - b) < 0x80000000u;
}

// Extends 16-bit sequence numbers to 64 bits by counting wraps, tolerating
// reordering within half the sequence space.
class SeqUnwrapper {
 public:
  uint64_t unwrap(uint16_t seq) {
    if (!started_) {
      started_ = true;
      // Start one cycle in, so that a packet from just before the first one
      // (reordered) still has a non-negative extended number.
      last_ = (uint64_t{1} << 16) + seq;
      return last_;
    }
    const int32_t d = seq_delta(seq, static_cast<uint16_t>(last_));
    const uint64_t ext = static_cast<uint64_t>(static_cast<int64_t>(last_) + d);
    if (d > 0) last_ = ext;
    return ext;
  }
  bool started() const { return started_; }
  uint64_t highest() const { return last_; }

 private:
  uint64_t last_ = 0;
  bool started_ = false;
};

}  // namespace edgesfu::dp::pkt
