// Config validation: the shipped configs are valid; every class of bad config is
// refused with the key path and a reason.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>

#include "config/config.hpp"

namespace edgesfu::config {
namespace {

// A minimal valid config; each bad case below changes one thing.
const char* const kBase = R"(
dataplane:
  worker_lcores: [1]
  wire:
    vdev: net_af_packet0,iface=veth0
  exception:
    iface: tap0
)";

TEST(ConfigTest, ShippedConfigsAreValid) {
  for (const char* f : {"/config/dev.yaml", "/config/examples/baremetal.yaml"}) {
    auto r = load_config_file(std::string(EDGESFU_SOURCE_DIR) + f);
    ASSERT_TRUE(r.ok()) << f << ": " << r.error().message;
  }
}

TEST(ConfigTest, DevYamlValues) {
  auto r = load_config_file(std::string(EDGESFU_SOURCE_DIR) + "/config/dev.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Config& c = r.value();
  EXPECT_EQ(c.dataplane.main_lcore, 0u);
  EXPECT_EQ(c.dataplane.worker_lcores, std::vector<unsigned>{1});
  EXPECT_EQ(c.dataplane.wire.vdev, "net_af_packet0,iface=esfu-dp0,framecnt=4096");
  EXPECT_EQ(c.dataplane.exception.netns, "esfu-app");
  EXPECT_EQ(to_string(c.dataplane.exception.mac), "02:00:c6:12:00:02");
  ASSERT_EQ(c.dataplane.exception.addresses.size(), 1u);
  const auto& a = c.dataplane.exception.addresses[0];
  EXPECT_EQ(a.family, AF_INET);
  EXPECT_EQ(a.prefix_len, 24);
  EXPECT_EQ(a.bytes[0], 198);
  EXPECT_EQ(a.bytes[3], 2);
  EXPECT_EQ(c.logging.stats_interval_s, 1u);
}

TEST(ConfigTest, DefaultsApplyToAbsentKeys) {
  auto r = parse_config(kBase);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->dataplane.burst, 32);
  EXPECT_EQ(r->dataplane.hugepages, HugepageMode::kAuto);
  EXPECT_EQ(r->dataplane.srtp_engine, "auto");
  EXPECT_EQ(r->dataplane.mempool.mbufs, 8191u);
  EXPECT_EQ(r->logging.level, LogLevel::kInfo);
  EXPECT_TRUE(r->dataplane.file_prefix.empty());
}

TEST(ConfigTest, ShortPciAddressIsNormalised) {
  auto r = parse_config("dataplane: {wire: {pci: '3b:00.1'}, exception: {iface: t0}}");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->dataplane.wire.pci, "0000:3b:00.1");
}

TEST(ConfigTest, Ipv6AddressParses) {
  auto r = parse_config(std::string(kBase) + "    addresses: ['2001:db8::10/64', '10.0.0.1/8']\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->dataplane.exception.addresses.size(), 2u);
  EXPECT_EQ(r->dataplane.exception.addresses[0].family, AF_INET6);
  EXPECT_EQ(r->dataplane.exception.addresses[0].prefix_len, 64);
}

TEST(ConfigTest, LoggingJsonAndComponentLevels) {
  auto r = parse_config(std::string(kBase) +
                        "logging:\n  level: warn\n  json: true\n"
                        "  component_levels: {session: debug, webhook: off}\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->logging.json);
  EXPECT_EQ(r->logging.level, LogLevel::kWarn);
  EXPECT_EQ(r->logging.component_levels[static_cast<std::size_t>(LogComponent::kSession)],
            LogLevel::kDebug);
  EXPECT_EQ(r->logging.component_levels[static_cast<std::size_t>(LogComponent::kWebhook)],
            LogLevel::kOff);
  EXPECT_FALSE(r->logging.component_levels[static_cast<std::size_t>(LogComponent::kDpdk)]);
  auto bad = parse_config(std::string(kBase) + "logging:\n  component_levels: {sessions: debug}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("logging.component_levels.sessions: is no component"),
            std::string::npos)
      << bad.error().message;
  EXPECT_EQ(bad.error().message.find("unknown key"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_config(std::string(kBase) + "logging:\n  json: maybe\n").ok());
}

TEST(ConfigTest, GatewaysParseOnePerFamilyOnLink) {
  auto r = parse_config(std::string(kBase) +
                        "    netns: edgesfu\n"
                        "    addresses: ['2001:db8::10/64', '203.0.113.10/24']\n"
                        "    gateways: [203.0.113.1, '2001:db8::1']\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& g = r->dataplane.exception.gateways;
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].family, AF_INET);
  EXPECT_EQ(g[0].text, "203.0.113.1");
  EXPECT_EQ(g[0].prefix_len, 32);
  EXPECT_EQ(g[1].family, AF_INET6);
  EXPECT_EQ(g[1].prefix_len, 128);
  EXPECT_TRUE(parse_config(kBase)->dataplane.exception.gateways.empty());
  // A link-local router (IPv6's usual) is on the TAP's link whatever its subnets.
  auto ll =
      parse_config(std::string(kBase) + "    netns: edgesfu\n    addresses: ['2001:db8::10/64']\n" +
                   "    gateways: ['fe80::1']\n");
  ASSERT_TRUE(ll.ok()) << ll.error().message;
}

struct BadCase {
  const char* name;
  std::string yaml;
  const char* expect;  // a substring of the error: the key path and the reason
};

// kBase with extra keys under dataplane (which must not be wire or exception)
// and extra top-level sections.
std::string with(const std::string& dataplane_extra, const std::string& top_extra = "") {
  return std::string(kBase) + dataplane_extra + top_extra;
}

// A config whose wire and exception sections are given whole.
std::string ports(const std::string& wire, const std::string& exception,
                  const std::string& dataplane_extra = "") {
  return "dataplane:\n  wire: " + wire + "\n  exception: " + exception + "\n" + dataplane_extra;
}

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadConfigTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfigTest, IsRefusedWithKeyPathAndReason) {
  const BadCase& c = GetParam();
  auto r = parse_config(c.yaml);
  ASSERT_FALSE(r.ok()) << c.name << " was accepted";
  EXPECT_NE(r.error().message.find(c.expect), std::string::npos)
      << c.name << ": error was\n"
      << r.error().message << "\nexpected to contain: " << c.expect;
}

const BadCase kBadCases[] = {
    // Syntax and shape.
    {"not_yaml", "dataplane: [unclosed", "not valid YAML"},
    {"top_not_mapping", "- a\n- b\n", "config: expected a mapping"},
    {"empty", "", "dataplane: required"},
    {"duplicate_key", with("  burst: 16\n  burst: 32\n"), "dataplane.burst: duplicate key"},
    // Unknown keys, at every level.
    {"unknown_top", with("", "bogus: 1\n"), "bogus: unknown key"},
    {"unknown_nested", with("  mempool: {mbufz: 100}\n"), "dataplane.mempool.mbufz: unknown key"},
    {"unknown_deep", with("", "logging: {levle: info}\n"), "logging.levle: unknown key"},
    // Wrong types.
    {"int_is_string", with("  burst: lots\n"), "dataplane.burst: expected a non-negative integer"},
    {"int_is_negative", with("  memory_mb: -5\n"), "dataplane.memory_mb: expected a non-negative"},
    {"int_is_list", with("  burst: [1, 2]\n"), "dataplane.burst: expected a single value"},
    {"list_is_scalar",
     "dataplane: {worker_lcores: 1, wire: {vdev: net_null0}, exception: {iface: t}}",
     "dataplane.worker_lcores: expected a list"},
    {"section_is_scalar", with("", "logging: loud\n"), "logging: expected a mapping"},
    {"enum_bad", with("  hugepages: maybe\n"),
     "dataplane.hugepages: 'maybe' is not one of: auto, on, off"},
    {"engine_bad", with("  srtp_engine: openssl\n"),
     "dataplane.srtp_engine: 'openssl' is not one of: auto, ipsec-mb, libsrtp2"},
    {"level_bad", with("", "logging: {level: chatty}\n"), "logging.level: 'chatty' is not one of"},
    {"no_value", with("  burst:\n"), "dataplane.burst: has no value"},
    // Out of range.
    {"burst_zero", with("  burst: 0\n"), "dataplane.burst: 0 is out of range [1, 512]"},
    {"burst_huge", with("  burst: 99999999999999999999999\n"),
     "dataplane.burst: '99999999999999999999999' is out of range"},
    {"memory_small", with("  memory_mb: 8\n"), "dataplane.memory_mb: 8 is out of range"},
    {"desc_small", ports("{vdev: net_null0, rx_desc: 16}", "{iface: t0}"),
     "dataplane.wire.rx_desc: 16 is out of range"},
    {"lcore_big", with("  main_lcore: 5000\n"), "dataplane.main_lcore: 5000 is out of range"},
    {"stats_interval", with("", "logging: {stats_interval: 99999}\n"),
     "logging.stats_interval: 99999 is out of range"},
    // Malformed values.
    {"mac_bad", ports("{vdev: net_null0}", "{iface: t0, mac: '02:00:00:00:00'}"),
     "dataplane.exception.mac: '02:00:00:00:00' is not a MAC"},
    {"mac_multicast", ports("{vdev: net_null0}", "{iface: t0, mac: '01:00:5e:00:00:01'}"),
     "must be a unicast"},
    {"cidr_no_prefix", ports("{vdev: net_null0}", "{iface: t0, addresses: ['198.18.0.2']}"),
     "dataplane.exception.addresses: '198.18.0.2' has no prefix length"},
    {"cidr_bad_addr", ports("{vdev: net_null0}", "{iface: t0, addresses: ['198.18.0.300/24']}"),
     "is not an IPv4 or IPv6 address"},
    {"cidr_bad_len", ports("{vdev: net_null0}", "{iface: t0, addresses: ['198.18.0.2/33']}"),
     "prefix length '33' is not in [1, 32]"},
    {"gateway_off_link",
     ports("{vdev: net_null0}",
           "{iface: t0, netns: n, addresses: ['198.18.0.2/24'], gateways: [198.19.0.1]}"),
     "dataplane.exception.gateways: '198.19.0.1' is in no subnet of addresses"},
    {"gateway_no_address",
     ports("{vdev: net_null0}", "{iface: t0, netns: n, gateways: ['2001:db8::1']}"),
     "'2001:db8::1' is in no subnet of addresses"},
    {"gateway_two_v4",
     ports(
         "{vdev: net_null0}",
         "{iface: t0, netns: n, addresses: ['198.18.0.2/24'], gateways: [198.18.0.1, 198.18.0.3]}"),
     "'198.18.0.3': one default route per address family"},
    {"gateway_bad",
     ports("{vdev: net_null0}",
           "{iface: t0, netns: n, addresses: ['198.18.0.2/24'], gateways: [gw]}"),
     "dataplane.exception.gateways: 'gw' is not an IP address"},
    {"gateway_no_netns",
     ports("{vdev: net_null0}",
           "{iface: t0, addresses: ['198.18.0.2/24'], gateways: [198.18.0.1]}"),
     "dataplane.exception.gateways: need netns"},
    {"gateway_own_address",
     ports("{vdev: net_null0}",
           "{iface: t0, netns: n, addresses: ['198.18.0.2/24'], gateways: [198.18.0.2]}"),
     "'198.18.0.2' is one of addresses"},
    {"ifname_long", ports("{vdev: net_null0}", "{iface: abcdefghijklmnopq}"),
     "dataplane.exception.iface: 'abcdefghijklmnopq' is not a Linux interface name"},
    {"netns_bad", ports("{vdev: net_null0}", "{iface: t0, netns: '../etc'}"),
     "dataplane.exception.netns: '../etc' is not a network namespace name"},
    {"prefix_bad", with("  file_prefix: 'a b'\n"), "dataplane.file_prefix: 'a b' must be"},
    {"pci_bad", "dataplane: {wire: {pci: 'eth0'}, exception: {iface: t0}}",
     "dataplane.wire.pci: 'eth0' is not a PCI address"},
    {"vdev_unknown_driver", "dataplane: {wire: {vdev: 'net_virtio_user0'}, exception: {iface: t0}}",
     "dataplane.wire.vdev: 'net_virtio_user0' is not a supported wire vdev"},
    {"vdev_no_instance", "dataplane: {wire: {vdev: 'net_null'}, exception: {iface: t0}}",
     "is not a supported wire vdev"},
    {"vdev_bad_arg", "dataplane: {wire: {vdev: 'net_af_packet0,iface'}, exception: {iface: t0}}",
     "device argument 'iface' is not key=value"},
    // Inconsistent combinations.
    {"main_in_workers", with("  main_lcore: 1\n"),
     "dataplane.worker_lcores: contains main_lcore 1"},
    {"workers_dup",
     "dataplane: {worker_lcores: [1, 1], wire: {vdev: net_null0}, exception: {iface: t0}}",
     "dataplane.worker_lcores: lists an lcore twice"},
    {"lcore_map_syntax", with("  lcore_map: '0@(0-1'\n"),
     "dataplane.lcore_map: '0@(0-1': expected ')' or ','"},
    {"lcore_map_twice", with("  lcore_map: '0,1@0,1@1'\n"),
     "dataplane.lcore_map: '0,1@0,1@1': lcore 1 twice"},
    {"lcore_map_no_worker", with("  lcore_map: '0@0,2@1'\n"),
     "dataplane.lcore_map: does not map worker lcore 1"},
    {"lcore_map_no_main", with("  lcore_map: '1@0'\n"),
     "dataplane.lcore_map: does not map main_lcore 0"},
    {"workers_empty",
     "dataplane: {worker_lcores: [], wire: {vdev: net_null0}, exception: {iface: t0}}",
     "dataplane.worker_lcores: needs at least one"},
    {"wire_both",
     "dataplane: {wire: {vdev: net_null0, pci: '0000:01:00.0'}, exception: {iface: t0}}",
     "dataplane.wire: set either pci or vdev, not both"},
    {"wire_neither", "dataplane: {wire: {rx_desc: 512}, exception: {iface: t0}}",
     "dataplane.wire: needs pci"},
    {"wire_absent", "dataplane: {exception: {iface: t0}}", "dataplane.wire: needs pci"},
    {"pci_without_hugepages",
     "dataplane: {hugepages: 'off', wire: {pci: '0000:01:00.0'}, exception: {iface: t0}}",
     "dataplane.hugepages: 'off' cannot drive a PCI NIC"},
    {"burst_over_desc", ports("{vdev: net_null0, rx_desc: 128}", "{iface: t0}", "  burst: 256\n"),
     "dataplane.burst: 256 exceeds a port's rx_desc"},
    {"mempool_too_small",
     with("  worker_lcores: [1, 2, 3]\n  mempool: {mbufs: 4095, cache: 256}\n"),
     "dataplane.mempool.mbufs: 4095 is fewer than"},
    {"cache_too_big", with("  mempool: {cache: 1024}\n"),
     "dataplane.mempool.cache: 1024 is out of range [0, 512]"},
    {"memory_below_pool", with("  memory_mb: 64\n  mempool: {mbufs: 65535}\n"),
     "dataplane.memory_mb: 64 MiB cannot hold the mempool"},
    {"secret_short", with("", "keys: {k1: short}\n"), "keys.k1: secret is too short"},
    {"port_range_inverted", with("", "rtc: {port_range_start: 6000, port_range_end: 5000}\n"),
     "rtc.port_range_end: is below port_range_start"},
    {"node_ip_bad", with("", "rtc: {node_ip: 'example.com'}\n"),
     "rtc.node_ip: 'example.com' is not an IP address"},
    {"port_zero", with("", "port: 0\n"), "port: 0 is out of range"},
    {"rtc_unknown", with("", "rtc: {udp_port: 7882}\n"), "rtc.udp_port: unknown key"},
    {"tap_is_wire_iface",
     "dataplane: {wire: {vdev: 'net_af_packet0,iface=eth1'}, exception: {iface: eth1}}",
     "dataplane.exception.iface: 'eth1' is also the wire port's interface"},
};

INSTANTIATE_TEST_SUITE_P(AllClasses, BadConfigTest, ::testing::ValuesIn(kBadCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(ConfigTest, ListItemOutOfRange) {
  auto r = parse_config(
      "dataplane: {worker_lcores: [1, x], wire: {vdev: net_null0}, "
      "exception: {iface: t0}}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("dataplane.worker_lcores: item 1 'x' is not an integer"),
            std::string::npos)
      << r.error().message;
}

TEST(ConfigTest, EveryProblemIsReportedWithItsLine) {
  auto r = parse_config(
      "logging:\n  level: loud\ndataplane:\n  burst: 0\n  wire: {vdev: net_null0}\n"
      "  exception: {iface: t0}\n  extra: 1\n");
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_NE(
      m.find("logging.level: 'loud' is not one of: trace, debug, info, warn, error, off (line 2)"),
      std::string::npos)
      << m;
  EXPECT_NE(m.find("dataplane.burst: 0 is out of range [1, 512] (line 4)"), std::string::npos) << m;
  EXPECT_NE(m.find("dataplane.extra: unknown key (line 7)"), std::string::npos) << m;
}

TEST(ConfigTest, MissingFileIsAnError) {
  auto r = load_config_file("/nonexistent/edgesfu.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace edgesfu::config

namespace edgesfu::config {
namespace {
TEST(ConfigTest, LcoreMapPutsLcoresOnSharedCpus) {
  auto r = parse_config(
      "dataplane: {lcore_map: '0@(0-1),1@0,2@1', worker_lcores: [1, 2], mempool: {mbufs: 16383}, "
      "wire: {vdev: net_null0}, "
      "exception: {iface: t0}}");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().dataplane.lcore_map, "0@(0-1),1@0,2@1");
  EXPECT_EQ(r.value().dataplane.worker_lcores, (std::vector<unsigned>{1, 2}));
}

TEST(ConfigTest, FastpathSection) {
  auto r = parse_config(std::string(kBase) +
                        "  fastpath: {max_downtracks: 100, rtx_depth: 64, punt_rate: 0}\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->dataplane.fastpath.max_downtracks, 100u);
  EXPECT_EQ(r->dataplane.fastpath.rtx_depth, 64u);
  EXPECT_EQ(r->dataplane.fastpath.punt_rate, 0u);
  EXPECT_EQ(r->dataplane.fastpath.max_participants, 256u);  // default kept
  auto bad = parse_config(std::string(kBase) + "  fastpath: {rtx_depth: 8, nacks: 1}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("dataplane.fastpath.rtx_depth: 8 is out of range"),
            std::string::npos);
  EXPECT_NE(bad.error().message.find("dataplane.fastpath.nacks: unknown key"), std::string::npos);
}
}  // namespace
}  // namespace edgesfu::config
