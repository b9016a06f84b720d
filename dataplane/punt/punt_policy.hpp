// Which received frames the exception path (the kernel, then the slow path)
// gets, in what priority, and which are dropped on the lcore because the
// slow path would only discard them (issue 12 #3-#5). Pure; any thread.
//
//  * Frames to another unicast MAC or IP than the appliance's: dropped.
//  * UDP to a media port (rtc.port_range_*) from no live flow: STUN only when
//    it is a Binding Request for the ufrag of the session on that port, DTLS
//    only from an address that passed that session's ICE checks, RTP, RTCP
//    and anything else never (the ICE agent would discard them).
//  * What is punted has a priority: STUN/DTLS of sessions first, then TCP
//    segments of connections to the signalling port, then SYNs to it, then
//    everything else (ARP, ND, ICMP, other UDP and TCP, fragments). DTLS of
//    a live participant (its data channels: a stream that can be heavy) is
//    a class of its own, kFlowData: a per-flow limit and a budget of its
//    own, so that data never takes what ICE and signalling need.
//  * Each punt also spends a per-source token: established flows are exempt
//    (their data channels' DTLS spends a token of the per-flow limiter);
//    the key is address, port and priority (so a spoofer using a victim's
//    address with other ports, or another kind of packet, spends buckets of
//    its own) — except SYNs, keyed by address alone, so that a flood of SYNs
//    from random ports of one address is still limited.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dataplane/pkt/demux.hpp"
#include "dataplane/pkt/net.hpp"
#include "dataplane/punt/port_guard.hpp"
#include "dataplane/punt/token_bucket.hpp"
#include "dataplane/stats/lcore_stats.hpp"

namespace edgesfu::dp::punt {

// Punt priorities, highest first.
enum class Priority : uint8_t { kSession = 0, kTcpConnected, kTcpSyn, kOther, kFlowData, kCount };
inline constexpr std::size_t kPriorityCount = static_cast<std::size_t>(Priority::kCount);

// The appliance as the wire sees it, and what it listens on.
struct PuntRules {
  static constexpr std::size_t kMaxAddrs = 4;
  pkt::Mac mac{};
  bool check_mac = false;  // false: any destination MAC is accepted
  std::array<pkt::IpAddr, kMaxAddrs> addrs{};
  uint8_t naddrs = 0;                // 0: any destination IP is accepted
  uint16_t signalling_port = 0;      // TCP; 0: no TCP priority
  const PortGuard* guard = nullptr;  // null: UDP misses are all kOther
};

// A per-source limiter key: at most an IPv6 address, a port, a priority.
struct SourceKey {
  uint8_t b[20];
  uint8_t len = 0;
};

struct Verdict {
  bool punt = false;
  Priority priority = Priority::kOther;
  DropReason drop = DropReason::kCount;  // when !punt
  bool limit = true;                     // spend a per-source token first
  SourceKey key;
};

// A frame the fast path did not take: `kind` from parse_udp_frame, `cls` of
// its UDP payload, `flow_hit` when it belongs to a live participant.
Verdict judge(const PuntRules& r, pkt::FrameKind kind, const pkt::UdpFrame& f, pkt::UdpClass cls,
              std::span<const uint8_t> payload, bool flow_hit);

// Does this frame's destination (MAC, then IP) say it is for the appliance?
// Broadcast and multicast are, and IPv6 link-local (neighbour discovery).
bool addressed_to_us(const PuntRules& r, const pkt::UdpFrame& f);

// One worker's punt budget (kFlowData has a budget of its own, not this):
// a token bucket that each priority may draw down
// only to its reserve, so that when a flood of one priority empties it the
// higher ones still find tokens (kSession down to 0, kTcpConnected to 1/8 of
// the burst, kTcpSyn to 1/4, kOther to 1/2). kOther (what no session or
// signalling connection needs: ARP, ICMP, stray UDP) is also capped at 1/8
// of the rate, so that a flood of it costs the kernel little.
class PuntBudget {
 public:
  PuntBudget() = default;
  PuntBudget(uint32_t rate_per_s, uint32_t burst, uint64_t hz, uint64_t now)
      : bucket_(rate_per_s, burst, hz, now),
        other_(rate_per_s / 8 == 0 ? 1 : rate_per_s / 8, burst / 8 == 0 ? 1 : burst / 8, hz, now),
        burst_(burst) {}
  bool take(Priority p, uint64_t now) {
    static constexpr uint32_t kReserveEighths[kPriorityCount] = {0, 1, 2, 4, 0};
    const uint32_t reserve = burst_ * kReserveEighths[static_cast<std::size_t>(p)] / 8;
    if (bucket_.tokens(now) <= reserve) return false;
    if (p == Priority::kOther && !other_.take(now)) return false;
    return bucket_.take(now);
  }

 private:
  TokenBucket bucket_;
  TokenBucket other_;
  uint32_t burst_ = 0;
};

}  // namespace edgesfu::dp::punt
