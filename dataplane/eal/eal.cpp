#include "dataplane/eal/eal.hpp"

#include <fcntl.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "base/log.hpp"
#include "config/lcore_map.hpp"
#include "dataplane/eal/eal_args.hpp"
#include "dataplane/eal/eal_log.hpp"

namespace edgesfu::dp {

namespace {
// `where`: the key or the map the number comes from, for the message.
Status lcore_in_build(unsigned l, const std::string& where) {
  if (l < RTE_MAX_LCORE) return ok_status();
  return make_error(where + ": lcore " + std::to_string(l) +
                    " exceeds this DPDK build's RTE_MAX_LCORE " + std::to_string(RTE_MAX_LCORE));
}
Status cpu_usable(unsigned cpu, const cpu_set_t& set, const std::string& where) {
  if (cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set)) return ok_status();
  return make_error(where + ": CPU " + std::to_string(cpu) + " is not available to this process (" +
                    std::to_string(CPU_COUNT(&set)) + " CPUs usable)");
}

// Without a map each lcore is the CPU of its number.
Status check_lcores(const config::DataplaneConfig& dp) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return ok_status();  // EAL will tell
  auto check = [&](unsigned l, const char* key) -> Status {
    const std::string where = std::string("dataplane.") + key;
    if (auto s = lcore_in_build(l, where); !s) return s;
    return cpu_usable(l, set, where);
  };
  if (auto s = check(dp.main_lcore, "main_lcore"); !s) return s;
  for (const unsigned l : dp.worker_lcores) {
    if (auto s = check(l, "worker_lcores"); !s) return s;
  }
  return ok_status();
}

// An lcore map's CPUs must be this process's (its lcore ids are checked
// against main_lcore and worker_lcores when the config is read).
Status check_map_cpus(const std::string& map) {
  config::LcoreMap m;
  std::string why;
  const std::string where = "lcore map '" + map + "'";
  if (!config::parse_lcore_map(map, static_cast<unsigned>(CPU_SETSIZE - 1), m, why))
    return make_error(where + ": " + why);
  for (const unsigned l : m.lcores) {
    if (auto s = lcore_in_build(l, where); !s) return s;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return ok_status();  // EAL will tell
  for (const unsigned cpu : m.cpus) {
    if (auto s = cpu_usable(cpu, set, where); !s) return s;
  }
  return ok_status();
}
// The EAL's runtime directory for `prefix` (rte_eal_get_runtime_dir's rule:
// /var/run/dpdk as root, else $XDG_RUNTIME_DIR/dpdk or /tmp/dpdk).
std::string runtime_dir_for(const std::string& prefix) {
  if (geteuid() == 0) return "/var/run/dpdk/" + prefix;
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  return std::string(xdg != nullptr ? xdg : "/tmp") + "/dpdk/" + prefix;
}

// A runtime directory of our prefix left by an instance that died (SIGKILL,
// a crash) is removed; one that a live process holds is an error. The EAL's
// primary process holds a write lock on its config file for its whole life
// (eal_common_config.c), so a lock we can take means nobody holds it.
Status clean_stale_runtime_dir(const std::string& prefix) {
  const std::string dir = runtime_dir_for(prefix);
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return ok_status();
  const std::string config = dir + "/config";
  const int fd = open(config.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    const bool held = fcntl(fd, F_SETLK, &lock) != 0;
    close(fd);  // also drops our lock, if we took it
    if (held) {
      return make_error("file prefix '" + prefix + "' is in use by a running DPDK process (" + dir +
                        "): give this instance another dataplane.file_prefix");
    }
  }
  std::filesystem::remove_all(dir, ec);
  if (ec)
    return make_error("cannot remove the stale runtime directory " + dir + ": " + ec.message());
  logger(LogComponent::kDataplane)
      .warn("eal: removed {} left by an instance that did not stop cleanly", dir);
  return ok_status();
}
}  // namespace

Status Eal::init(const config::Config& cfg, const std::string& lcore_map) {
  if (initialised_) return make_error("EAL already initialised");
  const std::string& map = lcore_map.empty() ? cfg.dataplane.lcore_map : lcore_map;
  if (auto s = map.empty() ? check_lcores(cfg.dataplane) : check_map_cpus(map); !s) return s;
  auto choice =
      choose_hugepages(cfg.dataplane.hugepages, cfg.dataplane.memory_mb, probe_hugepages());
  if (!choice) return choice.error();
  logger(LogComponent::kDataplane).info("eal: {}", choice->reason);
  hugepages_ = choice->use_hugepages;
  file_prefix_ = instance_file_prefix(cfg.dataplane, static_cast<int>(getpid()));
  if (auto s = clean_stale_runtime_dir(file_prefix_); !s) return s;

  std::vector<std::string> args = build_eal_args(cfg, hugepages_, file_prefix_, lcore_map);
  std::string joined;
  for (const auto& a : args) joined += (joined.empty() ? "" : " ") + a;
  logger(LogComponent::kDataplane).info("eal: {}", joined);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (FILE* f = dpdk_log_stream(); f == nullptr || rte_openlog_stream(f) != 0) {
    logger(LogComponent::kDataplane).warn("eal: DPDK's messages stay on stderr (no log stream)");
  }
  const int n = rte_eal_init(static_cast<int>(args.size()), argv.data());
  if (n < 0) {
    return make_error("rte_eal_init failed: " + std::string(rte_strerror(rte_errno)) +
                      " (file prefix " + file_prefix_ + "; see the EAL messages above)");
  }
  initialised_ = true;
  runtime_dir_ = rte_eal_get_runtime_dir();
  return ok_status();
}

void Eal::cleanup() {
  if (!initialised_) return;
  initialised_ = false;
  const int rc = rte_eal_cleanup();
  if (rc != 0) logger(LogComponent::kDataplane).warn("eal: rte_eal_cleanup returned {}", rc);
  // The EAL leaves its runtime files (config, fbarray, telemetry socket) behind;
  // this instance's prefix is its own, so remove them.
  std::error_code ec;
  if (!runtime_dir_.empty()) {
    std::filesystem::remove_all(runtime_dir_, ec);
    if (ec)
      logger(LogComponent::kDataplane)
          .warn("eal: cannot remove {}: {}", runtime_dir_, ec.message());
  }
}

}  // namespace edgesfu::dp
