#include "dataplane/punt/punt_policy.hpp"

#include <cstring>

#include "dataplane/pkt/stun_peek.hpp"

namespace edgesfu::dp::punt {

namespace {

bool multicast_mac(const pkt::Mac& m) { return (m[0] & 1) != 0; }

bool ipv6_link_local(const pkt::IpAddr& a) {
  return a.family == 6 && a.b[0] == 0xfe && (a.b[1] & 0xc0) == 0x80;
}

Verdict drop(DropReason r) {
  Verdict v;
  v.drop = r;
  return v;
}

Verdict punt(Priority p, const pkt::UdpFrame& f, bool has_port, bool limit) {
  Verdict v;
  v.punt = true;
  v.priority = p;
  v.limit = limit;
  SourceKey& k = v.key;
  if (f.src.family == 0) {  // not IP: the source MAC
    std::memcpy(k.b, f.src_mac.data(), 6);
    k.len = 6;
  } else {
    std::memcpy(k.b, f.src.b.data(), 16);
    k.len = 16;
    if (has_port) {
      k.b[k.len++] = static_cast<uint8_t>(f.src_port >> 8);
      k.b[k.len++] = static_cast<uint8_t>(f.src_port);
    }
  }
  k.b[k.len++] = static_cast<uint8_t>(p);
  return v;
}

}  // namespace

bool addressed_to_us(const PuntRules& r, const pkt::UdpFrame& f) {
  if (multicast_mac(f.dst_mac)) return true;  // ARP, ND, broadcast: the kernel decides
  if (r.check_mac && f.dst_mac != r.mac) return false;
  if (r.naddrs == 0 || f.dst.family == 0 || ipv6_link_local(f.dst)) return true;
  for (uint8_t i = 0; i < r.naddrs; ++i) {
    if (r.addrs[i] == f.dst) return true;
  }
  return false;
}

Verdict judge(const PuntRules& r, pkt::FrameKind kind, const pkt::UdpFrame& f, pkt::UdpClass cls,
              std::span<const uint8_t> payload, bool flow_hit) {
  if (kind == pkt::FrameKind::kMalformed) return drop(DropReason::kMalformedFrame);
  if (!addressed_to_us(r, f)) return drop(DropReason::kNotForUs);
  if (kind == pkt::FrameKind::kUdp) {
    const bool media_port = r.guard != nullptr && r.guard->covers(f.dst_port);
    if (!flow_hit && !media_port) return punt(Priority::kOther, f, true, true);
    switch (cls) {
      case pkt::UdpClass::kStun: {
        // The ICE agent answers Binding Requests for its own ufrag only.
        if (r.guard != nullptr &&
            !r.guard->ufrag_ok(f.dst_port, pkt::binding_request_local_ufrag(payload))) {
          return drop(DropReason::kStunRefused);
        }
        return punt(Priority::kSession, f, true, !flow_hit);
      }
      case pkt::UdpClass::kDtls:
        if (flow_hit) return punt(Priority::kFlowData, f, true, true);
        if (!r.guard->validated(f.dst_port, f.src, f.src_port)) {
          return drop(DropReason::kDtlsUnvalidated);
        }
        return punt(Priority::kSession, f, true, true);
      default:
        // RTP/RTCP of a live flow never get here (the fast path takes them);
        // the rest, and anything from no flow, the ICE agent would discard.
        return drop(flow_hit ? DropReason::kFlowNotMedia : DropReason::kUnknownFlow);
    }
  }
  if (kind == pkt::FrameKind::kNotUdp && f.proto == pkt::kIpProtoTcp && r.signalling_port != 0 &&
      f.dst_port == r.signalling_port) {
    const bool syn = (f.tcp_flags & (pkt::kTcpSyn | pkt::kTcpAck)) == pkt::kTcpSyn;
    return syn ? punt(Priority::kTcpSyn, f, false, true)
               : punt(Priority::kTcpConnected, f, true, true);
  }
  return punt(Priority::kOther, f, f.proto == pkt::kIpProtoTcp, true);
}

}  // namespace edgesfu::dp::punt
