// DPDK telemetry commands under /edgesfu/ (read with dpdk-telemetry.py -f
// <file_prefix>):
//   /edgesfu/lcores   per-lcore packets, bytes, busy/idle cycles (and the TSC rate)
//   /edgesfu/media    per-lcore fast-path counters (rtp_in, rtp_out, ...)
//   /edgesfu/drops    every drop reason, summed over the lcores
//   /edgesfu/mempools each mempool: size, objects in use, available
// The telemetry thread reads the counters with relaxed atomic loads; it never
// writes dataplane state.
#pragma once

#include "dataplane/worker/worker_set.hpp"

namespace edgesfu::dp {

// Registers the commands (once per process) and points them at `set`;
// nullptr detaches them (they then answer with an error) and returns only when
// no callback still reads the old set. Main thread.
void telemetry_attach(const WorkerSet* set);

}  // namespace edgesfu::dp
