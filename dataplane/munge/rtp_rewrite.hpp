// What a subscriber's copy of an RTP packet becomes, written once for every
// path that makes one (forwarding, NACK answers, RTX repair): pure functions
// over bytes, no DPDK, inlined into the fan-out loop. The caller has parsed
// `src` (pkt::parse_rtp) and owns `out`, which has room for the result.
#pragma once

#include <cstdint>
#include <cstring>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/rtp.hpp"
#include "dataplane/pkt/rtp_ext.hpp"

namespace edgesfu::dp::munge {

// The fields a downtrack gives its copy of a packet.
struct HeaderRewrite {
  uint8_t pt = 0;  // 7 bits
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint32_t ssrc = 0;
  const pkt::ExtIdMap* ext_map = nullptr;  // null: extension IDs stay
};

namespace detail {
inline void set_pt(uint8_t* p, uint8_t pt) {
  p[1] = static_cast<uint8_t>((p[1] & 0x80) | (pt & 0x7f));  // marker kept
}
// The fixed header's payload type, sequence number, timestamp and SSRC.
inline void set_fields(uint8_t* p, const HeaderRewrite& w) {
  set_pt(p, w.pt);
  pkt::store_be16(p + 2, w.seq);
  pkt::store_be32(p + 4, w.ts);
  pkt::store_be32(p + 8, w.ssrc);
}
inline void rewrite_ext(uint8_t* p, const pkt::RtpHeader& h, const pkt::ExtIdMap* map) {
  if (h.has_extension && map != nullptr)
    pkt::rewrite_extension_ids({p + h.ext_offset, h.ext_len}, h.ext_profile, *map);
}
}  // namespace detail

// The header of the packet as the downtrack sends it: src's h.header_len
// bytes with the downtrack's payload type, sequence number, timestamp, SSRC
// and extension IDs (set_fields over the first two bytes copied, not over a
// copy of the whole fixed header). Nothing past the header is written: the
// payload (padding kept) goes unchanged, and the fast path has the SRTP
// engine copy it as it encrypts (srtp::Op::src), so a packet is copied once
// per subscriber.
inline void write_forward_header(uint8_t* out, const uint8_t* src, const pkt::RtpHeader& h,
                                 const HeaderRewrite& w) {
  out[0] = src[0];
  out[1] = src[1];
  detail::set_fields(out, w);
  // CSRCs and the extension block: a few words, copied inline (a libc call
  // for a short variable length costs more than the copy).
  for (uint32_t i = pkt::kRtpFixedHeader; i < h.header_len; i += 4)
    std::memcpy(out + i, src + i, 4);
  detail::rewrite_ext(out, h, w.ext_map);
}

// Bytes write_rtx() writes for `h`.
inline uint32_t rtx_len(const pkt::RtpHeader& h) { return h.header_len + 2u + h.payload_len; }

// RFC 4588 §4: the retransmission of `src` on the downtrack's RTX stream: the
// original header with the RTX payload type, sequence number and SSRC (w.pt,
// w.seq, w.ssrc), the downtrack's timestamp and extension IDs; then the
// original sequence number as the downtrack numbered it (`osn`), then the
// original payload. Padding is dropped. Returns rtx_len(h).
inline uint32_t write_rtx(uint8_t* out, const uint8_t* src, const pkt::RtpHeader& h,
                          const HeaderRewrite& w, uint16_t osn) {
  std::memcpy(out, src, h.header_len);
  out[0] = static_cast<uint8_t>(out[0] & ~0x20);  // no padding
  detail::set_fields(out, w);
  pkt::store_be16(out + h.header_len, osn);
  std::memcpy(out + h.header_len + 2, src + h.header_len, h.payload_len);
  detail::rewrite_ext(out, h, w.ext_map);
  return rtx_len(h);
}

// The original sequence number an RTX packet carries, or false for a packet
// too short to carry one (a padding-only probe).
inline bool rtx_osn(const uint8_t* rtx, const pkt::RtpHeader& h, uint16_t& osn) {
  if (h.payload_len < 2) return false;
  osn = pkt::load_be16(rtx + h.header_len);
  return true;
}

// RFC 4588 §4, the other way, in place: the original packet back out of an
// RTX packet of `len` bytes at `rtp` (parsed as `h`; `osn` from rtx_osn()):
// its header moves up over the OSN and takes back the stream's sequence
// number, payload type and SSRC; padding goes. `rtp` and `len` then
// describe the original.
inline void rtx_restore(uint8_t*& rtp, uint32_t& len, const pkt::RtpHeader& h, uint16_t osn,
                        uint8_t media_pt, uint32_t media_ssrc) {
  std::memmove(rtp + 2, rtp, h.header_len);
  rtp += 2;
  len = h.header_len + h.payload_len - 2u;
  rtp[0] = static_cast<uint8_t>(rtp[0] & ~0x20);
  detail::set_pt(rtp, media_pt);
  pkt::store_be16(rtp + 2, osn);
  pkt::store_be32(rtp + 8, media_ssrc);
}

}  // namespace edgesfu::dp::munge
