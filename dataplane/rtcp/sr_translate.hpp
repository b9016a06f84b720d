// Sender reports a downtrack sends: the publisher's last SR (its NTP<->RTP
// mapping, which receivers use for lip sync) moved forward to now and put
// into the downtrack's timestamp space. Pure.
#pragma once

#include <cstdint>

#include "dataplane/munge/rtp_munger.hpp"
#include "dataplane/pkt/rtcp.hpp"

namespace edgesfu::dp::rtcp {

// `last_sr` arrived at `last_sr_us`; `now_us` is the same clock. The result
// has the downtrack's SSRC and counts.
inline pkt::SenderInfo translate_sr(const pkt::SenderInfo& last_sr, uint64_t last_sr_us,
                                    uint64_t now_us, uint32_t clock_rate,
                                    const munge::RtpMunger& munger, uint32_t ssrc,
                                    uint32_t packets, uint32_t octets) {
  const uint64_t elapsed_us = now_us > last_sr_us ? now_us - last_sr_us : 0;
  pkt::SenderInfo si;
  si.ssrc = ssrc;
  // NTP is 32.32 fixed point: seconds << 32.
  si.ntp = last_sr.ntp + ((elapsed_us << 32) / 1000000u);
  si.rtp_ts = munger.translate_ts(last_sr.rtp_ts +
                                  static_cast<uint32_t>(elapsed_us * clock_rate / 1000000u));
  si.packet_count = packets;
  si.octet_count = octets;
  return si;
}

}  // namespace edgesfu::dp::rtcp
