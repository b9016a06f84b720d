#include "dataplane/port/devargs.hpp"

namespace edgesfu::dp {

namespace {
bool has_arg(const std::string& devargs, const std::string& key) {
  const std::string k = "," + key + "=";
  return devargs.find(k) != std::string::npos;
}
}  // namespace

std::string wire_devargs(const std::string& vdev, unsigned queues) {
  std::string out = vdev;
  const std::string q = std::to_string(queues);
  if (vdev.rfind("net_af_packet", 0) == 0 && !has_arg(vdev, "qpairs")) {
    out += ",qpairs=" + q;
  } else if (vdev.rfind("net_af_xdp", 0) == 0 && !has_arg(vdev, "queue_count")) {
    out += ",queue_count=" + q;
  }
  return out;
}

std::string exception_devargs(const config::ExceptionPortConfig& ex) {
  return "net_tap0,iface=" + ex.iface + ",mac=" + config::to_string(ex.mac);
}

}  // namespace edgesfu::dp
