// What LiveKit's server does with a data channel packet (DataPacket) before
// relaying it, as a pure function: the sender's sid and identity written in
// (blank for a hidden sender), canPublishData enforced, reliable packets
// deduplicated by sequence, destinations merged from where livekit-client
// (UserPacket) and the Rust SDKs (DataPacket) put them, transcriptions only
// from agents, metrics not relayed, everything else (chat, RPC, text and
// byte streams, SIP DTMF, encrypted packets) relayed byte for byte as
// unknown fields. Fuzzed. Slow path.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace edgesfu::sp::livekit {

// Which of the participant's channels a packet came on and leaves on.
enum class DataKind : uint8_t { kReliable, kLossy };

struct DataSender {
  std::string sid, identity;
  bool can_publish_data = true;
  bool hidden = false;
  bool agent = false;
};

// The sender's state across packets: the last reliable sequence relayed.
struct DataSenderState {
  uint32_t last_reliable_seq = 0;
};

enum class DataDrop : uint8_t {
  kNone,
  kNotAllowed,             // the token has no canPublishData
  kMalformed,              // not a DataPacket
  kDuplicate,              // a reliable sequence at or below the last relayed
  kTranscriptionNotAgent,  // a transcription from a participant that is not an agent
  kMetrics,                // agent metrics (not relayed)
  kCount,
};
const char* to_string(DataDrop d);

struct DataRoute {
  DataDrop drop = DataDrop::kNone;
  std::string packet;  // the bytes every recipient gets
  // Recipients by identity or sid; both empty: everyone but the sender.
  std::vector<std::string> to_identities, to_sids;
};

// What a room's data did (counters, slow-path thread).
struct DataCounters {
  struct Flow {
    uint64_t messages = 0, bytes = 0;
    bool operator==(const Flow&) const = default;
  };
  Flow in[2], out[2];  // by DataKind
  uint64_t drops[static_cast<std::size_t>(DataDrop::kCount)] = {};
  uint64_t rate_limited = 0;       // past the sender's data.max_* rate
  uint64_t slow_receiver[2] = {};  // a receiver's send buffer was full (by DataKind)
  uint64_t no_channel = 0;         // a receiver without the channel (lossy; reliable past the hold)
  uint64_t held = 0;  // reliable ones held for a receiver whose channel was not open yet
  uint64_t send_failed = 0;
  uint64_t data_track = 0;  // packets on _data_track (data tracks: not relayed yet)
  DataCounters& operator+=(const DataCounters& o);
  bool operator==(const DataCounters&) const = default;
};
// One line: "in 12 reliable (3400 B) 4 lossy (...); out ...; dropped ...[; held N]".
std::string to_string(const DataCounters& c);

DataRoute route_data(std::span<const uint8_t> bytes, DataKind kind, const DataSender& sender,
                     DataSenderState& state);
// A message on a channel that is not one of LiveKit's: relayed to everyone
// else as a user packet carrying it (as LiveKit does).
DataRoute wrap_unlabeled(std::span<const uint8_t> bytes, const DataSender& sender);
bool is_recipient(const DataRoute& r, const std::string& sid, const std::string& identity);

}  // namespace edgesfu::sp::livekit
