// Device-argument strings for the appliance's vdevs. Pure functions.
#pragma once

#include <string>

#include "config/config.hpp"

namespace edgesfu::dp {

// The wire vdev's devargs with the queue count a PMD needs for `queues` worker
// lcores added when the operator did not set it (af_packet: qpairs, af_xdp:
// queue_count).
std::string wire_devargs(const std::string& vdev, unsigned queues);

// "net_tap0,iface=<iface>,mac=<mac>": a fixed MAC so that clients' ARP caches
// stay valid across restarts.
std::string exception_devargs(const config::ExceptionPortConfig& ex);

}  // namespace edgesfu::dp
