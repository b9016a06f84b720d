#include "dataplane/worker/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace edgesfu::dp {

namespace {

// Receives a burst on (from, queue) and transmits it on (to, queue); what the TX
// queue does not take is freed and counted in `dropped`. Worker lcore only;
// the mbufs are consumed (sent or freed).
inline uint16_t forward_burst(uint16_t from, uint16_t to, uint16_t queue, uint16_t burst,
                              DirectionStats& st, Counter& dropped) {
  rte_mbuf* pkts[kMaxBurst];
  const uint16_t n = rte_eth_rx_burst(from, queue, pkts, burst);
  if (n == 0) return 0;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  st.rx_pkts.add(n);
  st.rx_bytes.add(bytes);
  const uint16_t sent = rte_eth_tx_burst(to, queue, pkts, n);
  if (sent < n) {
    uint64_t lost_bytes = 0;
    for (uint16_t i = sent; i < n; ++i) lost_bytes += rte_pktmbuf_pkt_len(pkts[i]);
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    dropped.add(n - sent);
    bytes -= lost_bytes;
  }
  st.tx_pkts.add(sent);
  st.tx_bytes.add(bytes);
  return n;
}

Counter& drop(LcoreStats& s, DropReason r) { return s.drops[static_cast<std::size_t>(r)]; }

}  // namespace

uint16_t worker_poll_once(Worker& w) {
  uint16_t n = forward_burst(w.wire_port, w.exception_port, w.queue, w.burst,
                             w.stats.wire_to_exception, drop(w.stats, DropReason::kExceptionTxFull));
  n = static_cast<uint16_t>(n + forward_burst(w.exception_port, w.wire_port, w.queue, w.burst,
                                              w.stats.exception_to_wire,
                                              drop(w.stats, DropReason::kWireTxFull)));
  return n;
}

int worker_main(void* arg) {
  auto& w = *static_cast<Worker*>(arg);
  uint64_t busy = 0, idle = 0, loops = 0;
  uint64_t prev = rte_rdtsc();
  while (!w.stop->load(std::memory_order_relaxed)) {
    const uint16_t n = worker_poll_once(w);
    const uint64_t now = rte_rdtsc();
    (n != 0 ? busy : idle) += now - prev;
    prev = now;
    // Publish the cycle counters every 1024 loops, not every loop.
    if ((++loops & 1023) == 0) {
      w.stats.busy_cycles.add(busy);
      w.stats.idle_cycles.add(idle);
      w.stats.loops.add(1024);
      busy = idle = 0;
    }
  }
  w.stats.busy_cycles.add(busy);
  w.stats.idle_cycles.add(idle);
  w.stats.loops.add(loops & 1023);
  return 0;
}

}  // namespace edgesfu::dp
