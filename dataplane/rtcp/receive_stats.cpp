#include "dataplane/rtcp/receive_stats.hpp"

namespace edgesfu::dp::rtcp {

void ReceiveStats::on_packet(uint16_t seq, uint32_t rtp_ts, uint64_t arrival_us,
                             uint32_t bytes) {
  const bool first = !unwrap_.started();
  const uint64_t ext = unwrap_.unwrap(seq);
  if (first || ext < base_ext_) base_ext_ = ext;
  ++received_;
  bytes_ += bytes;
  // RFC 3550 §A.8: transit = arrival (in RTP units) - timestamp;
  // J += (|D| - J) / 16, kept scaled by 16.
  const int64_t arrival_rtp =
      static_cast<int64_t>(arrival_us * clock_rate_ / 1000000u);
  const int64_t transit = arrival_rtp - static_cast<int64_t>(rtp_ts);
  if (have_transit_) {
    int64_t d = transit - last_transit_;
    // Timestamps wrap at 2^32: fold the difference into the signed 32-bit range.
    d = static_cast<int32_t>(static_cast<uint32_t>(d));
    if (d < 0) d = -d;
    jitter_q4_ += static_cast<uint64_t>(d) - ((jitter_q4_ + 8) >> 4);
  }
  last_transit_ = transit;
  have_transit_ = true;
}

uint64_t ReceiveStats::expected() const {
  if (!unwrap_.started()) return 0;
  return unwrap_.highest() - base_ext_ + 1;
}

pkt::ReportBlock ReceiveStats::make_report(uint32_t ssrc, uint64_t now_us) {
  pkt::ReportBlock rb;
  rb.ssrc = ssrc;
  const uint64_t exp = expected();
  const int64_t lost = static_cast<int64_t>(exp) - static_cast<int64_t>(received_);
  rb.cumulative_lost = lost > 0x7fffff ? 0x7fffff : (lost < -0x800000 ? -0x800000 : static_cast<int32_t>(lost));
  // RFC 3550 §A.3: fraction lost over the interval since the last report.
  const int64_t exp_int = static_cast<int64_t>(exp - expected_prior_);
  const int64_t rec_int = static_cast<int64_t>(received_ - received_prior_);
  expected_prior_ = exp;
  received_prior_ = received_;
  const int64_t lost_int = exp_int - rec_int;
  rb.fraction_lost = (exp_int == 0 || lost_int <= 0)
                         ? 0
                         : static_cast<uint8_t>((lost_int << 8) / exp_int > 255 ? 255 : (lost_int << 8) / exp_int);
  rb.ext_highest_seq = static_cast<uint32_t>(unwrap_.highest() - (uint64_t{1} << 16));
  rb.jitter = jitter();
  if (have_sr_) {
    rb.lsr = lsr_;
    const uint64_t since = now_us > lsr_arrival_us_ ? now_us - lsr_arrival_us_ : 0;
    rb.dlsr = static_cast<uint32_t>(since * 65536u / 1000000u);  // 1/65536 s
  }
  return rb;
}

uint32_t rtt_from_report(const pkt::ReportBlock& rb, uint64_t now_ntp) {
  if (rb.lsr == 0) return 0;
  const uint32_t now_mid = static_cast<uint32_t>(now_ntp >> 16);
  const uint32_t rtt = now_mid - rb.lsr - rb.dlsr;
  // A clock or a report that makes the RTT negative reads as a huge value.
  return rtt > 0x7fffffffu ? 0 : rtt;
}

uint64_t ntp_from_unix_us(uint64_t unix_us) {
  constexpr uint64_t kNtpUnixOffset = 2208988800ull;  // 1900 -> 1970, RFC 5905
  const uint64_t secs = unix_us / 1000000u + kNtpUnixOffset;
  const uint64_t frac = ((unix_us % 1000000u) << 32) / 1000000u;
  return (secs << 32) | frac;
}

}  // namespace edgesfu::dp::rtcp
