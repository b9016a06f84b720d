// The fast path's SRTP interface: sessions are made by the slow path, packets
// are protected and unprotected a burst at a time by the lcore that owns the
// sessions. Engines live behind it (intel-ipsec-mb, the fast one; libsrtp2,
// the reference), so callers do not change when the engine does. One virtual
// call per burst, none per packet.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/result.hpp"
#include "dataplane/srtp/srtp_types.hpp"

namespace edgesfu::dp::srtp {

enum class Direction : uint8_t { kInbound, kOutbound };

// Outcome of one packet; the engine sets it.
enum class Status : uint8_t {
  kOk,
  kAuthFail,     // tag did not verify
  kReplay,       // index already seen, or too old for the replay window
  kMalformed,    // too short to hold a header and tag, or not RTP/RTCP
  kUnknownSsrc,  // no stream for the packet's SSRC in a specific-SSRC session
  kNoRoom,       // protect: no room for the trailer
  kError,        // anything else the engine reports
};
const char* to_string(Status s);

struct SessionParams {
  Keys keys;
  Direction direction = Direction::kInbound;
  // Outbound: the SSRC this session protects (one downtrack, one stream state).
  // Inbound: 0 accepts any SSRC (a stream per SSRC is made on first use).
  uint32_t ssrc = 0;
  uint32_t replay_window = 1024;  // packets (RFC 3711 §3.3.2; at least 64)
  bool allow_retransmit = true;   // outbound: protecting the same index again is allowed (RTX)
};

// Engine-specific; opaque to callers. Each engine derives its own session type
// and only ever sees sessions it made.
class Session {
 protected:
  Session() = default;
  ~Session() = default;
};

// One packet in a burst. `data` points at the RTP/RTCP header; on success
// `len` holds the new length. Protect needs `room` >= len + overhead.
//
// protect_rtp may also copy as it encrypts: with `src` set, the header at
// `data` is taken as written and the payload (the `len` bytes' rest, after
// that header) is read from `src` at the same offset, so `src` holds a packet
// with a header of the same length, never overlaps `data`, and stays as it is
// until protect_rtp returns (a caller that queues ops keeps the packet they
// read from until it has made the call). This is how a
// forwarded packet's one copy per subscriber becomes the cipher's own output
// (the fan-out writes the header only). Other calls ignore `src`.
struct Op {
  uint8_t* data = nullptr;
  uint32_t len = 0;
  uint32_t room = 0;
  Session* session = nullptr;
  Status status = Status::kError;
  const uint8_t* src = nullptr;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const char* name() const = 0;

  // Slow path (allocates). The session belongs to the engine; destroy it with
  // destroy_session once no lcore can use it.
  virtual Result<Session*> create_session(const SessionParams& p) = 0;
  virtual void destroy_session(Session* s) = 0;

  // Optional, on each thread that will call the burst functions, before the
  // first burst: makes that thread's per-thread state (otherwise made on the
  // first burst). Returns false if it cannot.
  virtual bool prepare_thread() { return true; }

  // Lcore that owns every session in the burst: each op is done in place and
  // its status set. No allocation for established streams, no locks.
  virtual void protect_rtp(std::span<Op> ops) = 0;
  virtual void unprotect_rtp(std::span<Op> ops) = 0;
  virtual void protect_rtcp(std::span<Op> ops) = 0;
  virtual void unprotect_rtcp(std::span<Op> ops) = 0;
};

// libsrtp2, the reference engine. Fails if libsrtp cannot initialise.
Result<std::unique_ptr<Engine>> make_libsrtp_engine();

// intel-ipsec-mb's code paths, by the CPU features they need.
enum class IpsecMbArch : uint8_t { kAuto, kSse, kAvx, kAvx2, kAvx512 };
const char* to_string(IpsecMbArch a);

// The multi-buffer engine on intel-ipsec-mb's job API. kAuto picks the best
// code path this CPU supports; an explicit one the CPU lacks is an error.
// Fails without AES-NI.
Result<std::unique_ptr<Engine>> make_ipsecmb_engine(IpsecMbArch arch = IpsecMbArch::kAuto);
// The library's version, and for an engine made above, its code path and the
// CPU features behind it (e.g. "avx512 code path (AES-NI VAES VPCLMULQDQ
// SHA-NI GFNI AVX-512)"); "" for other engines.
const char* ipsecmb_version();
std::string ipsecmb_describe(const Engine& e);

// What the fast path runs on: "auto" (intel-ipsec-mb, or libsrtp2 if this CPU
// cannot run it), "ipsec-mb" or "libsrtp2". `why` says what was picked and why.
Result<std::unique_ptr<Engine>> make_engine(const std::string& choice, std::string& why);

}  // namespace edgesfu::dp::srtp
