#include "dataplane/eal/eal_args.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace edgesfu::dp {

Result<HugepageChoice> choose_hugepages(config::HugepageMode mode, uint32_t memory_mb,
                                        const HugepageHost& host) {
  const uint64_t need = uint64_t{memory_mb} << 20;
  const bool enough = host.hugetlbfs_mounted && host.free_bytes >= need;
  const std::string have = std::to_string(host.free_bytes >> 20) + " MiB of hugepages free" +
                           (host.hugetlbfs_mounted ? "" : ", hugetlbfs not mounted");
  switch (mode) {
    case config::HugepageMode::kOff:
      return HugepageChoice{false, "hugepages: off in config; running with --no-huge"};
    case config::HugepageMode::kOn:
      if (!enough) {
        return make_error("dataplane.hugepages: on, but memory_mb " + std::to_string(memory_mb) +
                          " needs that much and the host has " + have +
                          " (run deploy/install-deps.sh, or set hugepages: auto)");
      }
      return HugepageChoice{true, "using hugepages (" + have + ")"};
    case config::HugepageMode::kAuto:
      if (!enough) {
        return HugepageChoice{false, "falling back to --no-huge: memory_mb " +
                                         std::to_string(memory_mb) + " wanted, " + have};
      }
      return HugepageChoice{true, "using hugepages (" + have + ")"};
  }
  return make_error("dataplane.hugepages: unknown mode");
}

HugepageHost probe_hugepages() {
  HugepageHost host;
  std::ifstream mounts("/proc/mounts");
  std::string dev, dir, type, rest;
  while (mounts >> dev >> dir >> type && std::getline(mounts, rest)) {
    if (type == "hugetlbfs") host.hugetlbfs_mounted = true;
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
    // Folder names are "hugepages-<size>kB".
    const std::string name = e.path().filename().string();
    const auto dash = name.find('-');
    if (dash == std::string::npos) continue;
    const uint64_t kb = std::strtoull(name.c_str() + dash + 1, nullptr, 10);
    std::ifstream f(e.path() / "free_hugepages");
    uint64_t free_pages = 0;
    if (f >> free_pages) host.free_bytes += free_pages * kb * 1024;
  }
  return host;
}

std::string instance_file_prefix(const config::DataplaneConfig& dp, int pid) {
  if (!dp.file_prefix.empty()) return dp.file_prefix;
  return "edgesfu-" + std::to_string(pid);
}

namespace {
// DPDK log levels: 4 error, 5 warning, 6 notice, 8 debug.
int dpdk_log_level(config::LogLevel l) {
  switch (l) {
    case config::LogLevel::kTrace:
    case config::LogLevel::kDebug: return 8;
    case config::LogLevel::kInfo: return 6;
    case config::LogLevel::kWarn: return 5;
    case config::LogLevel::kError: return 4;
    case config::LogLevel::kOff: return 1;
  }
  return 6;
}
}  // namespace

std::vector<std::string> build_eal_args(const config::Config& cfg, bool use_hugepages,
                                        const std::string& file_prefix,
                                        const std::string& lcore_map) {
  const auto& dp = cfg.dataplane;
  std::vector<std::string> a{"edgesfu"};
  std::ostringstream lcores;
  lcores << dp.main_lcore;
  for (const unsigned l : dp.worker_lcores) lcores << ',' << l;
  const std::string& map = lcore_map.empty() ? dp.lcore_map : lcore_map;
  if (map.empty()) {
    a.insert(a.end(), {"-l", lcores.str()});
  } else {
    a.insert(a.end(), {"--lcores", map});
  }
  a.insert(a.end(), {"--main-lcore", std::to_string(dp.main_lcore)});
  a.insert(a.end(), {"--file-prefix", file_prefix, "--proc-type", "primary"});
  if (dp.wire.pci.empty()) {
    a.emplace_back("--no-pci");  // else the EAL grabs whatever NIC the host has
  } else {
    a.insert(a.end(), {"-a", dp.wire.pci});
  }
  a.insert(a.end(), {"-m", std::to_string(dp.memory_mb)});
  if (use_hugepages) {
    a.emplace_back("--huge-unlink");  // no hugepage file outlives the process
  } else {
    a.emplace_back("--no-huge");
  }
  const auto dpdk = cfg.logging.component_levels[static_cast<std::size_t>(LogComponent::kDpdk)];
  a.emplace_back("--log-level=" + std::to_string(dpdk_log_level(dpdk.value_or(cfg.logging.level))));
  return a;
}

}  // namespace edgesfu::dp
