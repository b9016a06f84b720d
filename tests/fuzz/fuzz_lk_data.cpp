// libFuzzer: the LiveKit door's data packet rules on any bytes, on either
// channel kind, from senders of every kind; a packet that is relayed parses
// back and names its sender.
#include <cstddef>
#include <cstdint>
#include <span>

#include "livekit_models.pb.h"
#include "slowpath/signalling/livekit/data_relay.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgesfu::sp::livekit;
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::span<const uint8_t> msg(data + 1, size - 1);
  DataSender s{"PA_fuzz", "fuzz", (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0};
  DataSenderState st;
  st.last_reliable_seq = flags >> 4;
  const DataKind kind = (flags & 8) != 0 ? DataKind::kLossy : DataKind::kReliable;
  for (const DataRoute& r : {route_data(msg, kind, s, st), wrap_unlabeled(msg, s)}) {
    if (r.drop != DataDrop::kNone) continue;
    ::livekit::DataPacket back;
    if (!back.ParseFromString(r.packet) || back.participant_sid() != "PA_fuzz") __builtin_trap();
    (void)is_recipient(r, "PA_x", "x");
  }
  return 0;
}
