#include "dataplane/port/port.hpp"

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "base/log.hpp"
#include "dataplane/port/rss.hpp"

namespace edgesfu::dp {

namespace {
std::string errstr(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }
}  // namespace

Result<Port> Port::probe_vdev(std::string role, const std::string& devargs) {
  const std::string name = devargs.substr(0, devargs.find(','));
  const std::string args = devargs.size() > name.size() ? devargs.substr(name.size() + 1) : "";
  const int rc = rte_vdev_init(name.c_str(), args.c_str());
  if (rc != 0) {
    return make_error(role + " port: cannot create vdev '" + devargs + "': " + errstr(rc) +
                      " (see the PMD's message above)");
  }
  uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
    rte_vdev_uninit(name.c_str());
    return make_error(role + " port: vdev '" + name + "' created no ethdev");
  }
  return Port(std::move(role), id, name);
}

Result<Port> Port::find_pci(std::string role, const std::string& pci) {
  uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(pci.c_str(), &id) != 0) {
    return make_error(role + " port: no ethdev for PCI device " + pci +
                      " (is it bound to vfio-pci? see deploy/README.md)");
  }
  return Port(std::move(role), id, "");
}

Port::Port(Port&& o) noexcept
    : role_(std::move(o.role_)),
      id_(o.id_),
      vdev_name_(std::move(o.vdev_name_)),
      open_(std::exchange(o.open_, false)),
      started_(std::exchange(o.started_, false)) {}

Port& Port::operator=(Port&& o) noexcept {
  if (this != &o) {
    close();
    role_ = std::move(o.role_);
    id_ = o.id_;
    vdev_name_ = std::move(o.vdev_name_);
    open_ = std::exchange(o.open_, false);
    started_ = std::exchange(o.started_, false);
  }
  return *this;
}

Status Port::start(const PortQueues& q, rte_mempool* pool) {
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id_, &info); rc != 0) {
    return make_error(role_ + " port: rte_eth_dev_info_get: " + errstr(rc));
  }
  if (q.queues > info.max_rx_queues || q.queues > info.max_tx_queues) {
    return make_error(role_ + " port (" + std::string(info.driver_name) + ") supports " +
                      std::to_string(info.max_rx_queues) + " RX / " +
                      std::to_string(info.max_tx_queues) + " TX queues, " +
                      std::to_string(q.queues) + " worker lcores need one each");
  }
  const rte_eth_conf conf = port_conf(q.rss ? q.queues : 1, info.flow_type_rss_offloads);
  // A vdev on a kernel interface (af_packet, af_xdp) has the kernel spread
  // its queues; a NIC without RSS leaves all to the first one.
  if (q.rss && q.queues > 1 && !spreads_flows(conf) && vdev_name_.empty()) {
    logger(LogComponent::kDataplane)
        .warn(
            "{} port ({}): no RSS over IP/UDP/TCP; all its packets arrive on the first "
            "worker's queue and reach the others by hand-off",
            role_, info.driver_name);
  }
  if (int rc = rte_eth_dev_configure(id_, q.queues, q.queues, &conf); rc != 0) {
    return make_error(role_ + " port: rte_eth_dev_configure: " + errstr(rc));
  }
  uint16_t rxd = q.rx_desc, txd = q.tx_desc;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id_, &rxd, &txd); rc != 0) {
    return make_error(role_ + " port: rte_eth_dev_adjust_nb_rx_tx_desc: " + errstr(rc));
  }
  const int sock = rte_eth_dev_socket_id(id_);
  const unsigned socket_id = sock < 0 ? SOCKET_ID_ANY : static_cast<unsigned>(sock);
  for (uint16_t i = 0; i < q.queues; ++i) {
    if (int rc = rte_eth_rx_queue_setup(id_, i, rxd, socket_id, nullptr, pool); rc != 0) {
      return make_error(role_ + " port: RX queue " + std::to_string(i) + ": " + errstr(rc));
    }
    if (int rc = rte_eth_tx_queue_setup(id_, i, txd, socket_id, nullptr); rc != 0) {
      return make_error(role_ + " port: TX queue " + std::to_string(i) + ": " + errstr(rc));
    }
  }
  if (int rc = rte_eth_dev_start(id_); rc != 0) {
    return make_error(role_ + " port: rte_eth_dev_start: " + errstr(rc));
  }
  started_ = true;
  if (q.promiscuous) {
    if (int rc = rte_eth_promiscuous_enable(id_); rc != 0) {
      return make_error(role_ + " port: cannot enable promiscuous mode: " + errstr(rc));
    }
  }
  rte_ether_addr mac{};
  rte_eth_macaddr_get(id_, &mac);
  char macs[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(macs, sizeof macs, &mac);
  logger(LogComponent::kDataplane)
      .info("port {}: id {} driver {} mac {} queues {}{} rx_desc {} tx_desc {} socket {}", role_,
            id_, info.driver_name, macs, q.queues, spreads_flows(conf) ? " (RSS)" : "", rxd, txd,
            sock);
  return ok_status();
}

void Port::close() {
  if (!open_) return;
  open_ = false;
  if (started_) {
    if (int rc = rte_eth_dev_stop(id_); rc != 0) {
      logger(LogComponent::kDataplane).warn("port {}: rte_eth_dev_stop: {}", role_, errstr(rc));
    }
    started_ = false;
  }
  if (int rc = rte_eth_dev_close(id_); rc != 0) {
    logger(LogComponent::kDataplane).warn("port {}: rte_eth_dev_close: {}", role_, errstr(rc));
  }
  if (!vdev_name_.empty()) {
    if (int rc = rte_vdev_uninit(vdev_name_.c_str()); rc != 0 && rc != -ENOENT) {
      logger(LogComponent::kDataplane).warn("port {}: rte_vdev_uninit: {}", role_, errstr(rc));
    }
  }
}

PortCounters Port::counters() const {
  PortCounters c;
  rte_eth_stats s{};
  if (!open_ || rte_eth_stats_get(id_, &s) != 0) return c;
  c.rx_pkts = s.ipackets;
  c.rx_bytes = s.ibytes;
  c.tx_pkts = s.opackets;
  c.tx_bytes = s.obytes;
  c.rx_missed = s.imissed;
  c.rx_errors = s.ierrors;
  c.tx_errors = s.oerrors;
  c.rx_nombuf = s.rx_nombuf;
  return c;
}

int Port::socket() const { return rte_eth_dev_socket_id(id_); }

}  // namespace edgesfu::dp
