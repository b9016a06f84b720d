// Statistics of one received RTP stream, as RFC 3550 §6.4.1 and Appendix A.3
// and A.8 define them, and the report block an RR carries from them. Pure;
// owned by the lcore that owns the stream.
#pragma once

#include <cstdint>

#include "dataplane/pkt/rtcp.hpp"
#include "dataplane/pkt/seq.hpp"

namespace edgesfu::dp::rtcp {

class ReceiveStats {
 public:
  explicit ReceiveStats(uint32_t clock_rate = 90000) : clock_rate_(clock_rate) {}

  // One received packet. `arrival_us` is a monotonic clock; the jitter
  // estimate uses it converted to RTP units (RFC 3550 §A.8).
  void on_packet(uint16_t seq, uint32_t rtp_ts, uint64_t arrival_us, uint32_t bytes);

  // The publisher's SR arrived: its NTP time (for LSR) and when (for DLSR).
  void on_sender_report(uint64_t ntp, uint64_t arrival_us) {
    lsr_ = static_cast<uint32_t>(ntp >> 16);
    lsr_arrival_us_ = arrival_us;
    have_sr_ = true;
  }

  // The report block for this stream, as of `now_us`; also closes the interval
  // that `fraction_lost` covers (RFC 3550 §A.3). Call once per RR sent.
  pkt::ReportBlock make_report(uint32_t ssrc, uint64_t now_us);

  uint64_t received() const { return received_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t expected() const;
  int64_t lost() const { return static_cast<int64_t>(expected()) - static_cast<int64_t>(received_); }
  uint32_t jitter() const { return static_cast<uint32_t>(jitter_q4_ >> 4); }
  bool started() const { return unwrap_.started(); }

 private:
  uint32_t clock_rate_;
  pkt::SeqUnwrapper unwrap_;
  uint64_t base_ext_ = 0;
  uint64_t received_ = 0;
  uint64_t bytes_ = 0;
  uint64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;
  int64_t last_transit_ = 0;
  bool have_transit_ = false;
  uint64_t jitter_q4_ = 0;  // jitter * 16, as in RFC 3550 §A.8
  uint32_t lsr_ = 0;
  uint64_t lsr_arrival_us_ = 0;
  bool have_sr_ = false;
};

// RFC 3550 §6.4.1: round-trip time from a report block received at `now_ntp`
// (our NTP clock), in 1/65536 s; 0 when the block carries no LSR.
uint32_t rtt_from_report(const pkt::ReportBlock& rb, uint64_t now_ntp);

// Microseconds since the Unix epoch -> 64-bit NTP time (32.32).
uint64_t ntp_from_unix_us(uint64_t unix_us);

}  // namespace edgesfu::dp::rtcp
