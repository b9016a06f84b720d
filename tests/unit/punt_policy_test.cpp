// The punt policy (issue 12 #3-#5): what reaches the exception path, in what
// priority, under which per-source key; the media ports' guard; the budget.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/stun_peek.hpp"
#include "dataplane/punt/punt_policy.hpp"

namespace edgesfu::dp::punt {
namespace {

using pkt::FrameKind;
using pkt::IpAddr;
using pkt::UdpClass;
using pkt::UdpFrame;

IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr x;
  x.family = 4;
  x.b = {a, b, c, d};
  return x;
}

const pkt::Mac kOurMac = {2, 0, 0xc6, 0x12, 0, 2};
const IpAddr kOurIp = v4(198, 18, 0, 2);
const IpAddr kClient = v4(198, 18, 0, 10);

// A STUN Binding Request with USERNAME `user` (no integrity: the worker does
// not check it).
std::vector<uint8_t> binding_request(const std::string& user, uint16_t type = 0x0001) {
  const std::size_t padded = (user.size() + 3) & ~std::size_t{3};
  std::vector<uint8_t> m(20 + 4 + padded, 0);
  pkt::store_be16(m.data(), type);
  pkt::store_be16(m.data() + 2, static_cast<uint16_t>(4 + padded));
  pkt::store_be32(m.data() + 4, 0x2112A442);
  pkt::store_be16(m.data() + 20, 0x0006);
  pkt::store_be16(m.data() + 22, static_cast<uint16_t>(user.size()));
  std::copy(user.begin(), user.end(), m.begin() + 24);
  return m;
}

struct Fixture {
  PortGuard guard{50000, 50999};
  PuntRules rules;
  Fixture() {
    rules.mac = kOurMac;
    rules.check_mac = true;
    rules.addrs[0] = kOurIp;
    rules.naddrs = 1;
    rules.signalling_port = 7880;
    rules.guard = &guard;
  }
  static UdpFrame udp(uint16_t sport, uint16_t dport) {
    UdpFrame f;
    f.dst_mac = kOurMac;
    f.src_mac = {2, 0, 0, 0, 0, 0x0a};
    f.src = kClient;
    f.dst = kOurIp;
    f.src_port = sport;
    f.dst_port = dport;
    f.proto = pkt::kIpProtoUdp;
    return f;
  }
  static UdpFrame tcp(uint16_t sport, uint16_t dport, uint8_t flags) {
    UdpFrame f = udp(sport, dport);
    f.proto = pkt::kIpProtoTcp;
    f.tcp_flags = flags;
    return f;
  }
};

TEST(StunPeekTest, LocalUfragOfBindingRequestsOnly) {
  const auto ok = binding_request("abcd:remote");
  const auto u = pkt::binding_request_local_ufrag(ok);
  EXPECT_EQ(std::string(u.begin(), u.end()), "abcd");
  EXPECT_TRUE(pkt::binding_request_local_ufrag(binding_request("nocolon")).empty());
  EXPECT_TRUE(pkt::binding_request_local_ufrag(binding_request("abcd:x", 0x0101)).empty());
  EXPECT_TRUE(pkt::binding_request_local_ufrag(binding_request("abcd:x", 0x0011)).empty());
  auto cookie = ok;
  cookie[4] ^= 1;
  EXPECT_TRUE(pkt::binding_request_local_ufrag(cookie).empty());
  auto longer = ok;
  pkt::store_be16(longer.data() + 2, 400);  // past the datagram
  EXPECT_TRUE(pkt::binding_request_local_ufrag(longer).empty());
  auto attr = ok;
  pkt::store_be16(attr.data() + 22, 200);  // attribute past the message
  EXPECT_TRUE(pkt::binding_request_local_ufrag(attr).empty());
  EXPECT_TRUE(pkt::binding_request_local_ufrag({ok.data(), 19}).empty());
}

TEST(PortGuardTest, UfragAndValidatedAddressesPerPort) {
  PortGuard g(50000, 50009);
  const std::string u = "ufrag1";
  const std::span<const uint8_t> us{reinterpret_cast<const uint8_t*>(u.data()), u.size()};
  EXPECT_FALSE(g.ufrag_ok(50001, us));
  g.open(50001, u);
  EXPECT_TRUE(g.ufrag_ok(50001, us));
  EXPECT_FALSE(g.ufrag_ok(50002, us));
  EXPECT_FALSE(g.ufrag_ok(50001, us.first(5)));
  EXPECT_FALSE(g.covers(49999));
  EXPECT_FALSE(g.covers(50010));
  EXPECT_FALSE(g.validated(50001, kClient, 4000));
  g.validate(50001, kClient, 4000);
  EXPECT_TRUE(g.validated(50001, kClient, 4000));
  EXPECT_FALSE(g.validated(50001, kClient, 4001));
  // The newest kAddrs addresses are kept.
  for (uint16_t p = 1; p <= PortGuard::kAddrs; ++p) g.validate(50001, kClient, p);
  EXPECT_FALSE(g.validated(50001, kClient, 4000));
  EXPECT_TRUE(g.validated(50001, kClient, 1));
  g.close(50001);
  EXPECT_FALSE(g.ufrag_ok(50001, us));
  EXPECT_FALSE(g.validated(50001, kClient, 1));
  g.open(50001, "other");  // reuse: nothing of the last session is left
  EXPECT_FALSE(g.ufrag_ok(50001, us));
}

TEST(PuntPolicyTest, MediaPortsTakeOnlyWhatTheIceAgentWould) {
  Fixture fx;
  fx.guard.open(50000, "abcd");
  const auto good = binding_request("abcd:peer");
  const auto wrong = binding_request("zzzz:peer");
  const UdpFrame f = Fixture::udp(4000, 50000);
  Verdict v = judge(fx.rules, FrameKind::kUdp, f, UdpClass::kStun, good, false);
  EXPECT_TRUE(v.punt);
  EXPECT_EQ(v.priority, Priority::kSession);
  EXPECT_TRUE(v.limit);
  v = judge(fx.rules, FrameKind::kUdp, f, UdpClass::kStun, wrong, false);
  EXPECT_FALSE(v.punt);
  EXPECT_EQ(v.drop, DropReason::kStunRefused);
  // The same ufrag on a port no session holds.
  v = judge(fx.rules, FrameKind::kUdp, Fixture::udp(4000, 50001), UdpClass::kStun, good, false);
  EXPECT_EQ(v.drop, DropReason::kStunRefused);
  // DTLS only from an address that passed a check.
  const std::vector<uint8_t> dtls(40, 22);
  v = judge(fx.rules, FrameKind::kUdp, f, UdpClass::kDtls, dtls, false);
  EXPECT_EQ(v.drop, DropReason::kDtlsUnvalidated);
  fx.guard.validate(50000, kClient, 4000);
  v = judge(fx.rules, FrameKind::kUdp, f, UdpClass::kDtls, dtls, false);
  EXPECT_TRUE(v.punt);
  EXPECT_EQ(v.priority, Priority::kSession);
  // RTP, RTCP and garbage from no live flow: the agent would discard them.
  for (UdpClass c : {UdpClass::kRtp, UdpClass::kRtcp, UdpClass::kUnknown, UdpClass::kTurnChannel}) {
    v = judge(fx.rules, FrameKind::kUdp, f, c, dtls, false);
    EXPECT_EQ(v.drop, DropReason::kUnknownFlow) << pkt::to_string(c);
  }
  // From a live flow, what is none of its protocols (a 5-byte "RTP", TURN
  // channel data): dropped, counted apart from strangers.
  for (UdpClass c : {UdpClass::kUnknown, UdpClass::kTurnChannel}) {
    v = judge(fx.rules, FrameKind::kUdp, f, c, dtls, true);
    EXPECT_FALSE(v.punt);
    EXPECT_EQ(v.drop, DropReason::kFlowNotMedia) << pkt::to_string(c);
  }
  // A live flow's DTLS (its data channels) is a class of its own: the
  // per-flow limiter and budget, not the sessions' priority; its STUN
  // (consent) stays a session's, exempt from the per-source limiter.
  v = judge(fx.rules, FrameKind::kUdp, f, UdpClass::kDtls, dtls, true);
  EXPECT_TRUE(v.punt);
  EXPECT_EQ(v.priority, Priority::kFlowData);
  EXPECT_TRUE(v.limit);
  v = judge(fx.rules, FrameKind::kUdp, f, UdpClass::kStun, good, true);
  EXPECT_TRUE(v.punt);
  EXPECT_EQ(v.priority, Priority::kSession);
  EXPECT_FALSE(v.limit);
  v = judge(fx.rules, FrameKind::kUdp, f, UdpClass::kStun, wrong, true);
  EXPECT_EQ(v.drop, DropReason::kStunRefused);
  // UDP outside the media ports: the kernel's, last priority.
  v = judge(fx.rules, FrameKind::kUdp, Fixture::udp(4000, 53), UdpClass::kRtp, dtls, false);
  EXPECT_TRUE(v.punt);
  EXPECT_EQ(v.priority, Priority::kOther);
}

TEST(PuntPolicyTest, DestinationMustBeTheAppliance) {
  Fixture fx;
  UdpFrame f = Fixture::tcp(5000, 7880, pkt::kTcpAck);
  EXPECT_TRUE(judge(fx.rules, FrameKind::kNotUdp, f, UdpClass::kUnknown, {}, false).punt);
  UdpFrame other_mac = f;
  other_mac.dst_mac[5] = 9;
  EXPECT_EQ(judge(fx.rules, FrameKind::kNotUdp, other_mac, UdpClass::kUnknown, {}, false).drop,
            DropReason::kNotForUs);
  UdpFrame other_ip = f;
  other_ip.dst = v4(198, 18, 0, 3);
  EXPECT_EQ(judge(fx.rules, FrameKind::kNotUdp, other_ip, UdpClass::kUnknown, {}, false).drop,
            DropReason::kNotForUs);
  EXPECT_FALSE(addressed_to_us(fx.rules, other_ip));
  // Broadcast (ARP) and IPv6 link-local (neighbour discovery) reach the kernel.
  UdpFrame bcast = other_ip;
  bcast.dst_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_TRUE(addressed_to_us(fx.rules, bcast));
  UdpFrame ll = f;
  ll.dst.family = 6;
  ll.dst.b = {0xfe, 0x80};
  EXPECT_TRUE(addressed_to_us(fx.rules, ll));
  // Malformed frames are dropped as such.
  EXPECT_EQ(judge(fx.rules, FrameKind::kMalformed, f, UdpClass::kUnknown, {}, false).drop,
            DropReason::kMalformedFrame);
  // No rules: anything goes (tests and the embedded default without a TAP address).
  PuntRules none;
  EXPECT_TRUE(addressed_to_us(none, other_ip));
}

TEST(PuntPolicyTest, TcpPrioritiesAndKeys) {
  Fixture fx;
  const Verdict syn = judge(fx.rules, FrameKind::kNotUdp, Fixture::tcp(5000, 7880, pkt::kTcpSyn),
                            UdpClass::kUnknown, {}, false);
  EXPECT_EQ(syn.priority, Priority::kTcpSyn);
  const Verdict syn2 = judge(fx.rules, FrameKind::kNotUdp, Fixture::tcp(5001, 7880, pkt::kTcpSyn),
                             UdpClass::kUnknown, {}, false);
  // SYNs are keyed by address: another port of the same address shares it.
  ASSERT_EQ(syn.key.len, syn2.key.len);
  EXPECT_EQ(std::vector<uint8_t>(syn.key.b, syn.key.b + syn.key.len),
            std::vector<uint8_t>(syn2.key.b, syn2.key.b + syn2.key.len));
  const Verdict ack =
      judge(fx.rules, FrameKind::kNotUdp, Fixture::tcp(5000, 7880, pkt::kTcpAck | pkt::kTcpSyn),
            UdpClass::kUnknown, {}, false);
  EXPECT_EQ(ack.priority, Priority::kTcpConnected);
  const Verdict ack2 = judge(fx.rules, FrameKind::kNotUdp, Fixture::tcp(5001, 7880, pkt::kTcpAck),
                             UdpClass::kUnknown, {}, false);
  // Connections are keyed by address and port (and priority): a spoofer of
  // the address with other ports spends other buckets.
  EXPECT_NE(std::vector<uint8_t>(ack.key.b, ack.key.b + ack.key.len),
            std::vector<uint8_t>(ack2.key.b, ack2.key.b + ack2.key.len));
  const Verdict other = judge(fx.rules, FrameKind::kNotUdp, Fixture::tcp(5000, 22, pkt::kTcpSyn),
                              UdpClass::kUnknown, {}, false);
  EXPECT_EQ(other.priority, Priority::kOther);
  UdpFrame icmp = Fixture::udp(0, 0);
  icmp.proto = 1;
  EXPECT_EQ(judge(fx.rules, FrameKind::kNotUdp, icmp, UdpClass::kUnknown, {}, false).priority,
            Priority::kOther);
  EXPECT_EQ(judge(fx.rules, FrameKind::kFragment, icmp, UdpClass::kUnknown, {}, false).priority,
            Priority::kOther);
}

TEST(PuntBudgetTest, FloodsOfOnePriorityLeaveTheHigherOnesTheirReserve) {
  constexpr uint64_t kHz = 1'000'000;
  PuntBudget b(1000, 800, kHz, 0);  // 1,000/s, burst 800
  int other = 0;
  for (int i = 0; i < 2000; ++i) other += b.take(Priority::kOther, 0);
  EXPECT_EQ(other, 100);  // its own cap: an eighth of the burst
  // Half a second on, the cap allows an eighth of the rate more (62), the
  // main bucket is full again.
  for (int i = 0; i < 2000; ++i) other += b.take(Priority::kOther, 500'000);
  EXPECT_EQ(other, 162);
  // Drain the main bucket to half, as a flood of kOther could without its cap.
  int tcp_fill = 0;
  while (b.take(Priority::kTcpConnected, 500'000) && tcp_fill < 1000) ++tcp_fill;
  EXPECT_EQ(tcp_fill, 800 - 62 - 100);  // down to an eighth of the burst
  int dummy = 0;
  for (int i = 0; i < 2000; ++i) dummy += b.take(Priority::kOther, 500'000);
  EXPECT_EQ(dummy, 0);  // below the half: none for kOther
  int syn = 0;
  for (int i = 0; i < 2000; ++i) syn += b.take(Priority::kTcpSyn, 500'000);
  EXPECT_EQ(syn, 0);  // at an eighth: below a quarter
  int session = 0;
  for (int i = 0; i < 2000; ++i) session += b.take(Priority::kSession, 500'000);
  EXPECT_EQ(session, 100);  // the rest
  // Under a sustained flood of the last priority, sessions still get tokens.
  int sessions_later = 0, others_later = 0;
  for (uint64_t t = 1; t <= 1000; ++t) {  // one second, 1 ms steps
    for (int i = 0; i < 100; ++i) others_later += b.take(Priority::kOther, 500'000 + t * 1000);
    sessions_later += b.take(Priority::kSession, 500'000 + t * 1000);
  }
  EXPECT_EQ(sessions_later, 1000);
  EXPECT_LE(others_later, 125 + 100);  // its cap: an eighth of the rate (and of the burst)
}

}  // namespace
}  // namespace edgesfu::dp::punt
