// libFuzzer: Ethernet/IP/UDP parsing; a parsed payload lies inside the frame,
// and headers written for the reply parse back to the same addresses.
#include <cstdint>
#include <vector>

#include "dataplane/pkt/net.hpp"

using namespace edgesfu::dp::pkt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  UdpFrame f;
  if (parse_udp_frame({data, size}, f) != FrameKind::kUdp) return 0;
  if (f.payload_offset + f.payload_len > size) __builtin_trap();
  const UdpPath r = UdpPath::reply_to(f);
  std::vector<uint8_t> out(r.header_len() + f.payload_len);
  write_udp_headers(out.data(), r, f.payload_len);
  UdpFrame back;
  if (parse_udp_frame(out, back) != FrameKind::kUdp) __builtin_trap();
  if (!(back.src == f.dst) || back.dst_port != f.src_port) __builtin_trap();
  return 0;
}
