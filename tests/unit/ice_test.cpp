// ICE on loopback: the appliance's ICE-lite agent against a full, controlling
// libnice agent (standing in for a browser) in one GMainContext. The pair is
// selected, datagrams pass both ways, the local port stays in range; what
// comes from an address that passed no check is dropped.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "slowpath/ice/ice_agent.hpp"
#include "slowpath/ice/lite_agent.hpp"

namespace edgesfu::sp::ice {
namespace {

void run_until(GMainContext* ctx, const std::function<bool()>& done, int ms) {
  const gint64 end = g_get_monotonic_time() + ms * 1000;
  while (!done() && g_get_monotonic_time() < end) g_main_context_iteration(ctx, FALSE);
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(IceTest, LiteAgentIsSelectedAndCarriesData) {
  GMainContext* ctx = g_main_context_new();
  AgentParams ours;
  ours.context = ctx;
  ours.local_address = "127.0.0.1";
  ours.advertised_address = "127.0.0.1";
  ours.port_min = 52000;
  ours.port_max = 52099;
  AgentParams peer = ours;
  peer.controlling = true;
  peer.port_min = peer.port_max = 0;
  auto a = LiteAgent::create(ours);
  auto b = Agent::create(peer);
  ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.error().message : a.error().message);
  ASSERT_TRUE(b.value()->gather().ok());
  const auto ca = a.value()->candidates();
  ASSERT_EQ(ca.size(), 1u);
  EXPECT_NE(ca[0].find("127.0.0.1"), std::string::npos);
  EXPECT_NE(ca[0].find("typ host"), std::string::npos);
  // Before any check: nowhere to send, and nothing is accepted.
  EXPECT_FALSE(a.value()->send(bytes("early")).ok());

  // The browser's offer carries its credentials (a lite agent needs no
  // candidates); our answer carries ours and our candidate.
  const auto [ua, pa] = a.value()->credentials();
  const auto [ub, pb] = b.value()->credentials();
  EXPECT_GE(ua.size(), 4u);
  EXPECT_GE(pa.size(), 22u);
  ASSERT_TRUE(a.value()->set_remote(ub, pb).ok());
  ASSERT_TRUE(b.value()->set_remote(ua, pa, ca).ok());

  std::vector<std::string> got_a, got_b;
  a.value()->on_data([&](std::span<const uint8_t> d) { got_a.emplace_back(d.begin(), d.end()); });
  b.value()->on_data([&](std::span<const uint8_t> d) { got_b.emplace_back(d.begin(), d.end()); });
  int selections = 0;
  a.value()->on_selected([&](const SelectedPair&) { ++selections; });
  run_until(
      ctx, [&] { return a.value()->selected() && b.value()->selected(); }, 10000);
  ASSERT_TRUE(a.value()->selected());
  EXPECT_EQ(selections, 1);
  const SelectedPair& p = a.value()->pair();
  EXPECT_GE(p.local_port, 52000);
  EXPECT_LE(p.local_port, 52099);
  EXPECT_EQ(p.remote.family, 4);
  EXPECT_GE(a.value()->counters().checks_answered, 1u);
  EXPECT_EQ(a.value()->counters().checks_refused, 0u);
  const std::string hello = "\x16\xfe\xfd hello";
  ASSERT_TRUE(b.value()->send(bytes(hello)).ok());
  ASSERT_TRUE(a.value()->send(bytes(hello)).ok());
  run_until(
      ctx, [&] { return !got_a.empty() && !got_b.empty(); }, 5000);
  ASSERT_FALSE(got_a.empty());
  EXPECT_EQ(got_a[0], hello);
  ASSERT_FALSE(got_b.empty());
  EXPECT_EQ(got_b[0], hello);

  // A datagram from an address that never passed a check is not data.
  dp::pkt::IpAddr stranger;
  stranger.family = 4;
  stranger.b[0] = 127, stranger.b[3] = 9;
  const auto before = got_a.size();
  a.value()->on_datagram(bytes(hello), stranger, 4000);
  EXPECT_EQ(got_a.size(), before);
  EXPECT_EQ(a.value()->counters().data_unvalidated, 1u);
  // Nor is a STUN message that is not a valid request (no answer, no crash).
  // (libnice's keepalive indications are discarded too, so count the delta.)
  const auto discarded = a.value()->counters().stun_discarded;
  a.value()->on_datagram(bytes(std::string("\x00\x01\x00\x00garbage", 11)), stranger, 4000);
  EXPECT_EQ(a.value()->counters().stun_discarded, discarded + 1);

  a.value().reset();
  b.value().reset();
  run_until(
      ctx, [] { return false; }, 100);
  g_main_context_unref(ctx);
}

TEST(IceTest, BadParametersAreErrors) {
  AgentParams p;
  p.context = nullptr;
  p.local_address = "not-an-ip";
  EXPECT_FALSE(LiteAgent::create(p).ok());
  EXPECT_FALSE(Agent::create(p).ok());
  p.local_address = "127.0.0.1";
  p.port_min = 2000;
  p.port_max = 1000;
  EXPECT_FALSE(LiteAgent::create(p).ok());
  p.port_min = p.port_max = 0;
  auto a = LiteAgent::create(p);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a.value()->set_remote("", "").ok());
}

}  // namespace
}  // namespace edgesfu::sp::ice
