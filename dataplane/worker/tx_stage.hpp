// The worker's TX stage: where packets the fast path produces wait for the
// end of the loop iteration (or until the stage fills, in a large fan-out),
// then leave in one rte_eth_tx_burst. Worker lcore only; it consumes the
// mbufs. Header-only (edgesfu_dp_tx_stage), so that the fan-out can produce
// into it without depending on the worker loop.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/stats/lcore_stats.hpp"

namespace edgesfu::dp {

struct TxStage {
  static constexpr uint16_t kCapacity = 64;  // small: the mbufs in flight stay in L1/L2
  rte_mbuf* pkts[kCapacity];
  uint16_t n = 0;
  uint16_t port = 0, queue = 0;
  DirectionStats* stats = nullptr;  // tx counts
  Counter* full = nullptr;          // packets the TX queue refused

  void push(rte_mbuf* m) {
    if (n == kCapacity) flush();
    pkts[n++] = m;
  }
  void flush() {
    if (n == 0) return;
    const uint16_t sent = rte_eth_tx_burst(port, queue, pkts, n);
    if (stats != nullptr) {
      uint64_t bytes = 0;
      for (uint16_t i = 0; i < sent; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
      stats->tx_pkts.add(sent);
      stats->tx_bytes.add(bytes);
    }
    if (sent < n) {
      rte_pktmbuf_free_bulk(pkts + sent, n - sent);
      if (full != nullptr) full->add(n - sent);
    }
    n = 0;
  }
};

}  // namespace edgesfu::dp
