// (participant slot, SSRC) -> index, open addressing with linear probing and
// backward-shift deletion. Fixed capacity chosen at construction; no
// allocation afterwards. Pure; one owner (the lcore).
#pragma once

#include <cstdint>
#include <memory>

namespace edgesfu::dp::fanout {

class SsrcMap {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  explicit SsrcMap(uint32_t max_entries) {
    const uint32_t cap = capacity_for(max_entries);
    own_keys_ = std::make_unique<uint64_t[]>(cap);
    own_vals_ = std::make_unique<uint32_t[]>(cap);
    init(cap, own_keys_.get(), own_vals_.get());
  }
  // The same over capacity_for(max_entries) keys and values that the caller
  // owns and keeps for the map's life (a worker's tables on its NUMA node).
  SsrcMap(uint32_t max_entries, uint64_t* keys, uint32_t* vals) {
    init(capacity_for(max_entries), keys, vals);
  }
  static uint32_t capacity_for(uint32_t max_entries) {
    uint32_t cap = 16;
    while (cap < max_entries * 2u) cap <<= 1;
    return cap;
  }

  static uint64_t key(uint16_t slot, uint32_t ssrc) { return (uint64_t{slot} << 32) | ssrc; }

  uint32_t find(uint16_t slot, uint32_t ssrc) const {
    const uint64_t k = key(slot, ssrc);
    for (uint32_t i = hash(k);; i = (i + 1) & mask_) {
      if (keys_[i] == kEmpty) return kNone;
      if (keys_[i] == k) return vals_[i];
    }
  }

  // False when full (more than half the capacity is never used) or present.
  bool insert(uint16_t slot, uint32_t ssrc, uint32_t value) {
    if (size_ * 2 > mask_) return false;
    const uint64_t k = key(slot, ssrc);
    uint32_t i = hash(k);
    for (; keys_[i] != kEmpty; i = (i + 1) & mask_) {
      if (keys_[i] == k) return false;
    }
    keys_[i] = k;
    vals_[i] = value;
    ++size_;
    return true;
  }

  bool erase(uint16_t slot, uint32_t ssrc) {
    const uint64_t k = key(slot, ssrc);
    uint32_t i = hash(k);
    for (;; i = (i + 1) & mask_) {
      if (keys_[i] == kEmpty) return false;
      if (keys_[i] == k) break;
    }
    // Backward-shift: move later members of the probe run into the hole.
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & mask_; keys_[j] != kEmpty; j = (j + 1) & mask_) {
      const uint32_t home = hash(keys_[j]);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!between) {
        keys_[hole] = keys_[j];
        vals_[hole] = vals_[j];
        hole = j;
      }
    }
    keys_[hole] = kEmpty;
    --size_;
    return true;
  }

  uint32_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  uint32_t hash(uint64_t k) const {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;  // murmur3 finaliser
    k ^= k >> 33;
    return static_cast<uint32_t>(k) & mask_;
  }
  void init(uint32_t cap, uint64_t* keys, uint32_t* vals) {
    mask_ = cap - 1;
    keys_ = keys;
    vals_ = vals;
    for (uint32_t i = 0; i < cap; ++i) keys_[i] = kEmpty;
  }

  uint32_t mask_ = 0;
  uint32_t size_ = 0;
  uint64_t* keys_ = nullptr;
  uint32_t* vals_ = nullptr;
  // When the map made its arrays itself.
  std::unique_ptr<uint64_t[]> own_keys_;
  std::unique_ptr<uint32_t[]> own_vals_;
};

}  // namespace edgesfu::dp::fanout
