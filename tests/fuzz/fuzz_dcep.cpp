// libFuzzer: DCEP (RFC 8832) and the data channel table on any sequence of
// SCTP messages: each record is stream (2 bytes), PPID selector (1 byte),
// length (1 byte) and that many bytes. Whatever opens, closes or refuses,
// the table stays bounded and consistent; every OPEN that parses round-trips.
#include <cstddef>
#include <cstdint>
#include <span>

#include "slowpath/sctp/data_channels.hpp"
#include "slowpath/sctp/dcep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgesfu::sp::sctp;
  static constexpr uint32_t kPpids[] = {50, 51, 53, 56, 57, 0, 52};
  if (auto m = parse_open({data, size})) {
    auto back = parse_open(build_open(*m));
    if (!back || back->label != m->label || back->protocol != m->protocol ||
        !(back->reliability == m->reliability)) {
      __builtin_trap();
    }
  }
  DataChannels dc(size % 2 == 0, 16);
  std::size_t at = 0;
  while (at + 4 <= size) {
    const auto stream = static_cast<uint16_t>((data[at] << 8) | data[at + 1]);
    const uint32_t ppid = kPpids[data[at + 2] % (sizeof(kPpids) / sizeof(kPpids[0]))];
    const std::size_t len = data[at + 3];
    at += 4;
    const std::span<const uint8_t> msg(data + at, std::min(len, size - at));
    at += msg.size();
    if (ppid == 0) {
      (void)dc.on_stream_reset(stream);
    } else if (ppid == 52) {
      (void)dc.open("x", Reliability{});
    } else {
      const auto in = dc.on_message(stream, ppid, msg);
      if (in.opened != nullptr && dc.at(stream) != in.opened) __builtin_trap();
    }
    if (dc.size() > 16) __builtin_trap();
  }
  return 0;
}
