// libFuzzer: the punt policy over any frame (the worker's parse, classify and
// judge, and the STUN USERNAME peek): a verdict always, a ufrag inside the
// datagram, a per-source key within its buffer.
#include <cstdint>

#include "dataplane/pkt/demux.hpp"
#include "dataplane/pkt/stun_peek.hpp"
#include "dataplane/punt/punt_policy.hpp"

using namespace edgesfu::dp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static punt::PortGuard guard(1, 65535);
  static bool opened = false;
  if (!opened) {
    for (uint32_t p = 1; p <= 65535; p += 7) guard.open(static_cast<uint16_t>(p), "abcd");
    opened = true;
  }
  punt::PuntRules rules;
  rules.signalling_port = 7880;
  rules.guard = &guard;
  pkt::UdpFrame f;
  const pkt::FrameKind kind = pkt::parse_udp_frame({data, size}, f);
  std::span<const uint8_t> payload;
  pkt::UdpClass cls = pkt::UdpClass::kUnknown;
  if (kind == pkt::FrameKind::kUdp) {
    payload = {data + f.payload_offset, f.payload_len};
    cls = pkt::classify_udp_payload(payload);
    const auto u = pkt::binding_request_local_ufrag(payload);
    if (!u.empty() &&
        (u.data() < payload.data() || u.data() + u.size() > payload.data() + payload.size()))
      __builtin_trap();
  }
  for (bool hit : {false, true}) {
    const punt::Verdict v = punt::judge(rules, kind, f, cls, payload, hit);
    if (!v.punt && v.drop == DropReason::kCount) __builtin_trap();
    if (v.punt && v.key.len > sizeof v.key.b) __builtin_trap();
  }
  return 0;
}
