#include "dataplane/pkt/rtcp.hpp"

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::pkt {

const char* to_string(RtcpError e) {
  switch (e) {
    case RtcpError::kOk: return "ok";
    case RtcpError::kTooShort: return "too_short";
    case RtcpError::kBadVersion: return "bad_version";
    case RtcpError::kBadLength: return "bad_length";
    case RtcpError::kBadPadding: return "bad_padding";
    case RtcpError::kBadCount: return "bad_count";
  }
  return "?";
}

bool RtcpWalker::next(RtcpPacket& out) {
  if (error_ != RtcpError::kOk || off_ >= buf_.size()) return false;
  const std::size_t rem = buf_.size() - off_;
  const uint8_t* p = buf_.data() + off_;
  if (rem < 4) {
    error_ = RtcpError::kTooShort;
    return false;
  }
  if ((p[0] >> 6) != 2) {
    error_ = RtcpError::kBadVersion;
    return false;
  }
  // RFC 3550 §6.4.1: length in 32-bit words minus one, header included.
  const std::size_t len = 4u * (std::size_t{load_be16(p + 2)} + 1);
  if (len > rem) {
    error_ = RtcpError::kBadLength;
    return false;
  }
  std::size_t body_len = len - 4;
  if ((p[0] & 0x20) != 0) {
    // RFC 3550 §6.4.1: only the last packet of a compound may be padded.
    const uint8_t pad = p[len - 1];
    if (off_ + len != buf_.size() || pad == 0 || pad > body_len) {
      error_ = RtcpError::kBadPadding;
      return false;
    }
    body_len -= pad;
  }
  out.type = p[1];
  out.count = p[0] & 0x1f;
  out.body = std::span<const uint8_t>(p + 4, body_len);
  off_ += len;
  return true;
}

RtcpError validate_rtcp(std::span<const uint8_t> buf) {
  if (buf.size() < 4) return RtcpError::kTooShort;
  RtcpWalker w(buf);
  RtcpPacket p;
  while (w.next(p)) {
  }
  return w.error();
}

namespace {
void read_block(const uint8_t* b, ReportBlock& r) {
  r.ssrc = load_be32(b);
  r.fraction_lost = b[4];
  uint32_t lost = load_be24(b + 5);
  if ((lost & 0x800000u) != 0) lost |= 0xff000000u;  // sign-extend 24 bits
  r.cumulative_lost = static_cast<int32_t>(lost);
  r.ext_highest_seq = load_be32(b + 8);
  r.jitter = load_be32(b + 12);
  r.lsr = load_be32(b + 16);
  r.dlsr = load_be32(b + 20);
}

void write_block(uint8_t* b, const ReportBlock& r) {
  store_be32(b, r.ssrc);
  b[4] = r.fraction_lost;
  // Clamp to the 24-bit signed range (RFC 3550 §6.4.1).
  int32_t lost = r.cumulative_lost;
  if (lost > 0x7fffff) lost = 0x7fffff;
  if (lost < -0x800000) lost = -0x800000;
  store_be24(b + 5, static_cast<uint32_t>(lost) & 0xffffffu);
  store_be32(b + 8, r.ext_highest_seq);
  store_be32(b + 12, r.jitter);
  store_be32(b + 16, r.lsr);
  store_be32(b + 20, r.dlsr);
}

RtcpError read_blocks(std::span<const uint8_t> body, std::size_t off, uint8_t rc,
                      std::span<ReportBlock> blocks, int& nblocks) {
  if (off + 24u * rc > body.size()) return RtcpError::kBadCount;
  nblocks = 0;
  for (uint8_t i = 0; i < rc && static_cast<std::size_t>(i) < blocks.size(); ++i) {
    read_block(body.data() + off + 24u * i, blocks[i]);
    ++nblocks;
  }
  return RtcpError::kOk;
}

void write_header(uint8_t* p, uint8_t count, uint8_t type, std::size_t len_bytes) {
  p[0] = static_cast<uint8_t>(0x80 | (count & 0x1f));
  p[1] = type;
  store_be16(p + 2, static_cast<uint16_t>(len_bytes / 4 - 1));
}
}  // namespace

RtcpError parse_sr(const RtcpPacket& p, SenderInfo& si, std::span<ReportBlock> blocks,
                   int& nblocks) {
  if (p.type != kRtcpSr || p.body.size() < 24) return RtcpError::kTooShort;
  const uint8_t* b = p.body.data();
  si.ssrc = load_be32(b);
  si.ntp = (uint64_t{load_be32(b + 4)} << 32) | load_be32(b + 8);
  si.rtp_ts = load_be32(b + 12);
  si.packet_count = load_be32(b + 16);
  si.octet_count = load_be32(b + 20);
  return read_blocks(p.body, 24, p.count, blocks, nblocks);
}

RtcpError parse_rr(const RtcpPacket& p, uint32_t& reporter, std::span<ReportBlock> blocks,
                   int& nblocks) {
  if (p.type != kRtcpRr || p.body.size() < 4) return RtcpError::kTooShort;
  reporter = load_be32(p.body.data());
  return read_blocks(p.body, 4, p.count, blocks, nblocks);
}

RtcpError parse_feedback(const RtcpPacket& p, Feedback& fb) {
  if ((p.type != kRtcpRtpfb && p.type != kRtcpPsfb) || p.body.size() < 8) {
    return RtcpError::kTooShort;
  }
  fb.sender_ssrc = load_be32(p.body.data());
  fb.media_ssrc = load_be32(p.body.data() + 4);
  fb.fci = p.body.subspan(8);
  return RtcpError::kOk;
}

int expand_nack(std::span<const uint8_t> fci, std::span<uint16_t> out) {
  int n = 0;
  const int cap = static_cast<int>(out.size());
  for (std::size_t i = 0; i + 4 <= fci.size(); i += 4) {
    const uint16_t pid = load_be16(fci.data() + i);
    const uint16_t blp = load_be16(fci.data() + i + 2);
    if (n < cap) out[static_cast<std::size_t>(n++)] = pid;
    for (int bit = 0; bit < 16; ++bit) {
      if ((blp & (1u << bit)) != 0 && n < cap) {
        out[static_cast<std::size_t>(n++)] = static_cast<uint16_t>(pid + bit + 1);
      }
    }
  }
  return n;
}

int parse_fir(std::span<const uint8_t> fci, std::span<FirEntry> out) {
  int n = 0;
  for (std::size_t i = 0; i + 8 <= fci.size() && static_cast<std::size_t>(n) < out.size();
       i += 8) {
    out[static_cast<std::size_t>(n)].ssrc = load_be32(fci.data() + i);
    out[static_cast<std::size_t>(n)].seq = fci[i + 4];
    ++n;
  }
  return n;
}

bool parse_remb(const Feedback& fb, Remb& out) {
  const auto f = fb.fci;
  if (f.size() < 8 || f[0] != 'R' || f[1] != 'E' || f[2] != 'M' || f[3] != 'B') return false;
  out.num_ssrc = f[4];
  const uint8_t exp = f[5] >> 2;
  const uint32_t mantissa = (uint32_t{f[5] & 0x03u} << 16) | load_be16(f.data() + 6);
  if (exp > 46) return false;  // would overflow 64 bits; no real REMB is that large
  out.bitrate_bps = uint64_t{mantissa} << exp;
  if (f.size() < 8u + 4u * out.num_ssrc) return false;
  for (uint8_t i = 0; i < out.num_ssrc && i < 8; ++i) out.ssrcs[i] = load_be32(f.data() + 8 + 4 * i);
  return true;
}

bool parse_twcc(const Feedback& fb, TwccHeader& out) {
  const auto f = fb.fci;
  if (f.size() < 8) return false;
  out.base_seq = load_be16(f.data());
  out.status_count = load_be16(f.data() + 2);
  uint32_t ref = load_be24(f.data() + 4);
  if ((ref & 0x800000u) != 0) ref |= 0xff000000u;
  out.reference_time = static_cast<int32_t>(ref);
  out.fb_count = f[7];
  return true;
}

std::size_t build_sr(std::span<uint8_t> out, const SenderInfo& si,
                     std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return 0;
  const std::size_t len = 28 + 24 * blocks.size();
  if (out.size() < len) return 0;
  uint8_t* p = out.data();
  write_header(p, static_cast<uint8_t>(blocks.size()), kRtcpSr, len);
  store_be32(p + 4, si.ssrc);
  store_be32(p + 8, static_cast<uint32_t>(si.ntp >> 32));
  store_be32(p + 12, static_cast<uint32_t>(si.ntp));
  store_be32(p + 16, si.rtp_ts);
  store_be32(p + 20, si.packet_count);
  store_be32(p + 24, si.octet_count);
  for (std::size_t i = 0; i < blocks.size(); ++i) write_block(p + 28 + 24 * i, blocks[i]);
  return len;
}

std::size_t build_rr(std::span<uint8_t> out, uint32_t reporter,
                     std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return 0;
  const std::size_t len = 8 + 24 * blocks.size();
  if (out.size() < len) return 0;
  uint8_t* p = out.data();
  write_header(p, static_cast<uint8_t>(blocks.size()), kRtcpRr, len);
  store_be32(p + 4, reporter);
  for (std::size_t i = 0; i < blocks.size(); ++i) write_block(p + 8 + 24 * i, blocks[i]);
  return len;
}

std::size_t build_pli(std::span<uint8_t> out, uint32_t sender, uint32_t media) {
  if (out.size() < 12) return 0;
  write_header(out.data(), kFmtPli, kRtcpPsfb, 12);
  store_be32(out.data() + 4, sender);
  store_be32(out.data() + 8, media);
  return 12;
}

std::size_t build_fir(std::span<uint8_t> out, uint32_t sender, uint32_t media, uint8_t seq) {
  if (out.size() < 20) return 0;
  uint8_t* p = out.data();
  write_header(p, kFmtFir, kRtcpPsfb, 20);
  store_be32(p + 4, sender);
  store_be32(p + 8, 0);  // RFC 5104 §4.3.1.2: media source SSRC unused, zero
  store_be32(p + 12, media);
  p[16] = seq;
  p[17] = p[18] = p[19] = 0;
  return 20;
}

std::size_t build_nack(std::span<uint8_t> out, uint32_t sender, uint32_t media,
                       std::span<const uint16_t> lost) {
  if (lost.empty() || out.size() < 12) return 0;
  uint8_t* p = out.data();
  std::size_t len = 12;
  // Each FCI covers a PID and the 16 numbers after it. `lost` may be unsorted:
  // a number goes into the last FCI when it falls within its 16, else opens one.
  uint16_t pid = 0, blp = 0;
  bool open = false;
  auto flush = [&]() -> bool {
    if (len + 4 > out.size()) return false;
    store_be16(p + len, pid);
    store_be16(p + len + 2, blp);
    len += 4;
    return true;
  };
  for (const uint16_t s : lost) {
    const uint16_t d = static_cast<uint16_t>(s - pid);
    if (open && d == 0) continue;
    if (open && d >= 1 && d <= 16) {
      blp = static_cast<uint16_t>(blp | (1u << (d - 1)));
      continue;
    }
    if (open && !flush()) return 0;
    pid = s;
    blp = 0;
    open = true;
  }
  if (!flush()) return 0;
  write_header(p, kFmtNack, kRtcpRtpfb, len);
  store_be32(p + 4, sender);
  store_be32(p + 8, media);
  return len;
}

}  // namespace edgesfu::dp::pkt
