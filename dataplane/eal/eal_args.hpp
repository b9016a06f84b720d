// Pure decisions about how to start the EAL: hugepages or not, and the argument
// vector. No DPDK calls, so unit tests can cover them without an EAL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"

namespace edgesfu::dp {

// What the host offers, read by probe_hugepages() (or made up by a test).
struct HugepageHost {
  bool hugetlbfs_mounted = false;
  uint64_t free_bytes = 0;  // free hugepage memory over all page sizes
};

struct HugepageChoice {
  bool use_hugepages = false;
  std::string reason;  // one sentence for the log
};

// kOn without enough free hugepages is an error; kAuto falls back to --no-huge.
Result<HugepageChoice> choose_hugepages(config::HugepageMode mode, uint32_t memory_mb,
                                        const HugepageHost& host);

// Reads /proc/mounts and /sys/kernel/mm/hugepages/*/free_hugepages.
HugepageHost probe_hugepages();

// The file prefix of this instance: the configured one, else "edgesfu-<pid>".
std::string instance_file_prefix(const config::DataplaneConfig& dp, int pid);

// argv for rte_eal_init (argv[0] included). An lcore map (EAL's --lcores
// syntax, "0@(0-1),1@0"), `lcore_map` or else dataplane.lcore_map, replaces
// the list of dataplane.main_lcore and worker_lcores, whose numbers are then
// lcore ids: lcores that share a CPU (tools/loadgen --dpdk; two workers on a
// 2-CPU machine) need it.
std::vector<std::string> build_eal_args(const config::Config& cfg, bool use_hugepages,
                                        const std::string& file_prefix,
                                        const std::string& lcore_map = {});

}  // namespace edgesfu::dp
