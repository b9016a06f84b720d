// Transport-wide congestion control feedback (rtcp::TwccRecorder): every
// report decoded by an independent reader of the draft's format and compared
// with what was recorded.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <vector>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/rtcp/twcc_feedback.hpp"

namespace edgesfu::dp::rtcp {
namespace {

// A report as draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1 reads:
// every packet's sequence number with its arrival time in 250 us ticks, or
// -1 when reported as not received.
struct Decoded {
  bool ok = false;
  uint32_t sender = 0, media = 0;
  uint16_t base = 0;
  uint8_t fb_count = 0;
  std::vector<std::pair<uint16_t, int64_t>> packets;  // seq, ticks or -1
};

Decoded decode(const std::vector<uint8_t>& b) {
  Decoded d;
  if (b.size() < 20 || b.size() % 4 != 0) return d;
  if ((b[0] >> 6) != 2 || (b[0] & 0x1f) != 15 || b[1] != 205) return d;
  if ((pkt::load_be16(&b[2]) + 1u) * 4u != b.size()) return d;
  std::size_t end = b.size();
  if ((b[0] & 0x20) != 0) {
    if (b.back() == 0 || b.back() > end - 20) return d;
    end -= b.back();
  }
  d.sender = pkt::load_be32(&b[4]);
  d.media = pkt::load_be32(&b[8]);
  d.base = pkt::load_be16(&b[12]);
  const uint16_t count = pkt::load_be16(&b[14]);
  const uint32_t ref_word = pkt::load_be32(&b[16]);
  d.fb_count = static_cast<uint8_t>(ref_word);
  const int64_t ref = ref_word >> 8;
  std::vector<uint8_t> st;
  std::size_t o = 20;
  while (st.size() < count) {
    if (o + 2 > end) return d;
    const uint16_t c = pkt::load_be16(&b[o]);
    o += 2;
    if ((c & 0x8000) == 0) {  // run length
      for (int i = 0; i < (c & 0x1fff) && st.size() < count; ++i) st.push_back((c >> 13) & 3);
    } else if ((c & 0x4000) == 0) {  // one-bit vector
      for (int i = 0; i < 14 && st.size() < count; ++i) st.push_back((c >> (13 - i)) & 1);
    } else {
      for (int i = 0; i < 7 && st.size() < count; ++i) st.push_back((c >> (12 - 2 * i)) & 3);
    }
  }
  int64_t t = ref * 256;
  for (std::size_t i = 0; i < st.size(); ++i) {
    const auto seq = static_cast<uint16_t>(d.base + i);
    if (st[i] == 0) {
      d.packets.emplace_back(seq, -1);
    } else if (st[i] == 1) {
      if (o + 1 > end) return d;
      t += b[o++];
      d.packets.emplace_back(seq, t);
    } else if (st[i] == 2) {
      if (o + 2 > end) return d;
      t += static_cast<int16_t>(pkt::load_be16(&b[o]));
      o += 2;
      d.packets.emplace_back(seq, t);
    } else {
      return d;
    }
  }
  d.ok = o <= end && end - o < 4;
  return d;
}

std::vector<uint8_t> report(TwccRecorder& r) {
  std::vector<uint8_t> out(TwccRecorder::kMaxReport);
  out.resize(r.build(0x11111111, 0x22222222, out));
  return out;
}

int64_t ticks(uint64_t us) { return static_cast<int64_t>(us / 250); }

TEST(TwccFeedback, InOrderPacketsAreReportedWithTheirArrivalTimes) {
  TwccRecorder r;
  std::map<uint16_t, uint64_t> at;
  for (uint16_t s = 100; s < 140; ++s) {
    at[s] = 5'000'000 + uint64_t{s} * 1300;
    ASSERT_TRUE(r.record(s, at[s]));
  }
  const Decoded d = decode(report(r));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.sender, 0x11111111u);
  EXPECT_EQ(d.media, 0x22222222u);
  EXPECT_EQ(d.base, 100);
  ASSERT_EQ(d.packets.size(), 40u);
  for (const auto& [seq, t] : d.packets) EXPECT_EQ(t, ticks(at[seq])) << seq;
  EXPECT_EQ(r.pending(), 0);
  EXPECT_EQ(report(r).size(), 0u);  // nothing new
}

TEST(TwccFeedback, LossReorderingAndDuplicates) {
  TwccRecorder r;
  // 3 lost; 6 before 5 (5 arrives later: a negative delta); 7 twice.
  const std::vector<std::pair<uint16_t, uint64_t>> arrivals = {
      {1, 1'000'000}, {2, 1'001'000}, {4, 1'003'000}, {6, 1'005'000},
      {5, 1'009'000}, {7, 1'010'000}, {7, 1'011'000}};
  for (const auto& [s, t] : arrivals) r.record(s, t);
  const Decoded d = decode(report(r));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.base, 1);
  const std::vector<std::pair<uint16_t, int64_t>> want = {
      {1, ticks(1'000'000)}, {2, ticks(1'001'000)}, {3, -1},
      {4, ticks(1'003'000)}, {5, ticks(1'009'000)}, {6, ticks(1'005'000)},
      {7, ticks(1'010'000)}};
  EXPECT_EQ(d.packets, want);
}

TEST(TwccFeedback, ReportsFollowOnAndCountLossesBetweenThem) {
  TwccRecorder r;
  r.record(10, 2'000'000);
  r.record(11, 2'001'000);
  Decoded d = decode(report(r));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.fb_count, 0);
  // 12 and 13 never arrive; 11 again (already reported) is ignored.
  r.record(11, 2'002'000);
  r.record(14, 2'050'000);
  d = decode(report(r));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.fb_count, 1);
  EXPECT_EQ(d.base, 12);
  const std::vector<std::pair<uint16_t, int64_t>> want = {
      {12, -1}, {13, -1}, {14, ticks(2'050'000)}};
  EXPECT_EQ(d.packets, want);
  // After a long gap the report starts at the first packet received.
  r.record(14 + 1000, 2'100'000);
  d = decode(report(r));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.base, 1014);
  EXPECT_EQ(d.packets.size(), 1u);
}

TEST(TwccFeedback, SequenceNumbersWrap) {
  TwccRecorder r;
  uint64_t t = 3'000'000;
  for (const uint16_t s :
       {uint16_t{65533}, uint16_t{65534}, uint16_t{65535}, uint16_t{0}, uint16_t{1}}) {
    r.record(s, t += 700);
  }
  const Decoded d = decode(report(r));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.base, 65533);
  ASSERT_EQ(d.packets.size(), 5u);
  EXPECT_EQ(d.packets.back().first, 1);
  for (const auto& p : d.packets) EXPECT_NE(p.second, -1);
}

TEST(TwccFeedback, AGapTooLongForADeltaStartsTheNextReport) {
  TwccRecorder r;
  r.record(1, 1'000'000);
  r.record(2, 1'000'000 + 9'000'000);  // 9 s: over 32767 ticks
  Decoded d = decode(report(r));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.packets.size(), 1u);
  EXPECT_EQ(r.pending(), 1);
  d = decode(report(r));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.base, 2);
  ASSERT_EQ(d.packets.size(), 1u);
  EXPECT_EQ(d.packets[0].second, ticks(10'000'000));
}

TEST(TwccFeedback, CapacityAndSizeBounds) {
  TwccRecorder r;
  for (uint16_t i = 0; i < TwccRecorder::kCapacity; ++i) {
    ASSERT_TRUE(r.record(static_cast<uint16_t>(i * 40), 1'000'000 + uint64_t{i} * 20'000));
  }
  EXPECT_TRUE(r.full());
  EXPECT_FALSE(r.record(9999, 9'000'000));
  // 128 packets 40 apart: far more statuses than one report holds; every
  // report stays within kMaxReport and together they report every packet once.
  std::map<uint16_t, int64_t> seen;
  for (int guard = 0; guard < 20 && r.pending() > 0; ++guard) {
    const auto b = report(r);
    ASSERT_LE(b.size(), TwccRecorder::kMaxReport);
    const Decoded d = decode(b);
    ASSERT_TRUE(d.ok);
    for (const auto& [s, t] : d.packets) {
      if (t >= 0) {
        EXPECT_TRUE(seen.emplace(s, t).second) << s;
      }
    }
  }
  EXPECT_EQ(r.pending(), 0);
  EXPECT_EQ(seen.size(), TwccRecorder::kCapacity);
  std::vector<uint8_t> small(TwccRecorder::kMaxReport - 1);
  r.record(6000, 9'000'000);
  EXPECT_EQ(r.build(1, 2, small), 0u);  // too small a buffer: nothing written
  EXPECT_EQ(r.pending(), 1);
}

}  // namespace
}  // namespace edgesfu::dp::rtcp
