// ICE on loopback: our ICE-lite controlled agent against a full, controlling
// libnice agent (standing in for a browser) in one GMainContext. The pair is
// selected, datagrams pass both ways, and the local port stays in range.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "slowpath/ice/ice_agent.hpp"

namespace edgesfu::sp::ice {
namespace {

void run_until(GMainContext* ctx, const std::function<bool()>& done, int ms) {
  const gint64 end = g_get_monotonic_time() + ms * 1000;
  while (!done() && g_get_monotonic_time() < end) g_main_context_iteration(ctx, FALSE);
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
  peer.lite = false;
  peer.controlling = true;
  peer.port_min = peer.port_max = 0;
  auto a = Agent::create(ours);
  auto b = Agent::create(peer);
  ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.error().message : a.error().message);
  ASSERT_TRUE(a.value()->gather().ok());
  ASSERT_TRUE(b.value()->gather().ok());
  const auto ca = a.value()->candidates();
  ASSERT_FALSE(ca.empty());
  EXPECT_NE(ca[0].find("127.0.0.1"), std::string::npos);
  // Both sides learn each other (a browser's offer carries its candidates;
  // our answer carries ours).
  const auto [ua, pa] = a.value()->credentials();
  const auto [ub, pb] = b.value()->credentials();
  ASSERT_TRUE(a.value()->set_remote(ub, pb, b.value()->candidates()).ok());
  ASSERT_TRUE(b.value()->set_remote(ua, pa, ca).ok());

  std::vector<std::string> got_a, got_b;
  a.value()->on_data([&](std::span<const uint8_t> d) { got_a.emplace_back(d.begin(), d.end()); });
  b.value()->on_data([&](std::span<const uint8_t> d) { got_b.emplace_back(d.begin(), d.end()); });
  run_until(ctx, [&] { return a.value()->selected() && b.value()->selected(); }, 10000);
  ASSERT_TRUE(a.value()->selected());
  const SelectedPair& p = a.value()->pair();
  EXPECT_GE(p.local_port, 52000);
  EXPECT_LE(p.local_port, 52099);
  EXPECT_EQ(p.remote.family, 4);
  const std::string hello = "\x16\xfe\xfd hello";
  ASSERT_TRUE(b.value()->send({reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}).ok());
  ASSERT_TRUE(a.value()->send({reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}).ok());
  run_until(ctx, [&] { return !got_a.empty() && !got_b.empty(); }, 5000);
  ASSERT_FALSE(got_a.empty());
  EXPECT_EQ(got_a[0], hello);
  ASSERT_FALSE(got_b.empty());
  a.value().reset();
  b.value().reset();
  run_until(ctx, [] { return false; }, 100);
  g_main_context_unref(ctx);
}

TEST(IceTest, BadParametersAreErrors) {
  AgentParams p;
  p.context = nullptr;
  p.local_address = "not-an-ip";
  EXPECT_FALSE(Agent::create(p).ok());
  p.local_address = "127.0.0.1";
  auto a = Agent::create(p);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a.value()->set_remote("", "", {}).ok());
}

}  // namespace
}  // namespace edgesfu::sp::ice
