// libFuzzer: what tools/loadgen parses. The input's first byte picks the
// part: the command line (the rest split at NULs into arguments), or a
// stream of received payloads (2-byte length, bytes) run through the
// marker reader and the per-stream accounting, as a subscriber does (and
// the low bits of its packet number through --dpdk's sequence extender).
#include <cstdint>
#include <string>
#include <vector>

#include "tools/loadgen/marker.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/stats.hpp"

using namespace edgesfu::loadgen;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  ++data;
  --size;
  if (mode % 2 == 0) {
    std::vector<std::string> args(1);
    for (size_t i = 0; i < size && args.size() < 64; ++i) {
      if (data[i] == 0) {
        args.emplace_back();
      } else {
        args.back().push_back(static_cast<char>(data[i]));
      }
    }
    auto o = parse_options(args);
    if (o.ok() && (o.value().publishers < 1 || o.value().video_publishers > o.value().publishers))
      __builtin_trap();
    // --rooms: each room has a publisher, and a name.
    if (o.ok() && (o.value().rooms < 1 || o.value().rooms > o.value().publishers ||
                   room_name(o.value(), o.value().publishers - 1).empty() ||
                   o.value().dpdk_queues < 1 || o.value().dpdk_queues > 16))
      __builtin_trap();
    // --dpdk's ramp: rates in range, the first one the starting rate.
    if (o.ok() && !o.value().ramp.empty()) {
      if (!o.value().dpdk() || o.value().packet_rate != o.value().ramp.front()) __builtin_trap();
      for (int r : o.value().ramp) {
        if (r < 1 || r > 100000) __builtin_trap();
      }
    }
    return 0;
  }
  StreamReceive s;
  LatencyHistogram h;
  SeqExtender x;  // --dpdk's count of a stream it does not decrypt
  uint64_t t = 1'000'000'000;
  for (size_t at = 0; at + 2 <= size;) {
    const size_t len = (static_cast<size_t>(data[at]) << 8 | data[at + 1]) % 1500;
    at += 2;
    if (at + len > size) break;
    const auto m = read_marker({data + at, len});
    at += len;
    if (!m) continue;
    t += 1'000'000 + (m->send_ns % 50'000'000);
    s.on_packet(m->number, static_cast<uint32_t>(m->send_ns), 48000, t);
    h.record(m->send_ns);
    const auto seq = static_cast<uint16_t>(m->number);
    if ((x.extend(seq) & 0xffff) != seq) __builtin_trap();
    if (s.lost() > s.expected() || s.unique() > s.received()) __builtin_trap();
    if (h.quantile(0.99) > h.max()) __builtin_trap();
  }
  return 0;
}
