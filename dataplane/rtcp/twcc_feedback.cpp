#include "dataplane/rtcp/twcc_feedback.hpp"

#include "dataplane/pkt/byte_order.hpp"

namespace edgesfu::dp::rtcp {

namespace {

constexpr uint8_t kRtpfb = 205;
constexpr uint8_t kFmtTwcc = 15;
constexpr std::size_t kHeader = 20;       // RTCP header, SSRCs, base, count, reference time
constexpr uint64_t kTickUs = 250;         // receive deltas
constexpr uint64_t kReferenceUs = 64000;  // reference time
constexpr int64_t kMaxLostRun = 256;      // a longer gap since the last report is not reported
constexpr uint8_t kNotReceived = 0, kSmallDelta = 1, kLargeDelta = 2;

}  // namespace

int64_t TwccRecorder::unwrap(uint16_t seq) {
  if (!started_) {
    started_ = true;
    last_seq_ = seq;
    last_ext_ = seq;
    return last_ext_;
  }
  const int64_t ext = last_ext_ + static_cast<int16_t>(static_cast<uint16_t>(seq - last_seq_));
  if (ext > last_ext_) {
    last_ext_ = ext;
    last_seq_ = seq;
  }
  return ext;
}

bool TwccRecorder::record(uint16_t seq, uint64_t at_us) {
  if (n_ == kCapacity) return false;
  recs_[n_++] = Rec{unwrap(seq), at_us};
  return true;
}

std::size_t TwccRecorder::build(uint32_t sender_ssrc, uint32_t media_ssrc, std::span<uint8_t> out) {
  if (n_ == 0 || out.size() < kMaxReport) return 0;
  // Sequence order (arrival order is nearly that already), then without
  // duplicates and without what an earlier report covered.
  for (uint16_t i = 1; i < n_; ++i) {
    const Rec r = recs_[i];
    uint16_t j = i;
    for (; j > 0 && recs_[j - 1].seq > r.seq; --j) recs_[j] = recs_[j - 1];
    recs_[j] = r;
  }
  uint16_t m = 0;
  for (uint16_t i = 0; i < n_; ++i) {
    if (next_base_ >= 0 && recs_[i].seq < next_base_) continue;
    if (m > 0 && recs_[m - 1].seq == recs_[i].seq) continue;
    recs_[m++] = recs_[i];
  }
  n_ = m;
  if (n_ == 0) return 0;

  // The packets lost since the last report lead this one (as not received).
  int64_t base = recs_[0].seq;
  if (next_base_ >= 0 && base - next_base_ <= kMaxLostRun) base = next_base_;
  const uint64_t reference = recs_[0].at_us / kReferenceUs;
  // Which packets fit: each one's delta (in 250 us ticks from the previous
  // received one, the first from the reference time) must fit 16 signed bits
  // and the report kMaxReport bytes.
  uint8_t sym[kCapacity];
  int64_t prev = static_cast<int64_t>(reference * (kReferenceUs / kTickUs));
  std::size_t delta_bytes = 0;
  uint16_t k = 0;
  for (; k < n_; ++k) {
    const int64_t ticks = static_cast<int64_t>(recs_[k].at_us / kTickUs);
    const int64_t d = ticks - prev;
    const uint8_t s =
        d >= 0 && d <= 255 ? kSmallDelta : (d >= -32768 && d <= 32767 ? kLargeDelta : 0);
    const int64_t statuses = recs_[k].seq - base + 1;
    const std::size_t size =
        kHeader + static_cast<std::size_t>((statuses + 6) / 7) * 2 + delta_bytes + s + 3;
    if (s == 0 || statuses > 0xffff || size > kMaxReport) break;
    sym[k] = s;
    delta_bytes += s;
    prev = ticks;
  }
  // k >= 1: the first packet's delta from its own reference is under 256.
  const int64_t last = recs_[k - 1].seq;
  const auto count = static_cast<uint16_t>(last - base + 1);

  uint8_t* p = out.data();
  p[0] = 0x80 | kFmtTwcc;
  p[1] = kRtpfb;
  pkt::store_be32(p + 4, sender_ssrc);
  pkt::store_be32(p + 8, media_ssrc);
  pkt::store_be16(p + 12, static_cast<uint16_t>(base));
  pkt::store_be16(p + 14, count);
  pkt::store_be32(p + 16, (static_cast<uint32_t>(reference & 0xffffff) << 8) | fb_count_++);
  std::size_t o = kHeader;
  // Two-bit status vector chunks (T=1, S=1), seven packets each.
  uint16_t j = 0;
  for (int64_t s = base; s <= last;) {
    uint16_t chunk = 0xc000;
    for (int slot = 0; slot < 7; ++slot, ++s) {
      uint8_t st = kNotReceived;
      if (s <= last && j < k && recs_[j].seq == s) st = sym[j++];
      chunk = static_cast<uint16_t>(chunk | (st << (12 - 2 * slot)));
    }
    pkt::store_be16(p + o, chunk);
    o += 2;
  }
  prev = static_cast<int64_t>(reference * (kReferenceUs / kTickUs));
  for (uint16_t i = 0; i < k; ++i) {
    const int64_t ticks = static_cast<int64_t>(recs_[i].at_us / kTickUs);
    const int64_t d = ticks - prev;
    prev = ticks;
    if (sym[i] == kSmallDelta) {
      p[o++] = static_cast<uint8_t>(d);
    } else {
      pkt::store_be16(p + o, static_cast<uint16_t>(static_cast<int16_t>(d)));
      o += 2;
    }
  }
  // RTCP padding (RFC 3550 §6.4.1): P set, the last byte counts it.
  if (const std::size_t pad = (4 - o % 4) % 4; pad != 0) {
    for (std::size_t i = 0; i < pad; ++i) p[o++] = 0;
    p[o - 1] = static_cast<uint8_t>(pad);
    p[0] |= 0x20;
  }
  pkt::store_be16(p + 2, static_cast<uint16_t>(o / 4 - 1));

  next_base_ = last + 1;
  for (uint16_t i = k; i < n_; ++i) recs_[i - k] = recs_[i];
  n_ = static_cast<uint16_t>(n_ - k);
  return o;
}

}  // namespace edgesfu::dp::rtcp
