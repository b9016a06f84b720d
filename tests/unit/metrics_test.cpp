// Prometheus' text format as edgesfu writes it (exposition.hpp), and the
// appliance's metrics from made-up counters (appliance_metrics.hpp): every
// line is a comment or a well-formed sample of a family declared once, the
// values are where they belong, histograms are cumulative.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "slowpath/appliance/appliance_metrics.hpp"
#include "slowpath/metrics/exposition.hpp"

namespace edgesfu::sp {
namespace {

using metrics::Exposition;
using metrics::Histogram;

// name{labels} -> value of every sample; fails the test on a malformed line,
// a family declared twice, or a sample of an undeclared family.
std::map<std::string, std::string> parse(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? ([-+0-9.eE]+|NaN|\+Inf|-Inf))");
  std::map<std::string, std::string> out;
  std::set<std::string> declared;
  std::string current;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      EXPECT_TRUE(declared.insert(m[1]).second) << "declared twice: " << line;
      current = m[1];
    } else if (std::regex_match(line, m, type)) {
      EXPECT_EQ(m[1], current) << line;
    } else if (std::regex_match(line, m, sample)) {
      const std::string name = m[1];
      EXPECT_TRUE(name == current || name == current + "_bucket" || name == current + "_sum" ||
                  name == current + "_count")
          << "sample outside its family: " << line;
      out[line.substr(0, line.rfind(' '))] = line.substr(line.rfind(' ') + 1);
    } else {
      ADD_FAILURE() << "malformed: " << line;
    }
  }
  return out;
}

TEST(Metrics, ExpositionGroupsFamiliesAndEscapes) {
  Exposition e;
  e.counter("x_total", "X", uint64_t{1}, {{"a", "1"}});
  e.gauge("y", "Y with \\ and\nnewline", 2.5);
  e.counter("x_total", "X", uint64_t{18446744073709551615u}, {{"a", "q\"\\\n"}});
  const std::string t = e.text();
  auto s = parse(t);
  EXPECT_EQ(s["x_total{a=\"1\"}"], "1");
  EXPECT_EQ(s["x_total{a=\"q\\\"\\\\\\n\"}"], "18446744073709551615");  // exact, not a double
  EXPECT_EQ(s["y"], "2.5");
  EXPECT_NE(t.find("# HELP y Y with \\\\ and\\nnewline\n"), std::string::npos);
  EXPECT_LT(t.find("x_total{a=\"q"), t.find("# HELP y"));  // x's samples together
  EXPECT_EQ(metrics::format_value(0.1), "0.1");
  EXPECT_EQ(metrics::format_value(1.0 / 0.0), "+Inf");
}

TEST(Metrics, ConflictsAndBadNamesAreLeftOut) {
  Exposition e;
  e.counter("a_total", "A", uint64_t{1});
  e.gauge("a_total", "A", 1);
  e.gauge("9bad", "B", 1);
  e.gauge("ok", "C", 1);
  const std::string t = e.text();
  EXPECT_EQ(t.find("a_total 1"), std::string::npos);
  EXPECT_EQ(t.find("9bad 1"), std::string::npos);
  EXPECT_NE(t.find("ok 1"), std::string::npos);
  EXPECT_NE(t.find("# edgesfu: metric a_total left out"), std::string::npos);
}

TEST(Metrics, HistogramIsCumulative) {
  Histogram h;
  for (double v : {0.001, 0.02, 0.02, 0.3, 42.0, -1.0}) h.observe(v);
  Exposition e;
  e.histogram("t_seconds", "T", h, {{"door", "whip"}});
  auto s = parse(e.text());
  EXPECT_EQ(s["t_seconds_bucket{door=\"whip\",le=\"0.005\"}"], "2");  // 0.001 and -1 (as 0)
  EXPECT_EQ(s["t_seconds_bucket{door=\"whip\",le=\"0.025\"}"], "4");
  EXPECT_EQ(s["t_seconds_bucket{door=\"whip\",le=\"0.5\"}"], "5");
  EXPECT_EQ(s["t_seconds_bucket{door=\"whip\",le=\"10\"}"], "5");
  EXPECT_EQ(s["t_seconds_bucket{door=\"whip\",le=\"+Inf\"}"], "6");
  EXPECT_EQ(s["t_seconds_count{door=\"whip\"}"], "6");
  EXPECT_DOUBLE_EQ(std::stod(s["t_seconds_sum{door=\"whip\"}"]), 42.341);
}

TEST(Metrics, ApplianceFiguresLandWhereTheyBelong) {
  MetricsInput in;
  in.tsc_hz = 2e9;
  CountersSnapshot::LcoreLine l;
  l.lcore = 3;
  l.s.wire_to_exception.rx_pkts = 1000;
  l.s.fastpath_to_wire.tx_pkts = 9000;
  l.s.drops[static_cast<std::size_t>(dp::DropReason::kSrtpAuthFail)] = 7;
  l.s.media[static_cast<std::size_t>(dp::MediaCounter::rtp_in)] = 990;
  l.s.media[static_cast<std::size_t>(dp::MediaCounter::nack_sent)] = 4;
  l.s.busy_cycles = 1'000'000'000;
  l.s.idle_cycles = 3'000'000'000;
  in.counters.lcores.push_back(l);
  in.counters.ports.push_back({"wire", {}});
  in.pools.push_back({"esfu_pool_s0", 1200, 8191});
  in.flows = 3;
  in.participants = 5;
  in.heap_in_use = 25u << 20;
  in.heap_trims = 2;
  metrics::SessionMetrics sm;
  sm.started = 6;
  sm.connect.observe(0.04);
  in.sessions = &sm;
  livekit::DataCounters dc;
  dc.in[0].messages = 11;
  in.data = &dc;
  in.webhooks = true;
  in.webhook_queue = 2;
  in.webhook.dropped_failed = 1;
  auto s = parse(render_metrics(in));
  EXPECT_EQ(s["edgesfu_lcore_received_packets_total{lcore=\"3\"}"], "1000");
  EXPECT_EQ(s["edgesfu_lcore_forwarded_packets_total{lcore=\"3\"}"], "9000");
  EXPECT_EQ(s["edgesfu_lcore_dropped_packets_total{lcore=\"3\",reason=\"srtp_auth_fail\"}"], "7");
  EXPECT_EQ(s["edgesfu_lcore_dropped_packets_total{lcore=\"3\",reason=\"no_mbuf\"}"], "0");
  EXPECT_EQ(s["edgesfu_fastpath_packets_total{lcore=\"3\",event=\"rtp_in\"}"], "990");
  EXPECT_EQ(s["edgesfu_fastpath_events_total{lcore=\"3\",event=\"nack_sent\"}"], "4");
  EXPECT_EQ(s["edgesfu_lcore_busy_seconds_total{lcore=\"3\"}"], "0.5");
  EXPECT_EQ(s["edgesfu_lcore_busy_ratio{lcore=\"3\"}"], "0.25");
  EXPECT_EQ(s["edgesfu_port_received_packets_total{port=\"wire\"}"], "0");
  EXPECT_EQ(s["edgesfu_mempool_mbufs_in_use{pool=\"esfu_pool_s0\"}"], "1200");
  EXPECT_EQ(s["edgesfu_flows"], "3");
  EXPECT_EQ(s["edgesfu_heap_in_use_bytes"], "26214400");
  EXPECT_EQ(s["edgesfu_heap_trims_total"], "2");
  EXPECT_EQ(s["edgesfu_participants"], "5");
  EXPECT_EQ(s["edgesfu_sessions_started_total"], "6");
  EXPECT_EQ(s["edgesfu_session_connect_seconds_bucket{le=\"0.05\"}"], "1");
  EXPECT_EQ(s["edgesfu_data_received_messages_total{kind=\"reliable\"}"], "11");
  EXPECT_EQ(s["edgesfu_webhook_queue"], "2");
  EXPECT_EQ(s["edgesfu_webhook_dropped_total{reason=\"failed\"}"], "1");
  // Without the LiveKit door or webhooks, their families are absent.
  in.data = nullptr;
  in.webhooks = false;
  s = parse(render_metrics(in));
  EXPECT_EQ(s.count("edgesfu_webhook_queue"), 0u);
  EXPECT_EQ(s.count("edgesfu_data_rate_limited_total"), 0u);
}

}  // namespace
}  // namespace edgesfu::sp
