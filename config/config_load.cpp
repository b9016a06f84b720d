// YAML -> Config: the schema (which keys exist, their types and ranges) and the
// cross-key consistency rules. Nothing here touches DPDK or the network.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "config/lcore_map.hpp"
#include "config/yaml_reader.hpp"

namespace edgesfu::config {
namespace {

constexpr uint64_t kMaxLcore = 1023;
constexpr uint32_t kMbufHeadroom = 128;     // RTE_PKTMBUF_HEADROOM in Debian's DPDK
constexpr uint32_t kMempoolCacheMax = 512;  // RTE_MEMPOOL_CACHE_MAX_SIZE

}  // namespace

bool parse_mac(const std::string& s, MacAddress& mac) {
  unsigned v[6];
  char tail = 0;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &tail) != 6 ||
      s.size() != 17) {
    return false;
  }
  for (int i = 0; i < 6; ++i) mac[static_cast<std::size_t>(i)] = static_cast<uint8_t>(v[i]);
  return true;
}

bool parse_cidr(const std::string& s, InterfaceAddress& out, std::string& why) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) {
    why = "'" + s + "' has no prefix length (write it as address/len)";
    return false;
  }
  const std::string addr = s.substr(0, slash);
  const std::string len = s.substr(slash + 1);
  InterfaceAddress a;
  a.text = s;
  if (inet_pton(AF_INET, addr.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
  } else if (inet_pton(AF_INET6, addr.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
  } else {
    why = "'" + addr + "' is not an IPv4 or IPv6 address";
    return false;
  }
  unsigned plen = 0;
  const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), plen);
  const unsigned max = a.family == AF_INET ? 32 : 128;
  if (ec != std::errc() || end != len.data() + len.size() || len.empty() || plen > max ||
      plen == 0) {
    why = "prefix length '" + len + "' is not in [1, " + std::to_string(max) + "]";
    return false;
  }
  a.prefix_len = static_cast<uint8_t>(plen);
  out = a;
  return true;
}
namespace {

// Whether `host` lies in the subnet of the interface address `a`.
bool on_link(const InterfaceAddress& a, const InterfaceAddress& host) {
  if (a.family != host.family) return false;
  for (unsigned bit = 0; bit < a.prefix_len; ++bit) {
    const unsigned byte = bit / 8, mask = 0x80u >> (bit % 8);
    if ((a.bytes[byte] & mask) != (host.bytes[byte] & mask)) return false;
  }
  return true;
}

bool valid_pci(const std::string& s) {
  // DDDD:BB:DD.F or BB:DD.F (hex), as DPDK's allow-list takes it.
  unsigned d = 0, b = 0, dev = 0, f = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%4x:%2x:%2x.%1x%c", &d, &b, &dev, &f, &tail) == 4 && s.size() == 12) {
    return dev < 32 && f < 8;
  }
  if (std::sscanf(s.c_str(), "%2x:%2x.%1x%c", &b, &dev, &f, &tail) == 3 && s.size() == 7) {
    return dev < 32 && f < 8;
  }
  return false;
}

bool valid_ifname(const std::string& s) {
  // Linux IFNAMSIZ is 16 including the terminator; '/', ':' and spaces are refused.
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isgraph(static_cast<unsigned char>(c)) && c != '/' && c != ':';
  });
}

bool valid_token(const std::string& s, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                              c == '.';
                     }) &&
         s != "." && s != "..";
}

// The vdev drivers a wire port may use on this appliance.
const std::vector<std::string> kWireDrivers = {"net_af_packet", "net_af_xdp", "net_pcap",
                                               "net_ring",      "net_null",   "net_memif"};

// "net_af_packet0,iface=eth1,x=y": driver + instance digits, then key=value args.
bool check_vdev(const std::string& s, std::string& why) {
  const std::string name = s.substr(0, s.find(','));
  const auto drv = std::find_if(kWireDrivers.begin(), kWireDrivers.end(), [&](const auto& d) {
    return name.size() > d.size() && name.compare(0, d.size(), d) == 0 &&
           std::all_of(name.begin() + static_cast<long>(d.size()), name.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  });
  if (drv == kWireDrivers.end()) {
    why = "'" + name + "' is not a supported wire vdev; use one of ";
    for (const auto& d : kWireDrivers) why += d + "N ";
    return false;
  }
  std::stringstream args(s.size() > name.size() ? s.substr(name.size() + 1) : "");
  std::string kv;
  while (std::getline(args, kv, ',')) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size()) {
      why = "device argument '" + kv + "' is not key=value";
      return false;
    }
  }
  return true;
}

void read_logging(YamlReader r, LoggingConfig& c) {
  static const std::vector<std::string_view> kLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};
  const int lvl = r.read_choice("level", kLevels);
  if (lvl >= 0) c.level = static_cast<LogLevel>(lvl);
  const std::vector<std::string> comps = r.keys_of("component_levels");
  YamlReader cl = r.child("component_levels");
  for (const std::string& name : comps) {
    std::size_t i = 0;
    while (i < kLogComponentCount && name != to_string(static_cast<LogComponent>(i))) ++i;
    if (i == kLogComponentCount) {
      std::string known;
      for (std::size_t k = 0; k < kLogComponentCount; ++k) {
        known += std::string(k ? ", " : "") + to_string(static_cast<LogComponent>(k));
      }
      cl.fail(name.c_str(), "is no component (" + known + ")");
      std::string seen;  // read, so that finish() does not report it again
      cl.read_string(name.c_str(), seen);
      continue;
    }
    const int l = cl.read_choice(name.c_str(), kLevels);
    if (l >= 0) c.component_levels[i] = static_cast<LogLevel>(l);
  }
  cl.finish();
  const int json = r.read_choice("json", {"false", "true"});
  if (json >= 0) c.json = json == 1;
  r.read_uint_as("stats_interval", 0, 3600, c.stats_interval_s);
  r.finish();
}

void read_wire(YamlReader r, WirePortConfig& c) {
  r.read_string("pci", c.pci);
  r.read_string("vdev", c.vdev);
  r.read_uint_as("rx_desc", 64, 16384, c.rx_desc);
  r.read_uint_as("tx_desc", 64, 16384, c.tx_desc);
  if (!c.pci.empty() && !c.vdev.empty()) {
    r.fail(nullptr, "set either pci or vdev, not both");
  } else if (c.pci.empty() && c.vdev.empty()) {
    r.fail(nullptr, "needs pci (a NIC address) or vdev (e.g. net_af_packet0,iface=eth1)");
  }
  if (!c.pci.empty() && !valid_pci(c.pci)) {
    r.fail("pci", "'" + c.pci + "' is not a PCI address like 0000:3b:00.0");
  } else if (c.pci.size() == 7) {
    c.pci = "0000:" + c.pci;  // DPDK names the ethdev by the full address
  }
  std::string why;
  if (!c.vdev.empty() && !check_vdev(c.vdev, why)) r.fail("vdev", why);
  r.finish();
}

void read_exception(YamlReader r, ExceptionPortConfig& c) {
  r.read_string("iface", c.iface);
  if (r.has("iface") && !valid_ifname(c.iface)) {
    r.fail("iface", "'" + c.iface +
                        "' is not a Linux interface name (1-15 characters, "
                        "no '/', ':' or spaces)");
  }
  std::string mac;
  r.read_string("mac", mac);
  if (!mac.empty()) {
    MacAddress m{};
    if (!parse_mac(mac, m)) {
      r.fail("mac", "'" + mac + "' is not a MAC address like 02:00:c6:12:00:02");
    } else if ((m[0] & 0x01) != 0 || m == MacAddress{}) {
      r.fail("mac", "'" + mac + "' must be a unicast, non-zero address");
    } else {
      c.mac = m;
    }
  }
  r.read_string("netns", c.netns);
  if (r.has("netns") && !valid_token(c.netns, 64)) {
    r.fail("netns", "'" + c.netns +
                        "' is not a network namespace name (letters, digits, "
                        "'-', '_', '.'; at most 64)");
  }
  std::vector<std::string> addrs;
  r.read_string_list("addresses", addrs);
  for (const auto& a : addrs) {
    InterfaceAddress ia;
    std::string why;
    if (!parse_cidr(a, ia, why)) {
      r.fail("addresses", why);
    } else {
      c.addresses.push_back(ia);
    }
  }
  std::vector<std::string> gws;
  r.read_string_list("gateways", gws);
  for (const auto& g : gws) {
    InterfaceAddress ia;
    std::string why;
    if (!parse_cidr(g + (g.find(':') == std::string::npos ? "/32" : "/128"), ia, why)) {
      r.fail("gateways", "'" + g + "' is not an IP address");
      continue;
    }
    ia.text = g;
    const bool link_local =
        ia.family == AF_INET6 && ia.bytes[0] == 0xfe && (ia.bytes[1] & 0xc0) == 0x80;
    if (c.netns.empty()) {
      r.fail("gateways",
             "need netns: a default route in edgesfu's own namespace would take the "
             "host's traffic too");
    } else if (std::any_of(c.gateways.begin(), c.gateways.end(),
                           [&](const InterfaceAddress& o) { return o.family == ia.family; })) {
      r.fail("gateways", "'" + g + "': one default route per address family");
    } else if (std::any_of(c.addresses.begin(), c.addresses.end(), [&](const InterfaceAddress& a) {
                 return a.family == ia.family && a.bytes == ia.bytes;
               })) {
      r.fail("gateways", "'" + g + "' is one of addresses (the router is another host)");
    } else if (!link_local &&
               std::none_of(c.addresses.begin(), c.addresses.end(),
                            [&](const InterfaceAddress& a) { return on_link(a, ia); })) {
      r.fail("gateways", "'" + g + "' is in no subnet of addresses (the TAP could not reach it)");
    } else {
      c.gateways.push_back(ia);
    }
  }
  r.read_uint_as("rx_desc", 64, 16384, c.rx_desc);
  r.read_uint_as("tx_desc", 64, 16384, c.tx_desc);
  r.finish();
}

void read_mempool(YamlReader r, MempoolConfig& c) {
  r.read_uint_as("mbufs", 1023, 16u * 1024 * 1024, c.mbufs);
  r.read_uint_as("cache", 0, kMempoolCacheMax, c.cache);
  r.read_uint_as("data_room", 1024, 65535, c.data_room);
  // DPDK refuses a cache larger than mbufs / 1.5; the ranges above (cache at most
  // 512, mbufs at least 1023) already rule that out.
  r.finish();
}

void read_fastpath(YamlReader r, FastpathConfig& c) {
  r.read_uint_as("max_participants", 1, 65535, c.max_participants);
  r.read_uint_as("max_tracks", 1, 65535, c.max_tracks);
  r.read_uint_as("max_downtracks", 1, 1u << 20, c.max_downtracks);
  r.read_uint_as("flow_capacity", 8, 1u << 24, c.flow_capacity);
  r.read_uint_as("rtx_depth", 16, 32768, c.rtx_depth);
  r.read_uint_as("pli_throttle_ms", 0, 60000, c.pli_throttle_ms);
  r.read_uint_as("report_interval_ms", 100, 60000, c.report_interval_ms);
  r.read_uint_as("idle_timeout_ms", 0, 600000, c.idle_timeout_ms);
  r.read_uint_as("punt_rate", 0, 100000000, c.punt_rate);
  r.read_uint_as("punt_burst", 1, 100000000, c.punt_burst);
  r.read_uint_as("punt_syn_rate", 1, 100000000, c.punt_syn_rate);
  r.read_uint_as("punt_syn_burst", 1, 100000000, c.punt_syn_burst);
  r.read_uint_as("punt_budget", 0, 100000000, c.punt_budget);
  r.read_uint_as("punt_budget_burst", 8, 100000000, c.punt_budget_burst);
  r.read_uint_as("punt_flow_rate", 0, 100000000, c.punt_flow_rate);
  r.read_uint_as("punt_flow_budget", 0, 100000000, c.punt_flow_budget);
  r.finish();
}

}  // namespace

// Every descriptor of every queue may hold an mbuf, every lcore cache may hold
// `cache` of them and each worker has a burst in flight.
uint64_t mbufs_in_flight(const DataplaneConfig& c) {
  const uint64_t workers = std::max<std::size_t>(c.worker_lcores.size(), 1);
  const uint64_t per_queue =
      uint64_t{c.wire.rx_desc} + c.wire.tx_desc + c.exception.rx_desc + c.exception.tx_desc;
  return workers * (per_queue + c.mempool.cache + 2u * c.burst) + c.mempool.cache;
}

namespace {

void read_dataplane(YamlReader r, DataplaneConfig& c) {
  r.read_uint_as("main_lcore", 0, kMaxLcore, c.main_lcore);
  r.read_uint_list("worker_lcores", 0, kMaxLcore, c.worker_lcores);
  r.read_string("lcore_map", c.lcore_map);
  r.read_string("file_prefix", c.file_prefix);
  if (r.has("file_prefix") && !valid_token(c.file_prefix, 32)) {
    r.fail("file_prefix", "'" + c.file_prefix +
                              "' must be 1-32 letters, digits, '-', '_'"
                              " or '.'");
  }
  const int hp = r.read_choice("hugepages", {"auto", "on", "off"});
  if (hp >= 0) c.hugepages = static_cast<HugepageMode>(hp);
  r.read_uint_as("memory_mb", 16, 1024 * 1024, c.memory_mb);
  r.read_uint_as("burst", 1, 512, c.burst);
  r.read_uint_as("idle_sleep_us", 0, 10000, c.idle_sleep_us);
  const char* const engines[] = {"auto", "ipsec-mb", "libsrtp2"};
  const int se = r.read_choice("srtp_engine", {engines[0], engines[1], engines[2]});
  if (se >= 0) c.srtp_engine = engines[se];
  read_mempool(r.child("mempool"), c.mempool);
  read_wire(r.child("wire"), c.wire);
  read_exception(r.child("exception"), c.exception);
  read_fastpath(r.child("fastpath"), c.fastpath);

  // Consistency between keys.
  if (c.worker_lcores.empty()) r.fail("worker_lcores", "needs at least one worker lcore");
  if (c.worker_lcores.size() > 64) r.fail("worker_lcores", "at most 64 worker lcores");
  std::set<unsigned> uniq(c.worker_lcores.begin(), c.worker_lcores.end());
  if (uniq.size() != c.worker_lcores.size()) r.fail("worker_lcores", "lists an lcore twice");
  if (uniq.count(c.main_lcore) != 0) {
    r.fail("worker_lcores", "contains main_lcore " + std::to_string(c.main_lcore) +
                                "; the main lcore runs the slow path");
  }
  if (r.has("lcore_map")) {
    LcoreMap map;
    std::string why;
    if (!parse_lcore_map(c.lcore_map, kMaxLcore, map, why)) {
      r.fail("lcore_map",
             "'" + c.lcore_map + "': " + why + " (EAL --lcores syntax, e.g. 0@(0-1),1@0)");
    } else {
      if (map.lcores.count(c.main_lcore) == 0)
        r.fail("lcore_map", "does not map main_lcore " + std::to_string(c.main_lcore));
      for (const unsigned l : c.worker_lcores) {
        if (map.lcores.count(l) == 0)
          r.fail("lcore_map", "does not map worker lcore " + std::to_string(l));
      }
    }
  }
  if (!c.wire.pci.empty() && c.hugepages == HugepageMode::kOff) {
    r.fail("hugepages",
           "'off' cannot drive a PCI NIC (DMA needs pinned hugepage memory); "
           "use on or auto, or a vdev wire port");
  }
  if (c.burst > c.wire.rx_desc || c.burst > c.exception.rx_desc) {
    r.fail("burst", std::to_string(c.burst) + " exceeds a port's rx_desc");
  }
  if (c.mempool.data_room < kMbufHeadroom + 1024) {
    r.fail("mempool.data_room", "leaves less than 1024 bytes after the 128-byte headroom");
  }
  const uint64_t need = mbufs_in_flight(c);
  if (c.mempool.mbufs < need) {
    r.fail("mempool.mbufs", std::to_string(c.mempool.mbufs) + " is fewer than the " +
                                std::to_string(need) + " that the ports' descriptors, the " +
                                "lcore caches and the bursts can hold at once");
  }
  // mbufs of the pool alone, in MiB, rounded up, against the EAL's memory.
  const uint64_t pool_mb =
      (uint64_t{c.mempool.mbufs} * (c.mempool.data_room + 256) + (1u << 20) - 1) >> 20;
  if (pool_mb + 32 > c.memory_mb) {
    r.fail("memory_mb", std::to_string(c.memory_mb) + " MiB cannot hold the mempool (" +
                            std::to_string(pool_mb) + " MiB) plus 32 MiB for the EAL");
  }
  if (!c.wire.vdev.empty()) {
    const std::string needle = "iface=" + c.exception.iface;
    const auto pos = c.wire.vdev.find(needle);
    if (pos != std::string::npos &&
        (pos + needle.size() == c.wire.vdev.size() || c.wire.vdev[pos + needle.size()] == ',')) {
      r.fail("exception.iface", "'" + c.exception.iface + "' is also the wire port's interface");
    }
  }
  r.finish();
}

// keys: {api_key: secret}. LiveKit refuses secrets under 32 characters; so do we.
void read_keys(YamlReader& top, std::map<std::string, std::string>& out) {
  const std::vector<std::string> names = top.keys_of("keys");
  YamlReader r = top.child("keys");
  for (const std::string& k : names) {
    std::string secret;
    r.read_string(k.c_str(), secret);
    if (secret.size() < 32) {
      r.fail(k.c_str(), "secret is too short: at least 32 characters");
    } else {
      out[k] = secret;
    }
  }
  r.finish();
}

// webhook: {api_key, urls, request_timeout_ms}; the key must be one of
// `keys` (its secret signs the events), each URL http:// or https://.
void read_webhook(YamlReader r, const std::map<std::string, std::string>& keys,
                  WebhookConfig& out) {
  r.read_string("api_key", out.api_key);
  r.read_string_list("urls", out.urls);
  r.read_uint_as("request_timeout_ms", 100, 60000, out.request_timeout_ms);
  for (const std::string& u : out.urls) {
    const auto scheme = u.find("://");
    const std::string name = scheme == std::string::npos ? "" : u.substr(0, scheme);
    const bool hostless = scheme == std::string::npos || scheme + 3 >= u.size() ||
                          u[scheme + 3] == '/' || u[scheme + 3] == ':';
    if ((name != "http" && name != "https") || hostless ||
        u.find_first_of(" \t\r\n") != std::string::npos) {
      r.fail("urls", "'" + u + "' is not an http:// or https:// URL");
    }
  }
  if (!out.urls.empty() && out.api_key.empty()) {
    r.fail("api_key", "required when urls are set (its secret signs the events)");
  } else if (!out.api_key.empty() && keys.count(out.api_key) == 0) {
    r.fail("api_key", "'" + out.api_key + "' is not one of keys");
  }
  r.finish();
}

}  // namespace

Result<Config> parse_config(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports syntax errors by exception; this is the module boundary.
    return make_error("config: not valid YAML: " + std::string(e.what()));
  }
  std::vector<std::string> errors;
  Config cfg;
  YamlReader top(root, "", &errors);
  read_logging(top.child("logging"), cfg.logging);
  top.read_uint_as("port", 1, 65535, cfg.port);
  top.read_uint_as("prometheus_port", 0, 65535, cfg.prometheus_port);
  if (cfg.prometheus_port != 0 && cfg.prometheus_port == cfg.port) {
    top.fail("prometheus_port", "is the signalling port");
  }
  {
    YamlReader r = top.child("rtc");
    r.read_uint_as("port_range_start", 1024, 65535, cfg.rtc.port_range_start);
    r.read_uint_as("port_range_end", 1024, 65535, cfg.rtc.port_range_end);
    r.read_string("node_ip", cfg.rtc.node_ip);
    if (cfg.rtc.port_range_start > cfg.rtc.port_range_end) {
      r.fail("port_range_end", "is below port_range_start");
    }
    InterfaceAddress ia;
    std::string why;
    if (!cfg.rtc.node_ip.empty() &&
        !parse_cidr(
            cfg.rtc.node_ip + (cfg.rtc.node_ip.find(':') == std::string::npos ? "/32" : "/128"), ia,
            why)) {
      r.fail("node_ip", "'" + cfg.rtc.node_ip + "' is not an IP address");
    }
    r.finish();
  }
  {
    YamlReader r = top.child("room");
    r.read_uint_as("empty_timeout", 0, 86400 * 7, cfg.room.empty_timeout_s);
    r.read_uint_as("departure_timeout", 0, 86400 * 7, cfg.room.departure_timeout_s);
    r.read_uint_as("max_participants", 0, 1000000, cfg.room.max_participants);
    r.finish();
  }
  {
    YamlReader r = top.child("audio");
    r.read_uint_as("active_level", 0, 127, cfg.audio.active_level);
    r.read_uint_as("min_percentile", 0, 100, cfg.audio.min_percentile);
    r.read_uint_as("update_interval", 100, 10000, cfg.audio.update_interval_ms);
    r.read_uint_as("smooth_intervals", 0, 100, cfg.audio.smooth_intervals);
    r.finish();
  }
  {
    YamlReader r = top.child("data");
    r.read_uint_as("send_buffer_kb", 64, 65536, cfg.data.send_buffer_kb);
    r.read_uint_as("max_messages_per_second", 1, 1000000, cfg.data.max_messages_per_s);
    r.read_uint_as("max_kbytes_per_second", 64, 1000000, cfg.data.max_kbytes_per_s);
    r.finish();
  }
  {
    YamlReader r = top.child("limit");
    LimitConfig& l = cfg.limit;
    r.read_uint_as("max_pending_sessions", 1, 1000000, l.max_pending_sessions);
    r.read_uint_as("max_pending_per_identity", 1, 1000000, l.max_pending_per_identity);
    r.read_uint_as("first_check_timeout_ms", 1000, 30000, l.first_check_timeout_ms);
    r.read_uint_as("http_request_timeout_ms", 1000, 600000, l.http_request_timeout_ms);
    r.read_uint_as("http_connections_per_source", 1, 1000000, l.http_connections_per_source);
    r.read_uint_as("http_listen_backlog", 16, 65535, l.http_listen_backlog);
    r.read_uint_as("http_max_body_kb", 64, 65536, l.http_max_body_kb);
    r.finish();
  }
  read_keys(top, cfg.keys);
  read_webhook(top.child("webhook"), cfg.keys, cfg.webhook);
  if (top.has("dataplane")) {
    read_dataplane(top.child("dataplane"), cfg.dataplane);
  } else {
    errors.push_back("dataplane: required (lcores, wire and exception ports)");
  }
  top.finish();
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return make_error(msg);
  }
  return cfg;
}

Result<Config> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(path + ": read error");
  auto r = parse_config(text.str());
  if (!r) return make_error(path + ":\n" + r.error().message);
  return r;
}

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return "trace";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: return "off";
  }
  return "?";
}

const char* to_string(HugepageMode mode) {
  switch (mode) {
    case HugepageMode::kAuto: return "auto";
    case HugepageMode::kOn: return "on";
    case HugepageMode::kOff: return "off";
  }
  return "?";
}

std::string to_string(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

}  // namespace edgesfu::config
