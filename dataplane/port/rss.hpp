// What edgesfu asks of a port's PMD at rte_eth_dev_configure. With more than
// one worker, receive-side scaling over what the PMD can hash (IP, then UDP
// and TCP ports), so that each worker's RX queue gets its share of the flows
// (a flow then reaches its owner directly or through one hand-off); with
// one worker, or a PMD that hashes none of these, no RSS (everything arrives
// on queue 0 and is handed off). Pure: unit-tested without the EAL.
#pragma once

#include <rte_ethdev.h>

#include <cstdint>

namespace edgesfu::dp {

// The hash functions edgesfu wants, of those a PMD may offer.
inline constexpr uint64_t kWantedRss = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;

// `rss_offloads`: rte_eth_dev_info.flow_type_rss_offloads of the port.
rte_eth_conf port_conf(uint16_t queues, uint64_t rss_offloads);
inline bool spreads_flows(const rte_eth_conf& c) { return c.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS; }

}  // namespace edgesfu::dp
