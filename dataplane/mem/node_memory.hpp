// Memory on one NUMA node, for the tables a worker lcore reads for every
// packet (issue 17 #1): the control thread makes them before launch, so
// without this their pages land on the control thread's node, a cross-socket
// access per table line on a two-socket server. Whole pages of their own
// (mmap), set to prefer the node (mbind MPOL_PREFERRED: another node's pages
// when that one has none left, since a worker should not fail to start for
// want of local memory). Outside DPDK's heap, so that the EAL's memory size
// does not grow by the tables. Control thread only; no DPDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "base/result.hpp"

namespace edgesfu::dp::mem {

// No placement: the default policy (first touch).
inline constexpr int kNoNode = -1;

// `node` if this kernel has NUMA and the process may use that node, else
// kNoNode (DPDK's socket id of an lcore is its NUMA node, or SOCKET_ID_ANY).
int usable_node(int node);

// Zeroed anonymous memory of `bytes` (rounded up to whole pages) whose pages
// prefer `node` (or kNoNode). Freed with unmap(p, bytes).
Result<void*> map_on_node(std::size_t bytes, int node);
void unmap(void* p, std::size_t bytes);

// The node the page holding `p` is set to prefer (its mapping's policy), or
// kNoNode when it has none.
Result<int> preferred_node(const void* p);

// One map_on_node region carved into arrays, each cache-line aligned; they
// are destroyed in reverse order with the arena. Sized up front: bytes_for
// gives what make() takes, so a caller sums its arrays first.
class NodeArena {
 public:
  static constexpr std::size_t kAlign = 64;

  template <typename T>
  static constexpr std::size_t bytes_for(std::size_t n) {
    return (n * sizeof(T) + kAlign - 1) & ~(kAlign - 1);
  }

  static Result<std::unique_ptr<NodeArena>> create(std::size_t bytes, int node);
  ~NodeArena();
  NodeArena(const NodeArena&) = delete;
  NodeArena& operator=(const NodeArena&) = delete;

  // `n` T made from `args` (T{} when none); nullptr when the arena has no
  // room left (a caller that sized it wrong fails, it does not overrun).
  template <typename T, typename... Args>
  T* make(std::size_t n, const Args&... args) {
    return make_each<T>(n, [&](std::size_t) { return T(args...); });
  }

  // `n` T, the i-th made from make_one(i) (a T returned by value: made in place).
  template <typename T, typename F>
  T* make_each(std::size_t n, F&& make_one) {
    static_assert(alignof(T) <= kAlign, "an arena array is aligned to a cache line");
    if (ndtors_ == kMaxArrays || bytes_for<T>(n) > bytes_ - used_) return nullptr;
    T* p = reinterpret_cast<T*>(static_cast<unsigned char*>(base_) + used_);
    for (std::size_t i = 0; i < n; ++i) new (p + i) T(make_one(i));
    used_ += bytes_for<T>(n);
    if constexpr (!std::is_trivially_destructible_v<T>) {
      dtors_[ndtors_++] = Dtor{p, n, [](void* q, std::size_t k) {
                                 for (std::size_t i = k; i-- > 0;) static_cast<T*>(q)[i].~T();
                               }};
    }
    return p;
  }

  std::size_t used() const { return used_; }
  std::size_t size() const { return bytes_; }

 private:
  NodeArena(void* base, std::size_t bytes) : base_(base), bytes_(bytes) {}

  struct Dtor {
    void* p;
    std::size_t n;
    void (*fn)(void*, std::size_t);
  };
  static constexpr std::size_t kMaxArrays = 32;

  void* base_;
  std::size_t bytes_;
  std::size_t used_ = 0;
  Dtor dtors_[kMaxArrays] = {};
  std::size_t ndtors_ = 0;
};

}  // namespace edgesfu::dp::mem
