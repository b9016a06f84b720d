// Transport-wide congestion control feedback toward a publisher
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): the fast path
// records when each packet carrying a transport-wide sequence number arrived,
// and every few tens of milliseconds sends the publisher an RTPFB FMT=15
// report of them. The publisher's send-side bandwidth estimator (GoogCC in
// libwebrtc) runs on these reports: without them a browser's estimate stays
// at its start value and its simulcast top layer never starts.
//
// Pure state and encoding (no DPDK); one owner, the lcore of the publisher.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace edgesfu::dp::rtcp {

class TwccRecorder {
 public:
  // Packets remembered between reports; the caller sends a report when full.
  static constexpr uint16_t kCapacity = 128;
  // The largest report build() writes (fits any path MTU with SRTCP's trailer).
  static constexpr std::size_t kMaxReport = 1100;

  // One packet with transport-wide sequence number `seq` arrived at `at_us`.
  // False (nothing recorded) when full.
  bool record(uint16_t seq, uint64_t at_us);
  uint16_t pending() const { return n_; }
  bool full() const { return n_ == kCapacity; }

  // Writes one report of the recorded packets (in sequence order, the gaps
  // since the last report as not received) into `out` and forgets what it
  // covered; what did not fit stays for the next one. Returns its length, 0
  // when nothing is pending or `out` is shorter than kMaxReport.
  std::size_t build(uint32_t sender_ssrc, uint32_t media_ssrc, std::span<uint8_t> out);

 private:
  struct Rec {
    int64_t seq;  // unwrapped
    uint64_t at_us;
  };
  int64_t unwrap(uint16_t seq);

  Rec recs_[kCapacity];
  uint16_t n_ = 0;
  bool started_ = false;
  uint16_t last_seq_ = 0;
  int64_t last_ext_ = 0;
  int64_t next_base_ = -1;  // first sequence number not yet reported
  uint8_t fb_count_ = 0;
};

}  // namespace edgesfu::dp::rtcp
