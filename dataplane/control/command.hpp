// Commands from the control thread to one worker lcore, and events back
// (DESIGN.md §2.2). Fixed-size, trivially copyable: they travel by value on
// single-producer/single-consumer rte_ring_elem rings, so sending one never
// allocates. Slots (participant, track, downtrack) are chosen by the control
// thread, the only writer of dataplane state; the worker applies commands
// between bursts.
#pragma once

#include <cstdint>
#include <type_traits>

#include "dataplane/pkt/keyframe.hpp"
#include "dataplane/pkt/net.hpp"
#include "dataplane/srtp/srtp_engine.hpp"

namespace edgesfu::dp::control {

inline constexpr int kMaxPtMap = 8;    // payload-type pairs per downtrack
inline constexpr int kMaxExtMap = 16;  // extension-ID pairs per downtrack
inline constexpr int kMaxLayers = 3;   // simulcast layers per track
inline constexpr int kMaxMid =
    16;  // bytes of a MID the fast path matches (RFC 8843 §15: 1-16 chars)
inline constexpr int kMaxRid = 8;  // bytes of a RID the fast path matches

enum class MediaKind : uint8_t { kAudio, kVideo };

struct AddParticipant {
  uint16_t slot;
  uint32_t generation;
  uint32_t id;  // the control thread's participant number (for events)
  uint16_t local_port;
  pkt::IpAddr remote;  // the selected ICE pair's remote side
  uint16_t remote_port;
  uint32_t feedback_ssrc;  // our SSRC in RTCP we send this participant as a publisher
  srtp::Session* rx;       // inbound: what the participant sends us
  srtp::Session* tx_rtcp;  // outbound RTCP (RR, PLI, FIR) with feedback_ssrc
};

struct RemoveParticipant {
  uint16_t slot;
};

// A published track: one RTP stream (`ssrc`), or simulcast layers that the
// publisher names by RID only (nlayers > 0, lowest quality first): their
// SSRCs are learned from the first authenticated packet carrying this MID and
// RID in its header extensions (RFC 8852), and the best layer flowing is the
// one forwarded. The extension IDs are the publisher's connection's (one
// numbering under BUNDLE, so they are the same for all its tracks).
struct AddTrack {
  uint16_t slot;
  uint16_t participant;  // publisher's slot
  uint32_t id;
  uint32_t ssrc;      // 0 with layers
  uint32_t rtx_ssrc;  // the publisher's RTX stream: not forwarded (0: none)
  uint32_t clock_rate;
  MediaKind kind;
  pkt::VideoCodec codec;
  uint8_t twcc_ext;                    // transport-wide-cc: feedback sent when non-zero
  uint8_t mid_ext, rid_ext, rrid_ext;  // sdes:mid, rtp-stream-id, repaired-rtp-stream-id
  uint8_t audio_level_ext;  // ssrc-audio-level (RFC 6464): windows reported when non-zero
  uint8_t nlayers;
  char mid[kMaxMid];  // NUL-padded
  char rids[kMaxLayers][kMaxRid];
};

struct RemoveTrack {
  uint16_t slot;
};

struct AddDowntrack {
  uint32_t slot;
  uint16_t track;
  uint16_t subscriber;  // subscriber's participant slot
  uint32_t id;
  uint32_t ssrc;      // what the subscriber sees
  uint32_t rtx_ssrc;  // 0: no RTX negotiated, retransmit the original
  uint8_t rtx_pt;
  uint8_t npt;
  uint8_t next;
  bool ext_passthrough;  // extensions left as they are (ext_* unused)
  uint16_t first_seq;
  uint32_t first_ts;
  uint8_t pt_from[kMaxPtMap], pt_to[kMaxPtMap];      // publisher PT -> subscriber PT
  uint8_t ext_from[kMaxExtMap], ext_to[kMaxExtMap];  // publisher ext ID -> subscriber's
  srtp::Session* tx;                                 // outbound, SSRC-specific (ssrc)
  srtp::Session* tx_rtx;                             // outbound for rtx_ssrc, or null
};

struct RemoveDowntrack {
  uint32_t slot;
};

struct RequestKeyframe {
  uint16_t track;
};

// Stops (or resumes) forwarding on a downtrack without removing it: its
// sequence numbers go on without a gap when it resumes.
struct PauseDowntrack {
  uint32_t slot;
  uint8_t paused;
};

enum class CommandType : uint8_t {
  kAddParticipant,
  kRemoveParticipant,
  kAddTrack,
  kRemoveTrack,
  kAddDowntrack,
  kRemoveDowntrack,
  kRequestKeyframe,
  kPauseDowntrack,
};

struct Command {
  Command() : type(CommandType::kRequestKeyframe), request_keyframe{0} {}
  CommandType type;
  union {
    AddParticipant add_participant;
    RemoveParticipant remove_participant;
    AddTrack add_track;
    RemoveTrack remove_track;
    AddDowntrack add_downtrack;
    RemoveDowntrack remove_downtrack;
    RequestKeyframe request_keyframe;
    PauseDowntrack pause_downtrack;
  };
};
static_assert(std::is_trivially_copyable_v<Command>);
static_assert(sizeof(Command) % 4 == 0, "rte_ring_elem needs a multiple of 4 bytes");

// Events from a worker to the control thread.
enum class EventType : uint8_t {
  kSessionReleased,  // the worker no longer uses `session`: destroy it
  kFlowIdle,         // participant `slot`/`generation` sent nothing for the idle timeout
  kAudioLevel,       // track `slot` (id `id`): one window of its audio levels
  kQuality,          // participant `slot`/`generation` (id `id`): its last report interval
};

struct Event {
  EventType type;
  uint8_t level;  // kAudioLevel: the loudest level while active (127: none)
  uint16_t slot;
  uint32_t id;
  uint32_t generation;
  uint16_t active_ms;    // kAudioLevel: time at or above the active level
  uint16_t observed_ms;  // kAudioLevel: the window's length
  // kQuality: the worst loss (RFC 3550 fraction, /256) of what it sends us
  // and of what it reported receiving, the worst jitter and round trip (ms).
  uint8_t loss_in, loss_out;
  uint16_t jitter_ms, rtt_ms;
  srtp::Session* session;
};
static_assert(std::is_trivially_copyable_v<Event>);
static_assert(sizeof(Event) % 4 == 0);

}  // namespace edgesfu::dp::control
