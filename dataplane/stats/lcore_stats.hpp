// Per-lcore dataplane counters: one cache-aligned block per worker, written only
// by its lcore, read (summed) by the slow path. Drop reasons come from one X-macro
// that generates the enum and the names (DESIGN.md §6, after VPP).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace edgesfu::dp {

// X(enum name, counter name, description)
#define EDGESFU_DROP_REASONS(X)                                                  \
  X(kWireTxFull, "wire_tx_full", "the wire port's TX queue was full")            \
  X(kExceptionTxFull, "exception_tx_full", "the exception port's TX queue was full")

enum class DropReason : uint8_t {
#define EDGESFU_X(e, name, desc) e,
  EDGESFU_DROP_REASONS(EDGESFU_X)
#undef EDGESFU_X
      kCount
};

inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::kCount);

inline constexpr std::array<const char*, kDropReasonCount> kDropReasonNames = {
#define EDGESFU_X(e, name, desc) name,
    EDGESFU_DROP_REASONS(EDGESFU_X)
#undef EDGESFU_X
};

inline constexpr std::array<const char*, kDropReasonCount> kDropReasonDescriptions = {
#define EDGESFU_X(e, name, desc) desc,
    EDGESFU_DROP_REASONS(EDGESFU_X)
#undef EDGESFU_X
};

// A counter with exactly one writer. The writer's load+store compiles to a plain
// add (no lock prefix); relaxed order is enough because readers only need an
// untorn value, not ordering with other memory.
class Counter {
 public:
  void add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// One direction of forwarding on an lcore.
struct alignas(64) DirectionStats {
  Counter rx_pkts;
  Counter rx_bytes;
  Counter tx_pkts;
  Counter tx_bytes;
};

struct alignas(64) LcoreStats {
  DirectionStats wire_to_exception;
  DirectionStats exception_to_wire;
  alignas(64) std::array<Counter, kDropReasonCount> drops;
  Counter busy_cycles;  // TSC cycles of loop iterations that moved packets
  Counter idle_cycles;  // TSC cycles of empty polls
  Counter loops;
};

// A plain copy of LcoreStats, summed or differenced by readers.
struct LcoreStatsSnapshot {
  struct Direction {
    uint64_t rx_pkts = 0, rx_bytes = 0, tx_pkts = 0, tx_bytes = 0;
  };
  Direction wire_to_exception;
  Direction exception_to_wire;
  std::array<uint64_t, kDropReasonCount> drops{};
  uint64_t busy_cycles = 0, idle_cycles = 0, loops = 0;
};

inline LcoreStatsSnapshot snapshot(const LcoreStats& s) {
  auto dir = [](const DirectionStats& d) {
    return LcoreStatsSnapshot::Direction{d.rx_pkts.get(), d.rx_bytes.get(), d.tx_pkts.get(),
                                         d.tx_bytes.get()};
  };
  LcoreStatsSnapshot out;
  out.wire_to_exception = dir(s.wire_to_exception);
  out.exception_to_wire = dir(s.exception_to_wire);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) out.drops[i] = s.drops[i].get();
  out.busy_cycles = s.busy_cycles.get();
  out.idle_cycles = s.idle_cycles.get();
  out.loops = s.loops.get();
  return out;
}

}  // namespace edgesfu::dp
