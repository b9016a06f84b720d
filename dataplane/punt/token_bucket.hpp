// A token bucket in integer arithmetic over TSC (or any monotonic tick) time:
// `rate` tokens per second, at most `burst` stored. Pure; one owner (an lcore).
#pragma once

#include <cstdint>

namespace edgesfu::dp::punt {

class TokenBucket {
 public:
  TokenBucket() = default;
  // `hz`: ticks per second of the clock that `now` is read from.
  TokenBucket(uint32_t rate_per_s, uint32_t burst, uint64_t hz, uint64_t now)
      : rate_(rate_per_s), burst_(burst), hz_(hz == 0 ? 1 : hz), tokens_(burst), last_(now) {}

  // Takes one token if there is one. Refills from the time since the last call.
  bool take(uint64_t now) {
    refill(now);
    if (tokens_ == 0) return false;
    --tokens_;
    return true;
  }

  // Takes `n` tokens if there are that many (a message of n bytes).
  bool take(uint64_t now, uint32_t n) {
    refill(now);
    if (tokens_ < n) return false;
    tokens_ -= n;
    return true;
  }

  uint32_t tokens(uint64_t now) {
    refill(now);
    return tokens_;
  }

 private:
  void refill(uint64_t now) {
    if (now <= last_ || rate_ == 0) return;
    const uint64_t elapsed = now - last_;
    // Whole tokens earned; the remainder of time is kept by advancing `last_`
    // only by the time those tokens took, so nothing is lost to rounding.
    const uint64_t earned = elapsed * rate_ / hz_;
    if (earned == 0) return;
    const uint64_t room = burst_ - tokens_;
    if (earned > room) {  // overflow: a full bucket keeps no credit
      tokens_ = burst_;
      last_ = now;
    } else {
      tokens_ += static_cast<uint32_t>(earned);
      last_ += earned * hz_ / rate_;
    }
  }

  uint32_t rate_ = 0;
  uint32_t burst_ = 0;
  uint64_t hz_ = 1;
  uint32_t tokens_ = 0;
  uint64_t last_ = 0;
};

}  // namespace edgesfu::dp::punt
