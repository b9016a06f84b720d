// A per-track retransmission ring: the last `depth` packets a publisher sent,
// indexed by sequence number, each held by reference (for DPDK, the received
// plaintext mbuf with its refcount raised: no copy). Pure template; owned by the
// lcore that owns the track; no allocation after construction.
//
// `Handle` is a pointer-like type; `Release` is called with each handle the
// ring lets go of (evicted, replaced or cleared). set_keep() narrows the
// window it holds below its capacity: the owner shares a budget of packets
// (of a mempool) between its rings.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "dataplane/pkt/seq.hpp"

namespace edgesfu::dp::nack_cache {

template <typename Handle, typename Release>
class RtxRing {
 public:
  struct Slot {
    Handle h{};
    uint16_t seq = 0;
    bool used = false;
  };

  // `depth` is rounded up to a power of two (at most 32768: half the sequence
  // space, so that a slot is never ambiguous).
  RtxRing(uint32_t depth, Release release) : RtxRing(depth, release, nullptr) {
    own_ = std::make_unique<Slot[]>(capacity());
    slots_ = own_.get();
  }
  // The same over `slots` (capacity_for(depth) of them, value-initialised),
  // which the caller owns and keeps for the ring's life (a worker's tables
  // on its NUMA node: mem::NodeArena).
  RtxRing(uint32_t depth, Release release, Slot* slots) : release_(release), slots_(slots) {
    const uint32_t d = capacity_for(depth);
    mask_ = d - 1;
    keep_ = d;
  }
  static uint32_t capacity_for(uint32_t depth) {
    uint32_t d = 1;
    while (d < depth && d < 32768) d <<= 1;
    return d;
  }
  RtxRing(const RtxRing&) = delete;
  RtxRing& operator=(const RtxRing&) = delete;
  ~RtxRing() { clear(); }

  // Stores `h` as packet `seq`; the ring now owns that reference. A packet that
  // is older than the ring's window is released at once and false is returned.
  bool put(uint16_t seq, Handle h) {
    if (keep_ == 0 || (have_ && pkt::seq_delta(seq, highest_) <= -static_cast<int32_t>(keep_))) {
      release_(h);
      return false;
    }
    if (!have_ || pkt::seq_newer(seq, highest_)) {
      // Slots between the old highest and `seq` belong to packets never seen:
      // release what they held (the window moved past them).
      if (have_) {
        const int32_t adv = pkt::seq_delta(seq, highest_);
        const int32_t cap = static_cast<int32_t>(mask_ + 1);
        const int32_t n = adv > cap ? cap + 1 : adv;  // past the window: every slot
        for (int32_t i = 1; i < n; ++i) drop_slot(static_cast<uint16_t>(highest_ + i));
        // Narrowed: what fell out of the kept window as it moved.
        if (keep_ <= mask_) {
          for (int32_t i = 0; i < std::min(adv, cap); ++i)
            drop_exact(static_cast<uint16_t>(seq - keep_ - static_cast<uint32_t>(i)));
        }
      }
      highest_ = seq;
      have_ = true;
    }
    Slot& s = slots_[seq & mask_];
    if (s.used) release_(s.h);
    s.h = h;
    s.seq = seq;
    s.used = true;
    return true;
  }

  // The packet `seq`, if held; the ring keeps ownership.
  bool get(uint16_t seq, Handle& out) const {
    if (!have_) return false;
    const int32_t d = pkt::seq_delta(seq, highest_);
    if (d > 0 || d <= -static_cast<int32_t>(mask_ + 1)) return false;
    const Slot& s = slots_[seq & mask_];
    if (!s.used || s.seq != seq) return false;
    out = s.h;
    return true;
  }

  void clear() {
    for (uint32_t i = 0; i <= mask_; ++i) drop_slot_at(i);
    have_ = false;
  }

  uint32_t capacity() const { return mask_ + 1; }
  uint32_t keep() const { return keep_; }

  // Holds at most the newest `n` packets (up to capacity()): what is older
  // is released now, and as the window moves on.
  void set_keep(uint32_t n) {
    n = std::min(n, mask_ + 1);
    if (n == 0) {
      clear();  // and forget the highest: the next put starts afresh
    } else if (have_ && n < keep_) {
      for (uint32_t i = n; i < keep_; ++i) drop_exact(static_cast<uint16_t>(highest_ - i));
    }
    keep_ = n;
  }

 private:
  void drop_slot(uint16_t seq) { drop_slot_at(seq & mask_); }
  // Only if the slot holds that very packet (not a newer one in its place).
  void drop_exact(uint16_t seq) {
    if (slots_[seq & mask_].seq == seq) drop_slot_at(seq & mask_);
  }
  void drop_slot_at(uint32_t i) {
    Slot& s = slots_[i];
    if (s.used) {
      release_(s.h);
      s.used = false;
    }
  }

  Release release_;
  uint32_t mask_ = 0;
  uint32_t keep_ = 0;  // <= mask_ + 1
  uint16_t highest_ = 0;
  bool have_ = false;
  Slot* slots_ = nullptr;
  std::unique_ptr<Slot[]> own_;  // when the ring made its slots itself
};

}  // namespace edgesfu::dp::nack_cache
