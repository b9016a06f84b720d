// What both ICE agents (the appliance's lite agent, libnice's full agent for
// test peers) are made from and report. Slow path.
#pragma once

#include <glib.h>

#include <cstdint>
#include <string>

#include "dataplane/pkt/net.hpp"

namespace edgesfu::sp::ice {

struct AgentParams {
  GMainContext* context = nullptr;
  std::string local_address;       // the appliance IP the sockets bind to
  std::string advertised_address;  // rtc.node_ip, written into candidates; empty: local_address
  uint16_t port_min = 0, port_max = 0;  // rtc.port_range_start/end; 0: any
  bool controlling = false;  // the full agent's role (the lite agent is always controlled)
};

// The pair in use: the peer as we see it, and our side.
struct SelectedPair {
  dp::pkt::IpAddr remote;
  uint16_t remote_port = 0;
  dp::pkt::IpAddr local;
  uint16_t local_port = 0;
};

}  // namespace edgesfu::sp::ice
