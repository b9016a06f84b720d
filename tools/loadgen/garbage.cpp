#include "tools/loadgen/garbage.hpp"

#include <algorithm>

#include "dataplane/pkt/byte_order.hpp"
#include "tools/loadgen/splitmix.hpp"

namespace edgesfu::loadgen {
namespace {

using dp::pkt::store_be16;
using dp::pkt::store_be32;

void fill_random(std::span<uint8_t> b, uint64_t& rng) {
  for (auto& x : b) x = static_cast<uint8_t>(splitmix64(rng));
}

// An RTP header (V=2, PT 111) with random timestamp, then `body` random
// bytes standing for payload and tag.
std::size_t forged_rtp(std::span<uint8_t> out, uint32_t ssrc, uint16_t seq, uint64_t& rng) {
  const std::size_t body = 20 + splitmix64(rng) % 1180;
  out[0] = 0x80;
  out[1] = 111;
  store_be16(&out[2], seq);
  store_be32(&out[4], static_cast<uint32_t>(splitmix64(rng)));
  store_be32(&out[8], ssrc);
  fill_random(out.subspan(12, body), rng);
  return 12 + body;
}

}  // namespace

const char* to_string(Garbage g) {
  switch (g) {
    case Garbage::kForgedRtp: return "forged_rtp";
    case Garbage::kForgedRtcp: return "forged_rtcp";
    case Garbage::kReplayedRtp: return "replayed_rtp";
    case Garbage::kTruncated: return "truncated";
    case Garbage::kStrangerSsrc: return "stranger_ssrc";
    case Garbage::kRandom: return "random";
    case Garbage::kCount: break;
  }
  return "?";
}

Garbage garbage_kind(uint64_t n) {
  return static_cast<Garbage>(n % static_cast<uint64_t>(Garbage::kCount));
}

std::size_t make_garbage(std::span<uint8_t> out, uint64_t n, uint32_t ssrc, uint16_t seq,
                         std::span<const uint8_t> last, uint64_t& rng) {
  if (out.size() < 1500) return 0;
  switch (garbage_kind(n)) {
    case Garbage::kForgedRtp: return forged_rtp(out, ssrc, seq, rng);
    case Garbage::kForgedRtcp: {
      // RR (PT 201) with one report block, then E|index and a 10-byte tag.
      out[0] = 0x81;
      out[1] = 201;
      store_be16(&out[2], 7);
      store_be32(&out[4], ssrc);
      fill_random(out.subspan(8, 24 + 4 + 10), rng);
      return 8 + 24 + 4 + 10;
    }
    case Garbage::kReplayedRtp:
      if (last.empty() || last.size() > out.size()) return forged_rtp(out, ssrc, seq, rng);
      std::copy(last.begin(), last.end(), out.begin());
      return last.size();
    case Garbage::kTruncated: {
      const std::size_t len = 1 + splitmix64(rng) % 11;
      fill_random(out.first(len), rng);
      out[0] = static_cast<uint8_t>(0x80 | (out[0] & 0x3f));
      return len;
    }
    case Garbage::kStrangerSsrc: {
      uint32_t other = static_cast<uint32_t>(splitmix64(rng));
      if (other == ssrc) ++other;
      return forged_rtp(out, other, static_cast<uint16_t>(splitmix64(rng)), rng);
    }
    case Garbage::kRandom: {
      const std::size_t len = 1 + splitmix64(rng) % 1200;
      fill_random(out.first(len), rng);
      return len;
    }
    case Garbage::kCount: break;
  }
  return 0;
}

}  // namespace edgesfu::loadgen
