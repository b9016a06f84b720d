// libFuzzer: compound RTCP walking and every typed parser on what it yields.
#include <cstdint>

#include "dataplane/pkt/rtcp.hpp"

using namespace edgesfu::dp::pkt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RtcpWalker w({data, size});
  RtcpPacket p;
  while (w.next(p)) {
    SenderInfo si;
    ReportBlock blocks[kMaxReportBlocks];
    int nb = 0;
    uint32_t reporter = 0;
    Feedback fb;
    switch (p.type) {
      case kRtcpSr: (void)parse_sr(p, si, blocks, nb); break;
      case kRtcpRr: (void)parse_rr(p, reporter, blocks, nb); break;
      case kRtcpRtpfb:
      case kRtcpPsfb:
        if (parse_feedback(p, fb) == RtcpError::kOk) {
          uint16_t lost[256];
          FirEntry fir[16];
          Remb remb;
          TwccHeader twcc;
          (void)expand_nack(fb.fci, lost);
          (void)parse_fir(fb.fci, fir);
          (void)parse_remb(fb, remb);
          (void)parse_twcc(fb, twcc);
        }
        break;
      default: break;
    }
    if (nb < 0 || nb > kMaxReportBlocks) __builtin_trap();
  }
  return 0;
}
