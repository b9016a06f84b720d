// IpAddr <-> sockaddr, and an address in text: what both ICE agents need
// of the socket API. Pure; any thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "dataplane/pkt/net.hpp"

namespace edgesfu::sp::ice {

inline bool to_sockaddr(const dp::pkt::IpAddr& ip, uint16_t port, sockaddr_storage& ss,
                        socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  if (ip.family == 4) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    std::memcpy(&s4->sin_addr, ip.b.data(), 4);
    len = sizeof *s4;
    return true;
  }
  if (ip.family == 6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    std::memcpy(&s6->sin6_addr, ip.b.data(), 16);
    len = sizeof *s6;
    return true;
  }
  return false;
}

inline dp::pkt::IpAddr from_sockaddr(const sockaddr_storage& ss, uint16_t& port) {
  dp::pkt::IpAddr ip;
  if (ss.ss_family == AF_INET) {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
    ip.family = 4;
    std::memcpy(ip.b.data(), &s4->sin_addr, 4);
    port = ntohs(s4->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ip.family = 6;
    std::memcpy(ip.b.data(), &s6->sin6_addr, 16);
    port = ntohs(s6->sin6_port);
  }
  return ip;
}

inline bool parse_ip(const std::string& s, dp::pkt::IpAddr& ip) {
  ip = {};
  if (inet_pton(AF_INET, s.c_str(), ip.b.data()) == 1) {
    ip.family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.b.data()) == 1) {
    ip.family = 6;
    return true;
  }
  return false;
}

// "198.18.0.1" or "2001:db8::1" (empty for no address).
inline std::string ip_text(const dp::pkt::IpAddr& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ip.family != 4 && ip.family != 6) return {};
  if (inet_ntop(ip.family == 4 ? AF_INET : AF_INET6, ip.b.data(), buf, sizeof buf) == nullptr) {
    return {};
  }
  return buf;
}

}  // namespace edgesfu::sp::ice
