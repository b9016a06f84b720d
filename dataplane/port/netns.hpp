// Network-namespace and kernel-interface helpers for the exception path.
// Main thread only, at start-up.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"

namespace edgesfu::dp {

// Moves the calling thread into the named namespace (/var/run/netns/<name>, as
// `ip netns add` makes it). Threads created afterwards by this thread inherit
// it; threads that exist already (the worker lcores) stay where they are.
Status enter_netns(const std::string& name);

// Enters a namespace for a scope and returns the calling thread to the one it
// was in when the scope ends. Used to create the TAP where the appliance IP
// lives while the main thread stays beside the wire port (af_packet and
// af_xdp address their interface by name in the current namespace).
class ScopedNetns {
 public:
  // An empty name enters nothing.
  static Result<ScopedNetns> enter(const std::string& name);
  ScopedNetns(ScopedNetns&& o) noexcept : saved_fd_(o.saved_fd_) { o.saved_fd_ = -1; }
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  ScopedNetns& operator=(ScopedNetns&&) = delete;
  // Aborts if the thread cannot return: a main thread left in the wrong
  // namespace would misdirect every later socket.
  ~ScopedNetns();

 private:
  explicit ScopedNetns(int saved_fd) : saved_fd_(saved_fd) {}
  int saved_fd_ = -1;
};

// Assigns the addresses to the kernel interface `iface` in the calling thread's
// namespace and sets it up. An address that is already there is not an error.
Status configure_interface(const std::string& iface,
                           const std::vector<config::InterfaceAddress>& addresses);

// Adds a default route via each gateway (one per family) through `iface` in
// the calling thread's namespace (the TAP's own: the config requires
// dataplane.exception.netns with gateways).
Status add_default_routes(const std::string& iface,
                          const std::vector<config::InterfaceAddress>& gateways);

// Turns on TCP SYN cookies (net.ipv4.tcp_syncookies = 1) in the calling
// thread's namespace: a SYN flood that gets through the punt budget then
// fills no listen queue of the signalling socket (issue 12 #4).
Status enable_syn_cookies();

}  // namespace edgesfu::dp
