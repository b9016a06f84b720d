#include <gtest/gtest.h>

#include "dataplane/port/devargs.hpp"

namespace edgesfu::dp {
namespace {

TEST(DevargsTest, WireQueueCountIsAddedPerDriver) {
  const struct {
    const char* in;
    unsigned queues;
    const char* out;
  } cases[] = {
      {"net_af_packet0,iface=eth1", 2, "net_af_packet0,iface=eth1,qpairs=2"},
      {"net_af_packet0,iface=eth1,qpairs=4", 2, "net_af_packet0,iface=eth1,qpairs=4"},
      {"net_af_xdp0,iface=eth1", 3, "net_af_xdp0,iface=eth1,queue_count=3"},
      {"net_af_xdp0,iface=eth1,queue_count=1", 3, "net_af_xdp0,iface=eth1,queue_count=1"},
      {"net_null0", 2, "net_null0"},
      {"net_pcap0,rx_pcap=a.pcap,tx_pcap=b.pcap", 1, "net_pcap0,rx_pcap=a.pcap,tx_pcap=b.pcap"},
  };
  for (const auto& c : cases) EXPECT_EQ(wire_devargs(c.in, c.queues), c.out) << c.in;
}

TEST(DevargsTest, ExceptionTapHasFixedMac) {
  config::ExceptionPortConfig ex;
  ex.iface = "esfu-tap0";
  ex.mac = {0x02, 0x00, 0xc6, 0x12, 0x00, 0x02};
  EXPECT_EQ(exception_devargs(ex), "net_tap0,iface=esfu-tap0,mac=02:00:c6:12:00:02");
}

}  // namespace
}  // namespace edgesfu::dp
