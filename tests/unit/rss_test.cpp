// The port configuration: RSS over IP/UDP/TCP with more than one worker,
// limited to what the PMD hashes; none with one worker or a PMD without it.
#include <gtest/gtest.h>

#include "dataplane/port/rss.hpp"

namespace edgesfu::dp {
namespace {

TEST(PortConf, RssOnlyWithSeveralQueuesAndWhatThePmdHashes) {
  // A NIC that hashes everything (ice, i40e, mlx5 report many more bits).
  const uint64_t nic = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_SCTP |
                       RTE_ETH_RSS_L2_PAYLOAD;
  rte_eth_conf c = port_conf(4, nic);
  EXPECT_TRUE(spreads_flows(c));
  EXPECT_EQ(c.rx_adv_conf.rss_conf.rss_hf, kWantedRss);
  EXPECT_EQ(c.rx_adv_conf.rss_conf.rss_key, nullptr);
  // One worker: no RSS, whatever the NIC can do.
  c = port_conf(1, nic);
  EXPECT_FALSE(spreads_flows(c));
  EXPECT_EQ(c.rx_adv_conf.rss_conf.rss_hf, 0u);
  // A PMD that hashes only IPv4 addresses: that much, never a bit it lacks.
  c = port_conf(2, RTE_ETH_RSS_IPV4);
  EXPECT_TRUE(spreads_flows(c));
  EXPECT_EQ(c.rx_adv_conf.rss_conf.rss_hf, RTE_ETH_RSS_IPV4);
  // None of ours (the TAP, af_packet, memif): no RSS.
  c = port_conf(2, 0);
  EXPECT_FALSE(spreads_flows(c));
  c = port_conf(2, RTE_ETH_RSS_L2_PAYLOAD);
  EXPECT_FALSE(spreads_flows(c));
}

}  // namespace
}  // namespace edgesfu::dp
