#include "bench/alloc_counter.hpp"

#include <cstddef>

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}

namespace {
thread_local bool t_counting = false;
thread_local uint64_t t_count = 0;
inline void note() {
  if (t_counting) ++t_count;
}
}  // namespace

namespace edgesfu::bench {
void alloc_counting(bool on) { t_counting = on; }
uint64_t alloc_count() { return t_count; }
}  // namespace edgesfu::bench

extern "C" {
void* malloc(size_t n) {
  note();
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  note();
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  note();
  return __libc_realloc(p, n);
}
void* memalign(size_t a, size_t n) {
  note();
  return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
  note();
  *out = __libc_memalign(a, n);
  return *out == nullptr ? 12 : 0;
}
void* aligned_alloc(size_t a, size_t n) {
  note();
  return __libc_memalign(a, n);
}
}
