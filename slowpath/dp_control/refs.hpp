// Handles to what DpControl installed in the dataplane: a worker, a slot and
// the slot's generation (a handle kept after its object went away never
// reaches the slot's next user). Plain values, no DPDK, so
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
  uint32_t generation = 0;  // a freed and reused slot does not match an old handle
};
struct DowntrackRef {
  uint16_t worker = 0;
  uint32_t slot = 0;
  uint32_t generation = 0;
};

}  // namespace edgesfu::sp
