// What a loadgen session hands to a media path that is not its own sockets:
// once DTLS is done, the pair ICE selected, the keys DTLS exported and the
// tracks a publisher sends (tools/loadgen --dpdk, dpdk_media.hpp). Plain
// values; no DPDK here, so peer.cpp does not depend on it.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "dataplane/pkt/net.hpp"
#include "dataplane/srtp/srtp_types.hpp"
#include "tools/loadgen/splitmix.hpp"

namespace edgesfu::loadgen {

struct TrackSpec {
  bool video = false;
  uint32_t ssrc = 0;
  uint8_t pt = 0;
  uint16_t seq = 0;  // first sequence number
  uint32_t ts0 = 0;  // RTP timestamp of frame 0
};

struct MediaSpec {
  uint64_t session = 0;  // the runner's session id
  bool publisher = false;
  uint32_t publisher_id = 0;  // marker id of a publisher's packets
  // Subscriber: decrypt every packet and read its marker (loss, latency,
  // jitter); otherwise count packets by the RTP header's sequence numbers.
  bool verify = true;
  dp::pkt::IpAddr local, remote;  // IPv4
  uint16_t local_port = 0, remote_port = 0;
  dp::srtp::Keys tx, rx;                                  // ours (protect), the SFU's (unprotect)
  std::vector<TrackSpec> tracks;                          // publisher
  std::vector<std::pair<uint8_t, uint32_t>> clock_rates;  // PT -> clock rate
};

// The wire queue of a session's packets (--dpdk-queues): a hash of its UDP
// ports, as a NIC's RSS spreads flows over an SFU's queues, independent of
// rooms, so that an SFU worker that owns a room gets the packets that reach
// its peers handed over.
inline uint16_t queue_of(uint16_t local_port, uint16_t remote_port, uint16_t queues) {
  uint64_t s = (uint64_t{local_port} << 16) | remote_port;
  return queues <= 1 ? 0 : static_cast<uint16_t>(splitmix64(s) % queues);
}

class MediaPath {
 public:
  virtual ~MediaPath() = default;
  // The session's media from now on goes through the path.
  virtual Status install(const MediaSpec& spec) = 0;
  // The session ended: its packets are no longer sent or counted.
  virtual void remove(uint64_t session) = 0;
};

}  // namespace edgesfu::loadgen
