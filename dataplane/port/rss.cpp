#include "dataplane/port/rss.hpp"

namespace edgesfu::dp {

rte_eth_conf port_conf(uint16_t queues, uint64_t rss_offloads) {
  rte_eth_conf conf{};
  const uint64_t hf = rss_offloads & kWantedRss;
  if (queues > 1 && hf != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = nullptr;  // the PMD's default key
    conf.rx_adv_conf.rss_conf.rss_hf = hf;
  }
  return conf;
}

}  // namespace edgesfu::dp
