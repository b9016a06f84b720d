// The heap figures and trimming against glibc's real allocator: chunks freed
// below a live one stay resident until a trim gives their pages back.
#include "slowpath/appliance/heap.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define EDGESFU_OWN_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define EDGESFU_OWN_ALLOCATOR 1
#endif

namespace edgesfu::sp {
namespace {

[[maybe_unused]] uint64_t rss_anon_bytes() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoull(line.substr(8)) * 1024;
  }
  return 0;
}

TEST(Heap, FreedChunksBelowALiveOneGoBackOnTrim) {
#ifdef EDGESFU_OWN_ALLOCATOR
  GTEST_SKIP() << "a sanitizer's allocator replaces glibc's here";
#else
  constexpr std::size_t kBlock = 1024, kCount = 32 * 1024;  // 32 MiB, below the mmap threshold
  const heap::Figures start = heap::figures();
  std::vector<void*> blocks(kCount);
  for (auto& b : blocks) {
    b = std::malloc(kBlock);
    ASSERT_NE(b, nullptr);
    std::memset(b, 0xa5, kBlock);            // resident
    asm volatile("" : : "r"(b) : "memory");  // kept, not elided
  }
  void* pin = std::malloc(kBlock);  // above them: the arena's top cannot shrink past it
  ASSERT_NE(pin, nullptr);
  std::memset(pin, 0x5a, kBlock);
  asm volatile("" : : "r"(pin) : "memory");
  EXPECT_GE(heap::figures().in_use, start.in_use + kBlock * kCount);
  for (void* b : blocks) std::free(b);
  const heap::Figures freed = heap::figures();
  EXPECT_GE(freed.free, kBlock * kCount * 3 / 4);
  EXPECT_FALSE(heap::trim_if_above(uint64_t{1} << 40));  // not worth it: nothing done
  const uint64_t before = rss_anon_bytes();
  EXPECT_TRUE(heap::trim_if_above(1u << 20));
  const uint64_t after = rss_anon_bytes();
  EXPECT_LE(after + kBlock * kCount / 2, before) << "RssAnon " << before << " -> " << after;
  std::free(pin);
#endif
}

}  // namespace
}  // namespace edgesfu::sp
