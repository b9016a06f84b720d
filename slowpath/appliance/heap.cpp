#include "slowpath/appliance/heap.hpp"

#include <malloc.h>

namespace edgesfu::sp::heap {

Figures figures() {
  const struct mallinfo2 m = mallinfo2();  // sums every arena (glibc >= 2.33)
  return {m.uordblks + m.hblkhd, m.fordblks};
}

bool trim_if_above(uint64_t slack) {
  if (figures().free < slack) return false;
  return malloc_trim(0) == 1;
}

}  // namespace edgesfu::sp::heap
