// What a misbehaving publisher sends on its own, authenticated flow
// (loadgen --garbage-pps; the netns_isolation_garbage_media test): packets
// that reach the SFU on a live 5-tuple and must each be dropped and counted
// there without disturbing anyone else. Pure: the caller sends the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace edgesfu::loadgen {

enum class Garbage : uint8_t {
  kForgedRtp,     // our SSRC, the next sequence number, random payload and tag
  kForgedRtcp,    // a receiver report from our SSRC, random SRTCP index and tag
  kReplayedRtp,   // the last packet we protected, sent again
  kTruncated,     // 1-11 bytes that start like RTP
  kStrangerSsrc,  // RTP from an SSRC nobody announced, random tag
  kRandom,        // any bytes, any first byte (STUN, DTLS and RTP ranges)
  kCount
};
const char* to_string(Garbage g);

// The n-th garbage packet of a stream whose SSRC is `ssrc` and whose next
// sequence number is `seq`: its kind is n % kCount. `last` is the last packet
// we protected (kReplayedRtp sends it; empty gives a forged one instead).
// Writes into `out` (at least 1500 bytes) and returns the length; `rng` is a
// splitmix64 state.
std::size_t make_garbage(std::span<uint8_t> out, uint64_t n, uint32_t ssrc, uint16_t seq,
                         std::span<const uint8_t> last, uint64_t& rng);
Garbage garbage_kind(uint64_t n);

}  // namespace edgesfu::loadgen
