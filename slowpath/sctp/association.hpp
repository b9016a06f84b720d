// One SCTP association over a participant's DTLS (RFC 8261), with usrsctp in
// its thread-less mode: every usrsctp call, every callback and the timers
// run on the slow-path thread. The association sends its packets through a
// function (the DTLS transport's application data) and takes the peer's
// with input(); whole messages come out through on_message, after usrsctp
// has returned (no re-entry into usrsctp from a callback).
// Slow-path thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "slowpath/sctp/dcep.hpp"

struct socket;

namespace edgesfu::sp::sctp {

// usrsctp's process-wide state: initialised on first use, timers driven by
// tick() (the owner calls it every few ms; tests call it by hand).
class Stack {
 public:
  // Advances usrsctp's timers to `now_ms` (a monotonic clock) and lets every
  // association deliver what the timers produced.
  static void tick(uint64_t now_ms);

  // usrsctp's process-wide counters that tell a healthy association from a
  // struggling one (logged with the data counters).
  struct Stats {
    uint64_t packets_in = 0, packets_out = 0, data_chunks_out = 0;
    uint64_t retransmitted = 0, fast_retransmitted = 0, t3_timeouts = 0;
    uint64_t marked_for_retransmission = 0;  // chunks a T3 timeout chose to send again
    uint64_t heartbeat_timeouts = 0, sack_timeouts = 0;
    uint64_t duplicate_data_in = 0, window_probes = 0;
  };
  static Stats stats();
};

struct AssociationOptions {
  uint16_t local_port = 5000;
  uint16_t remote_port = 5000;
  // Bytes queued toward the peer (unsent and unacknowledged) before send()
  // answers kBufferFull: what one slow receiver may hold.
  uint32_t send_buffer = 1024 * 1024;
  // The largest message accepted from the peer (a=max-message-size we
  // advertise); a longer one is dropped and counted.
  uint32_t max_message = 256 * 1024;
};

// kHeld is never the association's: a session holds a message for a channel
// that is not open yet (session::DataBacklog).
enum class SendResult : uint8_t { kSent, kHeld, kBufferFull, kNotConnected, kTooLarge, kFailed };

class Association {
 public:
  using OutputFn = std::function<void(std::span<const uint8_t>)>;
  struct Events {
    std::function<void(uint16_t stream, uint32_t ppid, std::span<const uint8_t> msg)> on_message;
    std::function<void(uint16_t stream)> on_stream_reset;  // the peer closed a stream
    std::function<void(bool up)> on_state;                 // the association came up, or ended
  };
  struct Counters {
    uint64_t messages_in = 0, bytes_in = 0, messages_out = 0, bytes_out = 0;
    uint64_t dropped_too_large_in = 0;
  };

  // `out` is called while the association lives, its destructor included
  // (an ABORT): what it sends through must outlive it.
  static Result<std::unique_ptr<Association>> create(const AssociationOptions& o, OutputFn out,
                                                     Events events);
  ~Association();
  Association(const Association&) = delete;
  Association& operator=(const Association&) = delete;

  // One SCTP packet from the peer (a DTLS application-data record).
  void input(std::span<const uint8_t> packet);
  // One message on `stream`: ordered or not, with a retransmission limit or
  // not, as the channel says.
  SendResult send(uint16_t stream, uint32_t ppid, std::span<const uint8_t> msg,
                  const Reliability& r);
  // Closes our side of `stream` (RFC 8831 §6.7: an outgoing stream reset).
  void reset_stream(uint16_t stream);

  bool up() const { return up_; }
  const Counters& counters() const { return counters_; }

  // What the association is doing toward the peer (SCTP_STATUS): the
  // peer's window, our chunks in flight, congestion window and timers.
  struct Status {
    bool ok = false;  // false: usrsctp could not say (no association)
    uint32_t peer_rwnd = 0;
    uint32_t unacked_chunks = 0;
    uint32_t cwnd = 0, srtt_ms = 0, rto_ms = 0;
  };
  Status status() const;

  // usrsctp's entry points (static callbacks) and the stack's.
  void output(std::span<const uint8_t> packet);
  void drain();

 private:
  Association() = default;
  void notification(std::span<const uint8_t> n);

  AssociationOptions opt_;
  OutputFn out_;
  Events events_;
  struct ::socket* sock_ = nullptr;
  bool up_ = false;
  bool draining_ = false;
  Counters counters_;
  // A message the peer sent in pieces (partial delivery), per stream.
  struct Partial {
    uint32_t ppid = 0;
    bool oversized = false;
    std::vector<uint8_t> bytes;
  };
  std::map<uint16_t, Partial> partial_;
  std::vector<uint8_t> recv_buf_;
};

}  // namespace edgesfu::sp::sctp
