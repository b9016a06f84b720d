// The EAL's lifetime for the appliance: init from the config, and a cleanup that
// leaves nothing under the runtime directory (/var/run/dpdk/<prefix>).
// Main thread only.
#pragma once

#include <string>

#include "base/result.hpp"
#include "config/config.hpp"

namespace edgesfu::dp {

class Eal {
 public:
  Eal() = default;
  Eal(const Eal&) = delete;
  Eal& operator=(const Eal&) = delete;
  ~Eal() { cleanup(); }

  // Chooses hugepages, checks the lcores' CPUs are this process's, runs
  // rte_eal_init. `lcore_map`: build_eal_args'.
  Status init(const config::Config& cfg, const std::string& lcore_map = {});
  // rte_eal_cleanup, then removes the runtime directory. Idempotent.
  void cleanup();

  bool initialised() const { return initialised_; }
  const std::string& file_prefix() const { return file_prefix_; }
  bool hugepages() const { return hugepages_; }

 private:
  bool initialised_ = false;
  bool hugepages_ = false;
  std::string file_prefix_;
  std::string runtime_dir_;
};

}  // namespace edgesfu::dp
