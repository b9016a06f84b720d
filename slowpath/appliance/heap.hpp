// The C heap as glibc's malloc holds it (every arena), and giving its free
// pages back to the kernel.
//
// glibc returns memory by itself only from the top of an arena. A long-lived
// server whose sessions come and go leaves free chunks below live ones, and
// its resident size then follows the high-water mark of each arena, not what
// is in use. The appliance samples both and trims now and then, on the
// control thread (the lcores never allocate).
//
// Under ASan or TSan their allocator replaces glibc's: the figures are
// glibc's own (near zero) and trimming does nothing.
#pragma once

#include <cstdint>

namespace edgesfu::sp::heap {

struct Figures {
  uint64_t in_use = 0;  // bytes in live allocations (mmapped ones included)
  uint64_t free = 0;    // bytes the arenas hold that no allocation uses
};

Figures figures();

// malloc_trim(0) when the arenas hold at least `slack` free bytes: their
// whole free pages go back to the kernel (madvise), not only the tops.
// Returns true if it trimmed and glibc reported memory released.
bool trim_if_above(uint64_t slack);

}  // namespace edgesfu::sp::heap
