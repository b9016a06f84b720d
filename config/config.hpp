// The typed configuration of the appliance: what config/*.yaml turns into.
// Every key is documented in config/README.md; defaults live here.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "base/result.hpp"

namespace edgesfu::config {

using LogLevel = edgesfu::LogLevel;  // logging.level

// Whether the EAL backs memory with hugepages. kAuto uses them when hugetlbfs is
// mounted and enough pages are free, else falls back to --no-huge (and says so).
enum class HugepageMode { kAuto, kOn, kOff };

using MacAddress = std::array<uint8_t, 6>;

struct LoggingConfig {
  LogLevel level = LogLevel::kInfo;
  // logging.component_levels: a level of its own for a component.
  std::array<std::optional<LogLevel>, kLogComponentCount> component_levels{};
  bool json = false;              // one JSON object per line
  uint32_t stats_interval_s = 0;  // 0: no periodic stats line
};

struct MempoolConfig {
  uint32_t mbufs = 8191;      // per NUMA socket in use
  uint32_t cache = 256;       // per-lcore mempool cache
  uint32_t data_room = 2176;  // bytes per mbuf, headroom included
};

// The port that faces clients: a PCI NIC, or a DPDK virtual device.
struct WirePortConfig {
  std::string pci;   // "0000:3b:00.0"; exclusive with vdev
  std::string vdev;  // "net_af_packet0,iface=eth1"; exclusive with pci
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
};

// An IP address with prefix length, as written in the config ("198.18.0.2/24").
struct InterfaceAddress {
  int family = 0;                   // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network order; first 4 for IPv4
  uint8_t prefix_len = 0;
  std::string text;  // as written
};

// The exception path: a kernel TAP interface created by the dataplane that holds
// the appliance's IP addresses (DESIGN.md §1).
struct ExceptionPortConfig {
  std::string iface = "edgesfu0";
  MacAddress mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  std::string netns;                        // empty: the process's own namespace
  std::vector<InterfaceAddress> addresses;  // assigned to the TAP at start
  // Next hops of the default routes through the TAP (at most one per family,
  // each inside a subnet of `addresses`); prefix_len is 32 or 128.
  std::vector<InterfaceAddress> gateways;
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
};

// The media fast path's fixed capacities (per worker lcore) and behaviour.
struct FastpathConfig {
  uint32_t max_participants = 256;  // per worker
  uint32_t max_tracks = 512;        // per worker
  uint32_t max_downtracks = 4096;   // per worker
  uint32_t flow_capacity = 4096;    // flow table entries (all workers)
  uint32_t rtx_depth = 512;         // packets kept per track for NACKs
  uint32_t pli_throttle_ms = 500;
  uint32_t report_interval_ms = 1000;
  uint32_t idle_timeout_ms =
      30000;  // consent: a silent participant is removed after this; 0: never
  // Packets/s each source (address, port and priority) may send to the
  // exception path; 0: no per-source limit.
  uint32_t punt_rate = 10000;
  uint32_t punt_burst = 1000;
  uint32_t punt_syn_rate = 20;  // SYNs/s to the signalling port per source address
  uint32_t punt_syn_burst = 40;
  uint32_t punt_budget = 20000;  // packets/s to the exception path per worker; 0: unlimited
  uint32_t punt_budget_burst = 2000;
  // DTLS of live participants (data channels), apart from the above:
  // packets/s per flow and per worker; 0: no limit.
  uint32_t punt_flow_rate = 20000;
  uint32_t punt_flow_budget = 50000;
};

struct DataplaneConfig {
  unsigned main_lcore = 0;  // runs the slow path
  std::vector<unsigned> worker_lcores{1};
  // EAL --lcores syntax ("0@(0-1),1@0,2@1"): lcore ids onto CPU sets, so that
  // lcores can share CPUs; main_lcore and worker_lcores are then lcore ids.
  // Empty: they are CPUs, one lcore each (EAL -l).
  std::string lcore_map;
  std::string file_prefix;  // empty: "edgesfu-<pid>"
  HugepageMode hugepages = HugepageMode::kAuto;
  uint32_t memory_mb = 256;
  uint16_t burst = 32;
  // A worker that found nothing to do for 64 loops in a row sleeps this long
  // before polling again; 0: it polls without pause (the appliance's mode).
  uint32_t idle_sleep_us = 0;
  std::string srtp_engine = "auto";  // auto, ipsec-mb, libsrtp2
  MempoolConfig mempool;
  WirePortConfig wire;
  ExceptionPortConfig exception;
  FastpathConfig fastpath;
};

// WebRTC transport (LiveKit's names): the UDP ports ICE binds on the
// appliance address, and the address written into candidates.
struct RtcConfig {
  uint16_t port_range_start = 50000;
  uint16_t port_range_end = 60000;
  std::string node_ip;  // empty: the exception port's first address
};

struct RoomConfig {
  uint32_t empty_timeout_s = 300;     // a room nobody joined closes after this
  uint32_t departure_timeout_s = 20;  // a room closes this long after its last participant left
  uint32_t max_participants = 0;      // a join past this is refused (503); 0: no limit
};

// Active speakers, LiveKit's `audio` keys.
struct AudioConfig {
  uint32_t active_level = 35;    // RFC 6464 level (0 loudest .. 127 silent) that counts as speech
  uint32_t min_percentile = 40;  // % of an interval at active_level to count
  uint32_t update_interval_ms = 400;  // speaker updates (and level windows)
  uint32_t smooth_intervals = 2;      // intervals the level is smoothed over
};

// Data channels (LiveKit's data packets, relayed by the slow path).
struct DataConfig {
  uint32_t send_buffer_kb = 1024;      // queued toward one receiver before its sends are refused
  uint32_t max_messages_per_s = 2000;  // relayed from one sender; past it: dropped, counted
  uint32_t max_kbytes_per_s = 8192;    // the same in bytes
};

// LiveKit's webhooks: every room's life POSTed to each URL, signed with the
// secret of `api_key` (one of `keys`).
struct WebhookConfig {
  std::string api_key;
  std::vector<std::string> urls;
  uint32_t request_timeout_ms = 5000;  // one POST, connect to answer
};

// Limits that keep one client (or many) from taking what others need
// (docs/security.md).
struct LimitConfig {
  uint32_t max_pending_sessions = 256;       // answered, not connected yet, in all
  uint32_t max_pending_per_identity = 4;     // of one identity
  uint32_t first_check_timeout_ms = 10000;   // answer -> first valid ICE check
  uint32_t http_request_timeout_ms = 10000;  // accept -> request read
  uint32_t http_connections_per_source = 64;
  uint32_t http_listen_backlog = 1024;
  uint32_t http_max_body_kb = 128;
};

struct Config {
  uint16_t port = 7880;          // HTTP signalling (WHIP/WHEP) on the appliance address
  uint16_t prometheus_port = 0;  // /metrics for Prometheus; 0: off (LiveKit's key)
  RtcConfig rtc;
  std::map<std::string, std::string> keys;  // API key -> secret (JWT HS256)
  RoomConfig room;
  AudioConfig audio;
  DataConfig data;
  WebhookConfig webhook;
  LimitConfig limit;
  LoggingConfig logging;
  DataplaneConfig dataplane;
};

// Parses and validates YAML text. Unknown keys, wrong types, out-of-range values
// and inconsistent combinations are errors; the message lists each problem on its
// own line as "key.path: reason".
Result<Config> parse_config(const std::string& yaml_text);

// Reads a file and parses it as above; a missing or unreadable file is an error.
Result<Config> load_config_file(const std::string& path);

// The mbufs the ports' descriptors, the lcore caches and the workers' bursts
// can hold at once: mempool.mbufs must be at least this; what is above it is
// what the workers' retransmission rings may keep.
uint64_t mbufs_in_flight(const DataplaneConfig& dp);

// "info", "02:00:00:00:00:01", ...: the config's spelling of a value.
const char* to_string(LogLevel level);
const char* to_string(HugepageMode mode);
std::string to_string(const MacAddress& mac);

// The config's parsers of a MAC ("02:00:00:00:00:01") and an address with
// its prefix length ("198.18.0.2/24"), for tools that take the same values.
bool parse_mac(const std::string& s, MacAddress& mac);
bool parse_cidr(const std::string& s, InterfaceAddress& out, std::string& why);

}  // namespace edgesfu::config
