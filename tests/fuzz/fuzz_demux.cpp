// libFuzzer: first-byte demultiplexing; RTP/RTCP verdicts must parse as such.
#include <cstdint>

#include "dataplane/pkt/demux.hpp"
#include "dataplane/pkt/rtcp.hpp"
#include "dataplane/pkt/rtp.hpp"

using namespace edgesfu::dp::pkt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const UdpClass c = classify_udp_payload({data, size});
  if ((c == UdpClass::kRtp || c == UdpClass::kRtcp) && size < 8) __builtin_trap();
  if (c == UdpClass::kRtp) {
    RtpHeader h;
    const RtpError e = parse_rtp({data, size}, h);
    if (e == RtpError::kTooShort && size <= 65535) __builtin_trap();
    if (e == RtpError::kBadVersion) __builtin_trap();  // 128..191 is version 2
  }
  return 0;
}
