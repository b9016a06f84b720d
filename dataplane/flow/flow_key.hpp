// The key of a media flow (DESIGN.md §2): the remote address and port and our
// local port, and what the table maps it to. Pure.
#pragma once

#include <cstdint>
#include <cstring>

#include "dataplane/pkt/net.hpp"

namespace edgesfu::dp::flow {

// 24 bytes, no padding holes: hashed as raw bytes by rte_hash.
struct FlowKey {
  uint8_t remote_ip[16];
  uint16_t remote_port;
  uint16_t local_port;
  uint8_t family;  // 4 or 6
  uint8_t pad[3];

  static FlowKey make(const pkt::IpAddr& remote, uint16_t remote_port, uint16_t local_port) {
    FlowKey k;
    std::memset(&k, 0, sizeof k);
    std::memcpy(k.remote_ip, remote.b.data(), 16);
    k.remote_port = remote_port;
    k.local_port = local_port;
    k.family = remote.family;
    return k;
  }
  // The flow a received frame belongs to.
  static FlowKey of(const pkt::UdpFrame& f) { return make(f.src, f.src_port, f.dst_port); }
};
static_assert(sizeof(FlowKey) == 24);

// Where a flow lives: the owning worker, the participant slot on it, and the
// slot's generation (so that a stale reference to a reused slot is detected).
struct FlowRef {
  uint16_t worker = 0;
  uint16_t slot = 0;
  uint32_t generation = 0;

  uint64_t pack() const {
    return (uint64_t{worker} << 48) | (uint64_t{slot} << 32) | generation;
  }
  static FlowRef unpack(uint64_t v) {
    return FlowRef{static_cast<uint16_t>(v >> 48), static_cast<uint16_t>(v >> 32),
                   static_cast<uint32_t>(v)};
  }
};

}  // namespace edgesfu::dp::flow
