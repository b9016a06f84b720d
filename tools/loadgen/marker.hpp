// The send-time marker a loadgen publisher puts at the end of every RTP
// payload it sends, so that a loadgen subscriber can tell which packet of
// which publisher it received and how long it took (one-way, same clock: the
// publishers and subscribers of one run share a process or a machine).
//
//   ... payload ... | magic "EsLg" | publisher id (u32) | packet number (u32) | send time ns (u64)
//
// Opus carries it in the packet's own padding (RFC 6716 §3.2.5, code 3 with
// the padding flag), which every Opus decoder skips, so the audio stays a
// valid Opus packet; video packets carry it at the end of their filler. SFUs
// do not touch payloads, so it arrives as it left. Pure; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace edgesfu::loadgen {

inline constexpr std::size_t kMarkerSize = 20;

struct Marker {
  uint32_t publisher = 0;  // the sending publisher's index in its run
  uint32_t number = 0;     // per publisher and track, +1 each packet
  uint64_t send_ns = 0;    // CLOCK_MONOTONIC at send
};

// Writes the marker into the last kMarkerSize bytes of `payload`; false when
// it is shorter than that.
bool write_marker(std::span<uint8_t> payload, const Marker& m);

// Reads the marker from the end of a received payload; nothing when the
// payload is too short or the magic is not there.
std::optional<Marker> read_marker(std::span<const uint8_t> payload);

// Turns the Opus packet `pkt` (its first `len` bytes) into one padded to
// `len + kMarkerSize + 3` bytes with the marker in its padding.
// `pkt` must have room for the result; returns its length, or -1 when the
// packet is not a valid Opus packet or there is no room.
int opus_with_marker(std::span<uint8_t> pkt, int len, const Marker& m);

}  // namespace edgesfu::loadgen
