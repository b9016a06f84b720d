// Upstream loss recovery for one publisher stream: the sequence numbers
// missing from it, asked for again with generic NACKs (RFC 4585 §6.2.1) until
// they arrive, are given up on, or fall out of the window. What LiveKit's
// receive buffer does with its NACK queue: without it, a packet the
// publisher's uplink lost is lost for every subscriber, whose own NACKs find
// nothing in the SFU's retransmission ring. Pure; no allocation; owned by the
// lcore that owns the track.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/pkt/seq.hpp"

namespace edgesfu::dp::rtcp {

struct NackParams {
  // A gap is asked for after this long: a packet merely reordered on the way
  // arrives meanwhile and costs no NACK.
  uint32_t first_delay_us = 10'000;
  // Between two requests for the same packet: about a round trip, so that
  // the answer to the last one had time to come.
  uint32_t retry_us = 60'000;
  uint8_t max_tries = 5;
  // A packet older than this is of no use to a jitter buffer any more.
  uint32_t max_age_us = 1'000'000;
};

class NackTracker {
 public:
  // Sequence numbers waiting at once; a gap larger than this is a publisher
  // restart or an outage, not loss to repair, and is not asked for.
  static constexpr uint16_t kCapacity = 128;

  enum class Arrival : uint8_t {
    kNew,        // the newest so far (or the first)
    kRecovered,  // one that was missing: a retransmission or a late packet
    kOld,        // older and not missing: a duplicate, or one given up on
  };

  explicit NackTracker(NackParams p = {}) : p_(p) {}

  void reset() {
    started_ = false;
    head_ = n_ = 0;
    live_ = 0;
  }

  // A packet `seq` of the stream arrived (first transmission or recovered).
  Arrival on_packet(uint16_t seq, uint64_t now_us) {
    if (!started_) {
      started_ = true;
      highest_ = seq;
      return Arrival::kNew;
    }
    const int32_t d = pkt::seq_delta(seq, highest_);
    if (d > 0) {
      if (d - 1 > kCapacity) {
        // A jump, not loss: start over from here.
        head_ = n_ = 0;
        live_ = 0;
      } else {
        for (int32_t i = 1; i < d; ++i) push(static_cast<uint16_t>(highest_ + i), now_us);
      }
      highest_ = seq;
      return Arrival::kNew;
    }
    return remove(seq) ? Arrival::kRecovered : Arrival::kOld;
  }

  // Sequence numbers to ask for now, into `out` (oldest first; at most
  // out.size()); each is scheduled for its next request. Those out of tries
  // or too old are dropped and counted in `gave_up`.
  std::size_t due(uint64_t now_us, std::span<uint16_t> out, uint32_t& gave_up) {
    std::size_t k = 0;
    for (uint16_t i = 0; i < n_; ++i) {
      Entry& e = at(i);
      if (!e.live || e.next_us > now_us) continue;
      if (e.tries >= p_.max_tries || now_us - e.first_us > p_.max_age_us) {
        kill(e);
        ++gave_up;
        continue;
      }
      if (k == out.size()) break;
      out[k++] = e.seq;
      ++e.tries;
      e.next_us = now_us + p_.retry_us;
    }
    trim();
    return k;
  }

  // Sequence numbers still missing (asked for or about to be).
  uint16_t missing() const { return live_; }

  // Could `seq` be a packet of this stream that is not here yet: missing, or
  // at most kCapacity past the newest (a retransmission overtaking its
  // original)? Not for a stream not started, or one far ahead.
  bool could_be_due(uint16_t seq) const {
    return started_ && pkt::seq_delta(seq, highest_) <= static_cast<int32_t>(kCapacity);
  }

 private:
  struct Entry {
    uint64_t first_us;
    uint64_t next_us;
    uint16_t seq;
    uint8_t tries;
    bool live;
  };

  Entry& at(uint16_t i) { return entries_[(head_ + i) % kCapacity]; }

  void push(uint16_t seq, uint64_t now_us) {
    if (n_ == kCapacity) {
      // Full: the oldest goes (the newest gap matters most to a decoder).
      if (entries_[head_].live) --live_;
      head_ = static_cast<uint16_t>((head_ + 1) % kCapacity);
      --n_;
    }
    at(n_) = Entry{now_us, now_us + p_.first_delay_us, seq, 0, true};
    ++n_;
    ++live_;
  }

  // A scan of at most kCapacity entries, for packets that came late only.
  bool remove(uint16_t seq) {
    if (n_ == 0) return false;
    for (uint16_t i = 0; i < n_; ++i) {
      Entry& e = at(i);
      if (e.live && e.seq == seq) {
        kill(e);
        trim();
        return true;
      }
    }
    return false;
  }

  void kill(Entry& e) {
    e.live = false;
    --live_;
  }

  // Dead entries at the front are let go.
  void trim() {
    while (n_ != 0 && !entries_[head_].live) {
      head_ = static_cast<uint16_t>((head_ + 1) % kCapacity);
      --n_;
    }
  }

  NackParams p_;
  bool started_ = false;
  uint16_t highest_ = 0;
  uint16_t head_ = 0, n_ = 0, live_ = 0;
  Entry entries_[kCapacity] = {};
};

}  // namespace edgesfu::dp::rtcp
