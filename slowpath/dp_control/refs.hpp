// Handles to what DpControl installed in the dataplane: a worker and a slot
// (with the slot's generation for participants). Plain values, no DPDK, so
// that rooms and sessions can hold them without depending on the dataplane.
#pragma once

#include <cstdint>

namespace edgesfu::sp {

struct ParticipantRef {
  uint16_t worker = 0;
  uint16_t slot = 0;
  uint32_t generation = 0;
};
struct TrackRef {
  uint16_t worker = 0;
  uint16_t slot = 0;
};
struct DowntrackRef {
  uint16_t worker = 0;
  uint32_t slot = 0;
};

}  // namespace edgesfu::sp
