// The data channels of one SCTP association (RFC 8831, RFC 8832), without
// the association: which stream is which channel (label, reliability), what
// a DCEP message asks for, which stream a channel we open gets. Pure: the
// caller sends what it is told to send. Fuzzed with DCEP.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "slowpath/sctp/dcep.hpp"

namespace edgesfu::sp::sctp {

struct Channel {
  uint16_t stream = 0;
  std::string label;
  std::string protocol;
  Reliability reliability;
  bool ours = false;  // opened by us (DCEP OPEN sent), not by the peer
};

class DataChannels {
 public:
  // Channels we open take odd streams as the DTLS server, even ones as the
  // client (RFC 8832 §6); `max_channels` bounds the table (a peer opening
  // more gets its OPEN refused by a stream reset).
  DataChannels(bool dtls_server, std::size_t max_channels);

  enum class Drop : uint8_t {
    kNone,
    kDcepMalformed,    // a DCEP message that is neither a valid OPEN nor an ACK
    kDcepWrongParity,  // an OPEN on a stream of our parity (ours to open)
    kTooManyChannels,  // an OPEN past max_channels
    kUnknownStream,    // data on a stream no channel is open on
    kUnknownPpid,      // a PPID that is not DCEP, string or binary
  };
  // What one message from the peer means.
  struct Incoming {
    Drop drop = Drop::kNone;
    // A DCEP reply to send on the same stream with PPID DCEP (the ACK of an
    // OPEN), or empty.
    std::vector<uint8_t> reply;
    // Set when the peer closes the stream because we refused it.
    bool reset_stream = false;
    const Channel* opened = nullptr;   // a channel the peer just opened
    const Channel* channel = nullptr;  // user data arrived on this channel
    bool binary = false;
    std::span<const uint8_t> payload;  // the data (empty for an empty message)
  };
  Incoming on_message(uint16_t stream, uint32_t ppid, std::span<const uint8_t> msg);

  // Opens a channel of ours: the stream it takes and the DCEP OPEN to send
  // on it (PPID DCEP). kUnavailable when no stream is free.
  struct Opening {
    Channel channel;
    std::vector<uint8_t> open;
  };
  Result<Opening> open(const std::string& label, const Reliability& r);

  // The peer reset (closed) `stream`: its channel is gone. Returns it, if any.
  std::optional<Channel> on_stream_reset(uint16_t stream);

  const Channel* find(const std::string& label) const;
  const Channel* at(uint16_t stream) const;
  std::size_t size() const { return by_stream_.size(); }

 private:
  bool ours_parity(uint16_t stream) const { return (stream % 2 == 1) == dtls_server_; }
  bool dtls_server_;
  std::size_t max_channels_;
  std::map<uint16_t, Channel> by_stream_;
};

// The largest stream id either side uses (the association's stream count - 1).
inline constexpr uint16_t kMaxStream = 1023;

}  // namespace edgesfu::sp::sctp
