// Counts heap allocations made by the calling thread while counting is on:
// malloc, calloc, realloc and aligned allocations are interposed in the
// benchmark binary and forwarded to glibc. How the benchmark shows that the
// fast path allocates nothing per packet.
#pragma once

#include <cstdint>

namespace edgesfu::bench {

void alloc_counting(bool on);
uint64_t alloc_count();

}  // namespace edgesfu::bench
