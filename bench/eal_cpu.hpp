// The EAL argument that keeps a benchmark on the CPU it was started on.
// rte_eal_init pins its main thread to lcore 0's CPU set, and "-l 0" means
// CPU 0 whatever `taskset` gave the process; "--lcores 0@N" maps lcore 0
// to N, here the first CPU of the process's affinity. The EAL takes CPUs
// below RTE_MAX_LCORE only; past that, CPU 0 as before (and a warning).
#pragma once

#include <rte_config.h>
#include <sched.h>

#include <cstdio>
#include <string>

namespace edgesfu::bench {

inline std::string lcore0_on_own_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpu = 0;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set)) ++cpu;
    if (cpu == CPU_SETSIZE) cpu = 0;
  }
  if (cpu >= RTE_MAX_LCORE) {
    std::fprintf(stderr, "bench: CPU %d is past the EAL's %d; running on CPU 0\n", cpu,
                 RTE_MAX_LCORE);
    cpu = 0;
  }
  return "0@" + std::to_string(cpu);
}

}  // namespace edgesfu::bench
