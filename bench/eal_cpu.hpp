// The EAL argument that keeps a benchmark on the CPU it was started on.
// rte_eal_init pins its main thread to lcore 0's CPU set, and "-l 0" means
// CPU 0 whatever `taskset` gave the process; "--lcores 0@N" maps lcore 0
// to N, here the first CPU of the process's affinity.
#pragma once

#include <sched.h>

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
  return "0@" + std::to_string(cpu);
}

}  // namespace edgesfu::bench
