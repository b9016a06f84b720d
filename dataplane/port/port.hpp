// Ethernet ports of the appliance: the wire port (a NIC or a vdev) and the
// exception port (a kernel TAP). Setup and teardown run on the main thread;
// workers only use the port id and their own queue number.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <string>

#include "base/result.hpp"

namespace edgesfu::dp {

struct PortQueues {
  uint16_t queues = 1;  // one RX/TX queue pair per worker lcore
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  bool promiscuous = false;
  bool rss = false;  // spread flows over the queues (the wire port; port_conf in rss.hpp)
};

// Counters of one port as the PMD reports them (rte_eth_stats).
struct PortCounters {
  uint64_t rx_pkts = 0, rx_bytes = 0, tx_pkts = 0, tx_bytes = 0;
  uint64_t rx_missed = 0, rx_errors = 0, tx_errors = 0, rx_nombuf = 0;
};

class Port {
 public:
  // Probes a vdev ("net_tap0,iface=x,mac=y") and finds its ethdev.
  static Result<Port> probe_vdev(std::string role, const std::string& devargs);
  // Finds an ethdev that the EAL probed from its allow list (a PCI address).
  static Result<Port> find_pci(std::string role, const std::string& pci);

  Port(Port&& o) noexcept;
  Port& operator=(Port&& o) noexcept;
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;
  ~Port() { close(); }

  // Configures `queues` RX/TX pairs drawing from `pool` and starts the port.
  Status start(const PortQueues& q, rte_mempool* pool);
  // Stops, closes and (for a vdev) removes the device. Idempotent.
  void close();

  PortCounters counters() const;
  // NUMA socket of the device, or -1 if the PMD does not know.
  int socket() const;
  uint16_t id() const { return id_; }
  const std::string& role() const { return role_; }

 private:
  Port(std::string role, uint16_t id, std::string vdev_name)
      : role_(std::move(role)), id_(id), vdev_name_(std::move(vdev_name)), open_(true) {}

  std::string role_;
  uint16_t id_ = 0;
  std::string vdev_name_;  // empty for a PCI device
  bool open_ = false;
  bool started_ = false;
};

}  // namespace edgesfu::dp
