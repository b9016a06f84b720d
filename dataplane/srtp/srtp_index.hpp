// SRTP packet-index arithmetic, pure: the 48-bit index estimate from a 16-bit
// sequence number (RFC 3711 §3.3.1, Appendix A) and the replay windows for
// SRTP (§3.3.2) and SRTCP (§3.4). No allocation, no exceptions; unit-tested.
#pragma once

#include <cstdint>

namespace edgesfu::dp::srtp {

// The index of a packet whose sequence number is `seq`, given the highest
// index seen on the stream so far (`highest`, ROC << 16 | s_l). While that is
// at most 2^15 the ROC is taken as 0 (as libsrtp does: the RFC's guess could
// otherwise wrap it to 2^32 - 1 on a stream's first packets).
inline uint64_t estimate_index(uint64_t highest, uint16_t seq) {
  constexpr uint32_t kMedian = 1u << 15;
  if (highest <= kMedian) return seq;
  const uint32_t roc = static_cast<uint32_t>(highest >> 16);
  const uint16_t s_l = static_cast<uint16_t>(highest);
  uint32_t v = roc;
  if (s_l < kMedian) {
    if (static_cast<uint32_t>(seq) > s_l + kMedian) v = roc - 1;  // roc >= 1 here
  } else if (static_cast<uint32_t>(s_l) - kMedian > seq) {
    v = roc + 1;
  }
  return (static_cast<uint64_t>(v) << 16) | seq;
}

enum class ReplayVerdict : uint8_t { kNew, kSeen, kTooOld };

// A sliding window of `Bits` packet indices ending at the highest one seen.
// Bit i of the map stands for index (highest - i).
template <unsigned Bits>
struct ReplayWindow {
  static_assert(Bits % 64 == 0 && Bits >= 64);
  static constexpr unsigned kWords = Bits / 64;
  uint64_t highest = 0;
  bool any = false;
  uint64_t map[kWords] = {};

  // `size` (<= Bits) is the window the session was configured with.
  ReplayVerdict check(uint64_t index, unsigned size) const {
    if (!any || index > highest) return ReplayVerdict::kNew;
    const uint64_t delta = highest - index;
    if (delta >= size) return ReplayVerdict::kTooOld;
    return (map[delta / 64] >> (delta % 64)) & 1 ? ReplayVerdict::kSeen : ReplayVerdict::kNew;
  }

  // Records an index that check() accepted and that authenticated.
  void add(uint64_t index) {
    if (!any) {
      any = true;
      highest = index;
      clear();
      map[0] = 1;
      return;
    }
    if (index > highest) {
      shift(index - highest);
      highest = index;
      map[0] |= 1;
      return;
    }
    const uint64_t delta = highest - index;
    if (delta < Bits) map[delta / 64] |= uint64_t{1} << (delta % 64);
  }

 private:
  void clear() {
    for (uint64_t& w : map) w = 0;
  }
  void shift(uint64_t by) {
    if (by >= Bits) {
      clear();
      return;
    }
    const unsigned words = static_cast<unsigned>(by / 64), bits = static_cast<unsigned>(by % 64);
    for (unsigned i = kWords; i-- > 0;) {
      uint64_t v = 0;
      if (i >= words) {
        v = map[i - words] << bits;
        if (bits != 0 && i > words) v |= map[i - words - 1] >> (64 - bits);
      }
      map[i] = v;
    }
  }
};

}  // namespace edgesfu::dp::srtp
