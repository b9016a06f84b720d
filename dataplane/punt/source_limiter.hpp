// Per-source token buckets guarding the exception path (DESIGN.md §1): a
// fixed table of buckets indexed by a hash of the source (IP address, or MAC
// for non-IP frames); sources that collide share a bucket. Pure; one owner.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/punt/token_bucket.hpp"

namespace edgesfu::dp::punt {

class SourceLimiter {
 public:
  SourceLimiter(uint32_t buckets, uint32_t rate_per_s, uint32_t burst, uint64_t hz, uint64_t now) {
    uint32_t n = 1;
    while (n < buckets) n <<= 1;
    mask_ = n - 1;
    b_ = std::make_unique<TokenBucket[]>(n);
    for (uint32_t i = 0; i < n; ++i) b_[i] = TokenBucket(rate_per_s, burst, hz, now);
  }
  // True when the source may punt one more packet now.
  bool allow(const uint8_t* src, std::size_t len, uint64_t now) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (std::size_t i = 0; i < len; ++i) h = (h ^ src[i]) * 16777619u;
    return b_[h & mask_].take(now);
  }

 private:
  uint32_t mask_ = 0;
  std::unique_ptr<TokenBucket[]> b_;
};

}  // namespace edgesfu::dp::punt
