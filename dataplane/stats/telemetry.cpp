#include "dataplane/stats/telemetry.hpp"

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_telemetry.h>

#include <atomic>
#include <string>

namespace edgesfu::dp {

namespace {

// Set by the main thread, read by the telemetry thread. A reader announces
// itself in g_readers before loading g_set; detaching stores null and then
// waits for announced readers to leave. Both sides use seq_cst so that either
// the reader sees null or the detacher sees the reader (Dekker's argument).
std::atomic<const WorkerSet*> g_set{nullptr};
std::atomic<int> g_readers{0};

struct ReadGuard {
  ReadGuard() { g_readers.fetch_add(1, std::memory_order_seq_cst); }
  ~ReadGuard() { g_readers.fetch_sub(1, std::memory_order_release); }
  const WorkerSet* set() const { return g_set.load(std::memory_order_seq_cst); }
};

int per_lcore(rte_tel_data* d, void (*fill)(rte_tel_data*, const LcoreStatsSnapshot&)) {
  ReadGuard g;
  const WorkerSet* set = g.set();
  if (set == nullptr) return -1;
  rte_tel_data_start_dict(d);
  for (std::size_t i = 0; i < set->size(); ++i) {
    const Worker& w = set->worker(i);
    rte_tel_data* c = rte_tel_data_alloc();
    if (c == nullptr) return -1;
    rte_tel_data_start_dict(c);
    fill(c, snapshot(w.stats));
    const std::string name = "lcore" + std::to_string(w.lcore);
    rte_tel_data_add_dict_container(d, name.c_str(), c, 0);
  }
  return 0;
}

int cmd_lcores(const char*, const char*, rte_tel_data* d) {
  return per_lcore(d, [](rte_tel_data* c, const LcoreStatsSnapshot& s) {
    rte_tel_data_add_dict_u64(c, "wire_rx_pkts", s.wire_to_exception.rx_pkts);
    rte_tel_data_add_dict_u64(c, "wire_rx_bytes", s.wire_to_exception.rx_bytes);
    rte_tel_data_add_dict_u64(c, "punt_tx_pkts", s.wire_to_exception.tx_pkts);
    rte_tel_data_add_dict_u64(c, "exception_rx_pkts", s.exception_to_wire.rx_pkts);
    rte_tel_data_add_dict_u64(c, "exception_to_wire_pkts", s.exception_to_wire.tx_pkts);
    rte_tel_data_add_dict_u64(c, "media_tx_pkts", s.fastpath_to_wire.tx_pkts);
    rte_tel_data_add_dict_u64(c, "media_tx_bytes", s.fastpath_to_wire.tx_bytes);
    rte_tel_data_add_dict_u64(c, "busy_cycles", s.busy_cycles);
    rte_tel_data_add_dict_u64(c, "idle_cycles", s.idle_cycles);
    rte_tel_data_add_dict_u64(c, "loops", s.loops);
    rte_tel_data_add_dict_u64(c, "tsc_hz", rte_get_tsc_hz());  // busy/idle cycles -> seconds
    for (std::size_t i = 0; i < kRxClassCount; ++i) {
      const std::string n = std::string("rx_") + kRxClassNames[i];
      rte_tel_data_add_dict_u64(c, (n + "_pkts").c_str(), s.rx_class[i][0]);
      rte_tel_data_add_dict_u64(c, (n + "_bytes").c_str(), s.rx_class[i][1]);
    }
  });
}

int cmd_media(const char*, const char*, rte_tel_data* d) {
  return per_lcore(d, [](rte_tel_data* c, const LcoreStatsSnapshot& s) {
    for (std::size_t i = 0; i < kMediaCounterCount; ++i) {
      rte_tel_data_add_dict_u64(c, kMediaCounterNames[i], s.media[i]);
    }
  });
}

int cmd_drops(const char*, const char*, rte_tel_data* d) {
  ReadGuard g;
  const WorkerSet* set = g.set();
  if (set == nullptr) return -1;
  uint64_t sum[kDropReasonCount] = {};
  for (std::size_t i = 0; i < set->size(); ++i) {
    const LcoreStatsSnapshot s = snapshot(set->worker(i).stats);
    for (std::size_t r = 0; r < kDropReasonCount; ++r) sum[r] += s.drops[r];
  }
  rte_tel_data_start_dict(d);
  for (std::size_t r = 0; r < kDropReasonCount; ++r) {
    rte_tel_data_add_dict_u64(d, kDropReasonNames[r], sum[r]);
  }
  return 0;
}

// Every mempool's size and how many of its objects are out (in use, or in
// flight between lcores): what a soak watches for leaks. DPDK 22.11's own
// /mempool/info does not give the in-use count.
int cmd_mempools(const char*, const char*, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  rte_mempool_walk(
      [](rte_mempool* mp, void* arg) {
        auto* out = static_cast<rte_tel_data*>(arg);
        rte_tel_data* c = rte_tel_data_alloc();
        if (c == nullptr) return;
        rte_tel_data_start_dict(c);
        rte_tel_data_add_dict_u64(c, "size", mp->size);
        rte_tel_data_add_dict_u64(c, "in_use", rte_mempool_in_use_count(mp));
        rte_tel_data_add_dict_u64(c, "avail", rte_mempool_avail_count(mp));
        rte_tel_data_add_dict_container(out, mp->name, c, 0);
      },
      d);
  return 0;
}

}  // namespace

void telemetry_attach(const WorkerSet* set) {
  static bool registered = false;
  if (!registered && set != nullptr) {
    registered = true;
    rte_telemetry_register_cmd("/edgesfu/lcores", cmd_lcores,
                               "Per-lcore packets, bytes and busy/idle cycles. No parameters");
    rte_telemetry_register_cmd("/edgesfu/media", cmd_media,
                               "Per-lcore fast-path counters. No parameters");
    rte_telemetry_register_cmd("/edgesfu/drops", cmd_drops,
                               "Drops by reason, summed over lcores. No parameters");
    rte_telemetry_register_cmd("/edgesfu/mempools", cmd_mempools,
                               "Each mempool's size, objects in use and available. No parameters");
  }
  g_set.store(set, std::memory_order_seq_cst);
  if (set == nullptr) {
    // Wait out any reader that may have loaded the old pointer.
    while (g_readers.load(std::memory_order_acquire) != 0) {
    }
  }
}

}  // namespace edgesfu::dp
