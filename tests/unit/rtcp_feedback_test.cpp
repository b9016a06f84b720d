// rtcp::decide: what a compound asks of the fast path, and the keyframe
// request throttle. Compounds are built with the pkt builders (and by hand
// for REMB and transport-cc), one table row per kind of feedback.
#include "dataplane/rtcp/feedback.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace edgesfu::dp::rtcp {
namespace {

using Bytes = std::vector<uint8_t>;

// A packet-type 205/206 feedback packet with the given FMT and FCI.
Bytes feedback(uint8_t type, uint8_t fmt, uint32_t sender, uint32_t media, const Bytes& fci) {
  Bytes p = {static_cast<uint8_t>(0x80 | fmt), type, 0, 0};
  const auto words = static_cast<uint16_t>((12 + fci.size()) / 4 - 1);
  p[2] = static_cast<uint8_t>(words >> 8);
  p[3] = static_cast<uint8_t>(words);
  for (uint32_t v : {sender, media}) {
    for (int s = 24; s >= 0; s -= 8) p.push_back(static_cast<uint8_t>(v >> s));
  }
  p.insert(p.end(), fci.begin(), fci.end());
  return p;
}

Bytes sr(uint32_t ssrc, uint64_t ntp, std::vector<pkt::ReportBlock> blocks = {}) {
  pkt::SenderInfo si;
  si.ssrc = ssrc;
  si.ntp = ntp;
  si.rtp_ts = 9000;
  uint8_t buf[1500];
  const std::size_t n = pkt::build_sr(buf, si, blocks);
  return Bytes(buf, buf + n);
}

Bytes rr(uint32_t reporter, std::vector<pkt::ReportBlock> blocks) {
  uint8_t buf[1500];
  const std::size_t n = pkt::build_rr(buf, reporter, blocks);
  return Bytes(buf, buf + n);
}

Bytes nack(uint32_t media, std::vector<uint16_t> lost) {
  uint8_t buf[4096];
  const std::size_t n = pkt::build_nack(buf, 1, media, lost);
  return Bytes(buf, buf + n);
}

Bytes pli(uint32_t media) {
  uint8_t buf[64];
  return Bytes(buf, buf + pkt::build_pli(buf, 1, media));
}

Bytes fir(uint32_t media) {
  uint8_t buf[64];
  return Bytes(buf, buf + pkt::build_fir(buf, 1, media, 7));
}

pkt::ReportBlock block(uint32_t ssrc, uint8_t lost) {
  pkt::ReportBlock b;
  b.ssrc = ssrc;
  b.fraction_lost = lost;
  b.jitter = 90;
  b.lsr = 0x1234;
  return b;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes c;
  for (const Bytes& p : parts) c.insert(c.end(), p.begin(), p.end());
  return c;
}

// What decide() found, as text: one token per action, in the order kept.
std::string summary(const FeedbackActions& a) {
  std::string s;
  auto add = [&s](const std::string& t) { s += (s.empty() ? "" : " ") + t; };
  for (int i = 0; i < a.n_sr; ++i) add("sr:" + std::to_string(a.sr[i].ssrc));
  for (int i = 0; i < a.n_blocks; ++i) {
    add("block:" + std::to_string(a.blocks[i].ssrc) + "/" +
        std::to_string(a.blocks[i].fraction_lost));
  }
  for (int i = 0; i < a.n_nacks; ++i) {
    add("nack:" + std::to_string(a.nacks[i].media_ssrc) + "#" + std::to_string(a.nacks[i].seq));
  }
  for (int i = 0; i < a.n_keyframes; ++i) {
    add(std::string(a.keyframes[i].fir ? "fir:" : "pli:") +
        std::to_string(a.keyframes[i].media_ssrc));
  }
  if (a.have_twcc) add("twcc:" + std::to_string(a.twcc.base_seq));
  if (a.have_remb) add("remb:" + std::to_string(a.remb.bitrate_bps));
  if (a.over_capacity != 0) add("over:" + std::to_string(a.over_capacity));
  return s;
}

struct Case {
  const char* name;
  Bytes compound;
  pkt::RtcpError error;
  std::string want;
};

TEST(RtcpFeedback, DecidesByKind) {
  // REMB of 1,000,000 bps for SSRC 9; transport-cc from base 256.
  const Bytes remb = feedback(pkt::kRtcpPsfb, pkt::kFmtAfb, 1, 0,
                              {'R', 'E', 'M', 'B', 1, (2 << 2) | 0x03, 0xd0, 0x90, 0, 0, 0, 9});
  const Bytes twcc = feedback(pkt::kRtcpRtpfb, pkt::kFmtTwcc, 1, 2,
                              {0x01, 0x00, 0x00, 0x05, 0xff, 0xff, 0xfe, 3, 0x20, 0x05, 0, 0});
  const std::vector<Case> cases = {
      {"publisher SR with a block", sr(10, 1ull << 32, {block(77, 5)}), pkt::RtcpError::kOk,
       "sr:10 block:77/5"},
      {"RR then PLI (a browser's)", cat({rr(3, {block(77, 1), block(78, 2)}), pli(77)}),
       pkt::RtcpError::kOk, "block:77/1 block:78/2 pli:77"},
      {"NACK bitmask expands", cat({rr(3, {}), nack(78, {100, 101, 103, 116})}),
       pkt::RtcpError::kOk, "nack:78#100 nack:78#101 nack:78#103 nack:78#116"},
      {"NACKs for two streams keep their order",
       cat({rr(3, {}), nack(78, {5}), nack(79, {65535, 0})}), pkt::RtcpError::kOk,
       "nack:78#5 nack:79#65535 nack:79#0"},
      {"FIR", cat({rr(3, {}), fir(90)}), pkt::RtcpError::kOk, "fir:90"},
      {"REMB and transport-cc", cat({rr(3, {}), remb, twcc}), pkt::RtcpError::kOk,
       "twcc:256 remb:1000000"},
      {"empty", {}, pkt::RtcpError::kTooShort, ""},
      {"not RTCP (version 0)", {0x00, 200, 0, 1, 0, 0, 0, 1}, pkt::RtcpError::kBadVersion, ""},
      {"length past the end", {0x80, 201, 0, 9, 0, 0, 0, 1}, pkt::RtcpError::kBadLength, ""},
  };
  FeedbackActions a;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(decide(c.compound, a), c.error);
    EXPECT_EQ(summary(a), c.want);
  }
}

TEST(RtcpFeedback, ItemsPastTheRoomAreCountedNotKept) {
  FeedbackActions a;
  // NACKs: 511 single entries in one packet, then one entry asking for 17
  // (PID and a full bitmask) in another: 1 kept, 16 over.
  std::vector<uint16_t> singles;
  for (int i = 0; i < FeedbackActions::kMaxNacks - 1; ++i) {
    singles.push_back(static_cast<uint16_t>(i * 20));
  }
  std::vector<uint16_t> run;
  for (uint16_t q = 20000; q < 20017; ++q) run.push_back(q);
  ASSERT_EQ(decide(cat({rr(3, {}), nack(78, singles), nack(79, run)}), a), pkt::RtcpError::kOk);
  EXPECT_EQ(a.n_nacks, FeedbackActions::kMaxNacks);
  EXPECT_EQ(a.over_capacity, 16u);
  EXPECT_EQ(a.nacks[FeedbackActions::kMaxNacks - 2].seq, (FeedbackActions::kMaxNacks - 2) * 20);
  EXPECT_EQ(a.nacks[FeedbackActions::kMaxNacks - 1].media_ssrc, 79u);
  EXPECT_EQ(a.nacks[FeedbackActions::kMaxNacks - 1].seq, 20000);

  // SRs, report blocks, keyframe requests: one past each room.
  Bytes srs, plis, blocks;
  for (int i = 0; i <= FeedbackActions::kMaxSr; ++i) {
    const Bytes one = sr(static_cast<uint32_t>(100 + i), 1ull << 32);
    srs.insert(srs.end(), one.begin(), one.end());
  }
  for (int i = 0; i <= FeedbackActions::kMaxKeyframes; ++i) {
    const Bytes one = pli(static_cast<uint32_t>(200 + i));
    plis.insert(plis.end(), one.begin(), one.end());
  }
  for (int i = 0; i <= FeedbackActions::kMaxBlocks; i += 13) {  // 13 blocks per RR, 5 RRs = 65
    std::vector<pkt::ReportBlock> rbs;
    for (int j = 0; j < 13; ++j) rbs.push_back(block(static_cast<uint32_t>(300 + i + j), 0));
    const Bytes one = rr(3, rbs);
    blocks.insert(blocks.end(), one.begin(), one.end());
  }
  ASSERT_EQ(decide(srs, a), pkt::RtcpError::kOk);
  EXPECT_EQ(a.n_sr, FeedbackActions::kMaxSr);
  EXPECT_EQ(a.over_capacity, 1u);
  ASSERT_EQ(decide(cat({rr(3, {}), plis}), a), pkt::RtcpError::kOk);
  EXPECT_EQ(a.n_keyframes, FeedbackActions::kMaxKeyframes);
  EXPECT_EQ(a.over_capacity, 1u);
  ASSERT_EQ(decide(blocks, a), pkt::RtcpError::kOk);
  EXPECT_EQ(a.n_blocks, FeedbackActions::kMaxBlocks);
  EXPECT_EQ(a.over_capacity, 65u - FeedbackActions::kMaxBlocks);
}

TEST(RtcpFeedback, MalformedSubPacketsAreSkipped) {
  FeedbackActions a;
  // A good REMB, then one that is not REMB; a PLI whose FCI is cut short
  // (parse_feedback needs 12 bytes): the compound stands, the bad parts
  // change nothing.
  const Bytes remb = feedback(pkt::kRtcpPsfb, pkt::kFmtAfb, 1, 0,
                              {'R', 'E', 'M', 'B', 1, (2 << 2) | 0x03, 0xd0, 0x90, 0, 0, 0, 9});
  const Bytes not_remb = feedback(pkt::kRtcpPsfb, pkt::kFmtAfb, 1, 0, {'R', 'E', 'M', 'X'});
  const Bytes short_pli = {0x81, pkt::kRtcpPsfb, 0, 1, 0, 0, 0, 1};
  ASSERT_EQ(decide(cat({rr(3, {}), remb, not_remb, short_pli, pli(5)}), a), pkt::RtcpError::kOk);
  EXPECT_EQ(summary(a), "pli:5 remb:1000000");
}

TEST(RtcpFeedback, ResetsBetweenCompounds) {
  FeedbackActions a;
  ASSERT_EQ(decide(cat({rr(3, {block(77, 1)}), pli(77), nack(78, {1})}), a), pkt::RtcpError::kOk);
  ASSERT_EQ(decide(rr(3, {}), a), pkt::RtcpError::kOk);
  EXPECT_EQ(summary(a), "");
  // An invalid compound leaves nothing from the one before.
  ASSERT_EQ(decide(pli(77), a), pkt::RtcpError::kOk);
  ASSERT_NE(decide(Bytes{0x80, 206}, a), pkt::RtcpError::kOk);
  EXPECT_EQ(summary(a), "");
}

TEST(RtcpFeedback, KeyframeThrottle) {
  constexpr uint64_t kGap = 300'000;
  struct Row {
    const char* name;
    uint64_t last_us;
    uint32_t last_ssrc, ssrc;
    uint64_t now_us;
    bool due;
  } rows[] = {
      {"never asked", 0, 0, 5, 1'000, true},
      {"same stream inside the gap", 1'000'000, 5, 5, 1'000'000 + kGap - 1, false},
      {"same stream at the gap", 1'000'000, 5, 5, 1'000'000 + kGap, true},
      {"another layer inside the gap", 1'000'000, 5, 6, 1'000'010, true},
      {"no stream yet (simulcast)", 0, 0, 0, 1'000, false},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(keyframe_request_due(r.last_us, r.last_ssrc, r.ssrc, r.now_us, kGap), r.due);
  }
}

}  // namespace
}  // namespace edgesfu::dp::rtcp
