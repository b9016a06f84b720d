// Entries on a ring shared by two threads, read from either of them or a
// third. rte_ring_count and rte_ring_free_count load both tails with plain
// reads while the other side stores its tail atomically: a data race by the
// C++ memory model, which ThreadSanitizer reports. Same arithmetic here, with
// atomic loads; the answer is a snapshot, as DPDK's is.
#pragma once

#include <rte_ring.h>

#include <cstdint>

namespace edgesfu::dp::control {

inline uint32_t ring_count(const rte_ring* r) {
  const uint32_t prod = __atomic_load_n(&r->prod.tail, __ATOMIC_ACQUIRE);
  const uint32_t cons = __atomic_load_n(&r->cons.tail, __ATOMIC_ACQUIRE);
  const uint32_t n = (prod - cons) & r->mask;
  return n > r->capacity ? r->capacity : n;
}

inline uint32_t ring_free_count(const rte_ring* r) { return r->capacity - ring_count(r); }

}  // namespace edgesfu::dp::control
