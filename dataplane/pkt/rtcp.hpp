// RTCP (RFC 3550 §6, RFC 4585 §6, RFC 5104 §4.3.1, RFC 5506): walking a compound
// or reduced-size packet, parsing the types an SFU acts on, and building the
// ones it sends. Plaintext (after SRTCP unprotect). Pure; any thread; no
// allocation: parsers fill caller-provided arrays.
#pragma once

#include <cstdint>
#include <span>

namespace edgesfu::dp::pkt {

enum RtcpType : uint8_t {
  kRtcpSr = 200,
  kRtcpRr = 201,
  kRtcpSdes = 202,
  kRtcpBye = 203,
  kRtcpApp = 204,
  kRtcpRtpfb = 205,  // RFC 4585: transport-layer feedback
  kRtcpPsfb = 206,   // RFC 4585: payload-specific feedback
  kRtcpXr = 207,
};
inline constexpr uint8_t kFmtNack = 1;   // RTPFB, RFC 4585 §6.2.1
inline constexpr uint8_t kFmtTwcc = 15;  // RTPFB, draft-holmer-rmcat-transport-wide-cc-extensions
inline constexpr uint8_t kFmtPli = 1;    // PSFB, RFC 4585 §6.3.1
inline constexpr uint8_t kFmtFir = 4;    // PSFB, RFC 5104 §4.3.1
inline constexpr uint8_t kFmtAfb = 15;   // PSFB application layer (REMB)

enum class RtcpError : uint8_t {
  kOk,
  kTooShort,     // under a 4-byte common header, or a packet shorter than its type needs
  kBadVersion,   // V != 2
  kBadLength,    // length field runs past the buffer
  kBadPadding,   // padding on a packet that is not the last, or a bad count
  kBadCount,     // more report blocks / items than the packet holds
};
const char* to_string(RtcpError e);

// One RTCP packet inside a compound.
struct RtcpPacket {
  uint8_t type = 0;
  uint8_t count = 0;  // RC/SC, or FMT for feedback packets
  std::span<const uint8_t> body;  // after the 4-byte common header, padding removed
};

// Walks a compound (or reduced-size) RTCP packet one packet at a time.
class RtcpWalker {
 public:
  explicit RtcpWalker(std::span<const uint8_t> buf) : buf_(buf) {}
  // Fills `out` with the next packet; false at the end or on error (see error()).
  bool next(RtcpPacket& out);
  RtcpError error() const { return error_; }

 private:
  std::span<const uint8_t> buf_;
  std::size_t off_ = 0;
  RtcpError error_ = RtcpError::kOk;
};

// Validates a whole compound packet: every sub-packet well-formed.
RtcpError validate_rtcp(std::span<const uint8_t> buf);

struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;  // 24-bit signed
  uint32_t ext_highest_seq = 0;
  uint32_t jitter = 0;
  uint32_t lsr = 0;   // middle 32 bits of the last SR's NTP time
  uint32_t dlsr = 0;  // 1/65536 s since that SR
};

struct SenderInfo {
  uint32_t ssrc = 0;
  uint64_t ntp = 0;  // 32.32 fixed point
  uint32_t rtp_ts = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
};

inline constexpr int kMaxReportBlocks = 31;

// SR: sender info and up to `blocks.size()` report blocks; returns the block
// count or an error.
RtcpError parse_sr(const RtcpPacket& p, SenderInfo& si, std::span<ReportBlock> blocks,
                   int& nblocks);
// RR: reporter SSRC and report blocks.
RtcpError parse_rr(const RtcpPacket& p, uint32_t& reporter, std::span<ReportBlock> blocks,
                   int& nblocks);

// Feedback common part (RFC 4585 §6.1): sender SSRC, media source SSRC, FCI.
struct Feedback {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  std::span<const uint8_t> fci;
};
RtcpError parse_feedback(const RtcpPacket& p, Feedback& fb);

// NACK FCI (PID + BLP pairs) expanded to lost sequence numbers, in order.
// Returns how many were written (at most out.size(); the rest is ignored).
int expand_nack(std::span<const uint8_t> fci, std::span<uint16_t> out);

struct FirEntry {
  uint32_t ssrc = 0;
  uint8_t seq = 0;
};
// FIR FCI entries (RFC 5104 §4.3.1.1); returns the count written.
int parse_fir(std::span<const uint8_t> fci, std::span<FirEntry> out);

// REMB (draft-alvestrand-rmcat-remb): bitrate and the SSRCs it applies to.
struct Remb {
  uint64_t bitrate_bps = 0;
  uint8_t num_ssrc = 0;
  uint32_t ssrcs[8] = {};
};
// False unless `fb` is a well-formed REMB.
bool parse_remb(const Feedback& fb, Remb& out);

// Transport-wide CC feedback header: enough to keep per flow until the
// bandwidth estimator consumes the whole message.
struct TwccHeader {
  uint16_t base_seq = 0;
  uint16_t status_count = 0;
  int32_t reference_time = 0;  // 24-bit signed, multiples of 64 ms
  uint8_t fb_count = 0;
};
bool parse_twcc(const Feedback& fb, TwccHeader& out);

// Builders: each writes one packet at the start of `out` and returns its length
// in bytes, or 0 when `out` is too small.
std::size_t build_sr(std::span<uint8_t> out, const SenderInfo& si,
                     std::span<const ReportBlock> blocks);
std::size_t build_rr(std::span<uint8_t> out, uint32_t reporter,
                     std::span<const ReportBlock> blocks);
std::size_t build_pli(std::span<uint8_t> out, uint32_t sender, uint32_t media);
std::size_t build_fir(std::span<uint8_t> out, uint32_t sender, uint32_t media, uint8_t seq);
// NACK for the given lost sequence numbers (any order; packed into PID/BLP).
std::size_t build_nack(std::span<uint8_t> out, uint32_t sender, uint32_t media,
                       std::span<const uint16_t> lost);

}  // namespace edgesfu::dp::pkt
