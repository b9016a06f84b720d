// DPDK's own log messages (the EAL's, the PMDs') into edgesfu's logging:
// the "dpdk" component, at the level DPDK gave each message, so that with
// logging.json they are JSON lines like the rest. Installed before
// rte_eal_init. A PMD that logs on a worker lcore goes through spdlog's
// thread-safe sink there (errors only, in practice).
#pragma once

#include <cstdio>

namespace edgesfu::dp {

// The stream for rte_openlog_stream (made once; never closed).
FILE* dpdk_log_stream();

// DPDK's level of a message (RTE_LOG_EMERG 1 .. RTE_LOG_DEBUG 8) as spdlog's.
int spdlog_level_of_dpdk(int rte_level);

}  // namespace edgesfu::dp
