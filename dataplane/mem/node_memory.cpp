#include "dataplane/mem/node_memory.hpp"

#include <numa.h>
#include <numaif.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

// LeakSanitizer does not look for pointers in memory mapped outside malloc:
// what only the tables point to (SRTP sessions, the arena object) would be
// reported leaked. Registered regions are searched like the heap.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDGESFU_LSAN_ROOTS 1
#endif
#endif
#if !defined(EDGESFU_LSAN_ROOTS) && defined(__SANITIZE_ADDRESS__)
#define EDGESFU_LSAN_ROOTS 1
#endif
#ifdef EDGESFU_LSAN_ROOTS
#include <sanitizer/lsan_interface.h>
#endif

namespace edgesfu::dp::mem {
namespace {

std::size_t page_round(std::size_t bytes) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

// Node masks for mbind and get_mempolicy: as many nodes as a kernel can
// have (CONFIG_NODES_SHIFT at most 10); get_mempolicy refuses a mask shorter
// than the machine's possible nodes.
constexpr unsigned kWordBits = sizeof(unsigned long) * 8;
constexpr unsigned kMaskBits = 1024;
using NodeMask = unsigned long[kMaskBits / kWordBits];

}  // namespace

int usable_node(int node) {
  if (node < 0 || numa_available() < 0 || node > numa_max_node()) return kNoNode;
  // Nodes the process may allocate on (its cpuset's mems).
  bitmask* allowed = numa_get_mems_allowed();
  if (allowed == nullptr) return kNoNode;
  const bool ok = numa_bitmask_isbitset(allowed, static_cast<unsigned>(node)) != 0;
  numa_bitmask_free(allowed);
  return ok ? node : kNoNode;
}

Result<void*> map_on_node(std::size_t bytes, int node) {
  if (bytes == 0) return make_error(ErrorCode::kInvalidArgument, "node memory: 0 bytes");
  if (node < kNoNode || node >= static_cast<int>(kMaskBits)) {
    return make_error(ErrorCode::kInvalidArgument, "node memory: node " + std::to_string(node) +
                                                       " is past what this build can name");
  }
  const std::size_t len = page_round(bytes);
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return make_error(ErrorCode::kUnavailable,
                      "node memory: mmap of " + std::to_string(len) + " bytes: " + strerror(errno));
  }
  if (node != kNoNode) {
    // Before the first touch: every page is then allocated on the node.
    NodeMask mask = {};
    mask[node / kWordBits] = 1ul << (node % kWordBits);
    // maxnode one past the mask's bits: the kernel reads maxnode - 1 of them.
    if (mbind(p, len, MPOL_PREFERRED, mask, kMaskBits + 1, 0) != 0) {
      const int err = errno;
      munmap(p, len);
      return make_error("node memory: mbind to node " + std::to_string(node) + ": " +
                        strerror(err));
    }
  }
#ifdef EDGESFU_LSAN_ROOTS
  __lsan_register_root_region(p, len);
#endif
  return p;
}

void unmap(void* p, std::size_t bytes) {
  if (p == nullptr) return;
#ifdef EDGESFU_LSAN_ROOTS
  __lsan_unregister_root_region(p, page_round(bytes));
#endif
  munmap(p, page_round(bytes));
}

Result<int> preferred_node(const void* p) {
  int mode = 0;
  NodeMask mask = {};
  if (get_mempolicy(&mode, mask, kMaskBits + 1, const_cast<void*>(p), MPOL_F_ADDR) != 0) {
    return make_error(std::string("node memory: get_mempolicy: ") + strerror(errno));
  }
  if (mode != MPOL_PREFERRED) return kNoNode;
  for (unsigned w = 0; w < kMaskBits / kWordBits; ++w) {
    if (mask[w] != 0) return static_cast<int>(w * kWordBits) + __builtin_ctzl(mask[w]);
  }
  return kNoNode;  // preferred with no node: local allocation
}

Result<std::unique_ptr<NodeArena>> NodeArena::create(std::size_t bytes, int node) {
  auto mem = map_on_node(bytes, node);
  if (!mem) return mem.error();
  return std::unique_ptr<NodeArena>(new NodeArena(mem.value(), bytes));
}

NodeArena::~NodeArena() {
  for (std::size_t i = ndtors_; i-- > 0;) dtors_[i].fn(dtors_[i].p, dtors_[i].n);
  unmap(base_, bytes_);
}

}  // namespace edgesfu::dp::mem
