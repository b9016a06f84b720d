// dataplane/mem: memory preferring a NUMA node, and the arena a worker's
// tables are carved from. On a one-node machine the node is 0; what is
// checked is the policy the kernel keeps for the pages, which a mapping
// made without one does not have.
#include "dataplane/mem/node_memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "dataplane/fanout/ssrc_map.hpp"

namespace edgesfu::dp::mem {
namespace {

TEST(NodeMemory, PagesPreferTheNodeTheyWereMappedFor) {
  const int node = usable_node(0);
  if (node == kNoNode) GTEST_SKIP() << "no NUMA on this kernel";
  auto p = map_on_node(3 * 4096 + 1, node);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto* bytes = static_cast<unsigned char*>(p.value());
  for (std::size_t off : {std::size_t{0}, std::size_t{3 * 4096}}) {
    EXPECT_EQ(bytes[off], 0) << "zeroed";
    bytes[off] = 1;  // touched: allocated now, on the node
    auto n = preferred_node(bytes + off);
    ASSERT_TRUE(n.ok()) << n.error().message;
    EXPECT_EQ(n.value(), node) << off;
  }
  unmap(p.value(), 3 * 4096 + 1);
}

TEST(NodeMemory, NoNodeLeavesTheDefaultPolicy) {
  if (usable_node(0) == kNoNode) GTEST_SKIP() << "no NUMA on this kernel";
  auto p = map_on_node(4096, kNoNode);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto n = preferred_node(p.value());
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n.value(), kNoNode);
  unmap(p.value(), 4096);
}

TEST(NodeMemory, BadRequestsAreErrors) {
  EXPECT_FALSE(map_on_node(0, kNoNode).ok());
  EXPECT_FALSE(map_on_node(4096, 1024).ok());  // past the nodes a kernel can have
  EXPECT_FALSE(map_on_node(4096, -2).ok());
  EXPECT_EQ(usable_node(-1), kNoNode);
  EXPECT_EQ(usable_node(1 << 20), kNoNode);
}

// Counts its constructions and destructions, in order.
struct Tracked {
  static std::vector<int>* log;
  int id;
  explicit Tracked(int i = 0) : id(i) { log->push_back(id); }
  ~Tracked() { log->push_back(-id); }
};
std::vector<int>* Tracked::log = nullptr;

TEST(NodeArena, ArraysAreAlignedMadeAndDestroyedInReverse) {
  std::vector<int> log;
  Tracked::log = &log;
  {
    const std::size_t bytes = NodeArena::bytes_for<uint8_t>(3) + NodeArena::bytes_for<Tracked>(2) +
                              NodeArena::bytes_for<Tracked>(1);
    auto a = NodeArena::create(bytes, kNoNode);
    ASSERT_TRUE(a.ok()) << a.error().message;
    NodeArena& arena = *a.value();
    uint8_t* small = arena.make<uint8_t>(3);
    ASSERT_NE(small, nullptr);
    EXPECT_EQ(small[0] + small[1] + small[2], 0);
    Tracked* two = arena.make<Tracked>(2, 7);
    ASSERT_NE(two, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(two) % NodeArena::kAlign, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(two) - reinterpret_cast<uintptr_t>(small),
              NodeArena::kAlign);
    Tracked* each = arena.make_each<Tracked>(1, [](std::size_t i) { return Tracked(40 + int(i)); });
    ASSERT_NE(each, nullptr);
    EXPECT_EQ(each->id, 40);
    EXPECT_EQ(arena.used(), bytes);
    // Full: no room for one more byte's array, and nothing made.
    const std::size_t made = log.size();
    EXPECT_EQ(arena.make<Tracked>(1, 9), nullptr);
    EXPECT_EQ(log.size(), made);
  }
  EXPECT_EQ(log, (std::vector<int>{7, 7, 40, -40, -7, -7}));
  Tracked::log = nullptr;
}

TEST(NodeArena, ASsrcMapOverArenaStorageWorksAsItsOwn) {
  const uint32_t cap = fanout::SsrcMap::capacity_for(8);
  auto a = NodeArena::create(
      NodeArena::bytes_for<uint64_t>(cap) + NodeArena::bytes_for<uint32_t>(cap), kNoNode);
  ASSERT_TRUE(a.ok()) << a.error().message;
  uint64_t* keys = a.value()->make<uint64_t>(cap);
  uint32_t* vals = a.value()->make<uint32_t>(cap);
  ASSERT_TRUE(keys != nullptr && vals != nullptr);
  fanout::SsrcMap outside(8, keys, vals), own(8);
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_TRUE(outside.insert(1, 0x1000 + i, i));
    EXPECT_TRUE(own.insert(1, 0x1000 + i, i));
  }
  EXPECT_FALSE(outside.insert(1, 0x1000, 99));  // present
  EXPECT_TRUE(outside.erase(1, 0x1003));
  EXPECT_TRUE(own.erase(1, 0x1003));
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(outside.find(1, 0x1000 + i), own.find(1, 0x1000 + i));
  // What it stored is in the arena's arrays.
  uint32_t used = 0;
  for (uint32_t i = 0; i < cap; ++i) used += keys[i] != ~uint64_t{0};
  EXPECT_EQ(used, 7u);
}

}  // namespace
}  // namespace edgesfu::dp::mem
