#include "dataplane/port/netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace edgesfu::dp {

namespace {

// The kernel's struct in6_ifreq (linux/ipv6.h), which cannot be included next
// to netinet/in.h.
struct In6Ifreq {
  in6_addr addr;
  uint32_t prefixlen;
  int ifindex;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string err() { return std::strerror(errno); }

}  // namespace

Status enter_netns(const std::string& name) {
  const std::string path = "/var/run/netns/" + name;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return make_error("dataplane.exception.netns: cannot open " + path + ": " + err() +
                      " (create it with `ip netns add " + name + "`)");
  }
  if (::setns(fd.get(), CLONE_NEWNET) != 0) {
    return make_error("dataplane.exception.netns: setns(" + name + "): " + err());
  }
  return ok_status();
}

Result<ScopedNetns> ScopedNetns::enter(const std::string& name) {
  if (name.empty()) return ScopedNetns(-1);
  const int saved = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved < 0) return make_error("cannot open /proc/thread-self/ns/net: " + err());
  if (auto s = enter_netns(name); !s) {
    ::close(saved);
    return s.error();
  }
  return ScopedNetns(saved);
}

ScopedNetns::~ScopedNetns() {
  if (saved_fd_ < 0) return;
  if (::setns(saved_fd_, CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "edgesfu: cannot return to the original network namespace: %s\n",
                 std::strerror(errno));
    std::abort();
  }
  ::close(saved_fd_);
}

Status configure_interface(const std::string& iface,
                           const std::vector<config::InterfaceAddress>& addresses) {
  Fd s4(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s4.get() < 0) return make_error("exception port: socket(AF_INET): " + err());
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
  if (::ioctl(s4.get(), SIOCGIFFLAGS, &ifr) != 0) {
    return make_error("exception port: interface " + iface + " not found: " + err());
  }
  if ((ifr.ifr_flags & IFF_UP) == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(s4.get(), SIOCSIFFLAGS, &ifr) != 0) {
      return make_error("exception port: cannot set " + iface + " up: " + err());
    }
  }
  for (const auto& a : addresses) {
    if (a.family == AF_INET) {
      ifreq r{};
      std::strncpy(r.ifr_name, iface.c_str(), IFNAMSIZ - 1);
      auto* sin = reinterpret_cast<sockaddr_in*>(&r.ifr_addr);
      sin->sin_family = AF_INET;
      std::memcpy(&sin->sin_addr, a.bytes.data(), 4);
      if (::ioctl(s4.get(), SIOCSIFADDR, &r) != 0) {
        return make_error("exception port: cannot add " + a.text + " to " + iface + ": " + err());
      }
      const uint32_t mask = a.prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - a.prefix_len);
      sin = reinterpret_cast<sockaddr_in*>(&r.ifr_netmask);
      sin->sin_family = AF_INET;
      sin->sin_addr.s_addr = htonl(mask);
      if (::ioctl(s4.get(), SIOCSIFNETMASK, &r) != 0) {
        return make_error("exception port: cannot set netmask of " + a.text + ": " + err());
      }
    } else {
      Fd s6(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      if (s6.get() < 0) return make_error("exception port: socket(AF_INET6): " + err());
      In6Ifreq r{};
      std::memcpy(&r.addr, a.bytes.data(), 16);
      r.prefixlen = a.prefix_len;
      r.ifindex = static_cast<int>(::if_nametoindex(iface.c_str()));
      if (::ioctl(s6.get(), SIOCSIFADDR, &r) != 0 && errno != EEXIST) {
        return make_error("exception port: cannot add " + a.text + " to " + iface + ": " + err());
      }
    }
  }
  return ok_status();
}

Status add_default_routes(const std::string& iface,
                          const std::vector<config::InterfaceAddress>& gateways) {
  const int ifindex = static_cast<int>(::if_nametoindex(iface.c_str()));
  if (ifindex == 0)
    return make_error("exception port: interface " + iface + " not found: " + err());
  for (const auto& g : gateways) {
    Fd s(::socket(g.family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (s.get() < 0) return make_error("exception port: socket for a route: " + err());
    int rc = 0;
    if (g.family == AF_INET) {
      rtentry rt{};
      auto* dst = reinterpret_cast<sockaddr_in*>(&rt.rt_dst);
      dst->sin_family = AF_INET;
      auto* mask = reinterpret_cast<sockaddr_in*>(&rt.rt_genmask);
      mask->sin_family = AF_INET;
      auto* gw = reinterpret_cast<sockaddr_in*>(&rt.rt_gateway);
      gw->sin_family = AF_INET;
      std::memcpy(&gw->sin_addr, g.bytes.data(), 4);
      rt.rt_flags = RTF_UP | RTF_GATEWAY;
      std::string dev = iface;  // rt_dev is a char*
      rt.rt_dev = dev.data();
      rc = ::ioctl(s.get(), SIOCADDRT, &rt);
    } else {
      in6_rtmsg rt{};
      std::memcpy(&rt.rtmsg_gateway, g.bytes.data(), 16);
      rt.rtmsg_flags = RTF_UP | RTF_GATEWAY;
      rt.rtmsg_metric = 1;
      rt.rtmsg_ifindex = ifindex;
      rc = ::ioctl(s.get(), SIOCADDRT, &rt);
    }
    if (rc != 0) {
      const int e = errno;
      return make_error("exception port: cannot add the default route via " + g.text + " on " +
                        iface + ": " + std::strerror(e));
    }
  }
  return ok_status();
}

Status enable_syn_cookies() {
  // /proc/sys/net resolves against the namespace of the thread that opens it.
  Fd f(::open("/proc/sys/net/ipv4/tcp_syncookies", O_WRONLY | O_CLOEXEC));
  if (f.get() < 0)
    return make_error("exception port: cannot open net.ipv4.tcp_syncookies: " + err());
  if (::write(f.get(), "1\n", 2) != 2) {
    return make_error("exception port: cannot set net.ipv4.tcp_syncookies: " + err());
  }
  return ok_status();
}

}  // namespace edgesfu::dp
