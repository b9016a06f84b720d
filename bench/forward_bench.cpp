// Forwarding-loop cost: one worker's poll between two net_null ports, no EAL
// threads launched, measured by Google Benchmark on the calling core. net_null
// makes and swallows packets at memory speed, so this is the loop's own cost
// per packet (RX burst, counters, TX burst, free), not an I/O figure.
//
//   build-release/bench/forward_bench [--benchmark_format=json]
#include <benchmark/benchmark.h>
#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "bench/eal_cpu.hpp"
#include "dataplane/worker/worker.hpp"

namespace {

uint16_t g_wire = 0, g_exception = 0;

bool setup_port(const char* name, rte_mempool* pool, uint16_t& id) {
  if (rte_vdev_init(name, "") != 0 || rte_eth_dev_get_port_by_name(name, &id) != 0) return false;
  rte_eth_conf conf{};
  return rte_eth_dev_configure(id, 1, 1, &conf) == 0 &&
         rte_eth_rx_queue_setup(id, 0, 1024, SOCKET_ID_ANY, nullptr, pool) == 0 &&
         rte_eth_tx_queue_setup(id, 0, 1024, SOCKET_ID_ANY, nullptr) == 0 &&
         rte_eth_dev_start(id) == 0;
}

void BM_ForwardNullToNull(benchmark::State& state) {
  static std::atomic<bool> never{false};
  edgesfu::dp::Worker w;
  w.wire_port = g_wire;
  w.exception_port = g_exception;
  w.burst = static_cast<uint16_t>(state.range(0));
  w.stop = &never;
  uint64_t pkts = 0;
  for (auto _ : state) pkts += edgesfu::dp::worker_poll_once(w);
  state.SetItemsProcessed(static_cast<int64_t>(pkts));
  state.counters["pkts_per_poll"] =
      benchmark::Counter(static_cast<double>(pkts), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_ForwardNullToNull)->Arg(1)->Arg(8)->Arg(32)->Arg(64);

}  // namespace

int main(int argc, char** argv) {
  const std::string prefix = "esfu-bench-" + std::to_string(getpid());
  const std::string lcores = edgesfu::bench::lcore0_on_own_cpu();  // taskset's CPU, not CPU 0
  const char* eal[] = {"forward_bench", "--no-pci",     "--no-huge",    "-m",
                       "128",           "--lcores",     lcores.c_str(), "--file-prefix",
                       prefix.c_str(),  "--log-level=4"};
  if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) {
    std::fprintf(stderr, "forward_bench: rte_eal_init failed\n");
    return 1;
  }
  rte_mempool* pool = rte_pktmbuf_pool_create("bench", 8191, 256, 0, 2176, SOCKET_ID_ANY);
  if (pool == nullptr || !setup_port("net_null0", pool, g_wire) ||
      !setup_port("net_null1", pool, g_exception)) {
    std::fprintf(stderr, "forward_bench: port setup failed\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (uint16_t id : {g_wire, g_exception}) {
    rte_eth_dev_stop(id);
    rte_eth_dev_close(id);
  }
  rte_vdev_uninit("net_null0");
  rte_vdev_uninit("net_null1");
  rte_mempool_free(pool);
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ec;
  std::filesystem::remove_all(runtime_dir, ec);  // the EAL leaves its files behind
  return 0;
}
