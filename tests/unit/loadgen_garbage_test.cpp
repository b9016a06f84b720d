// tools/loadgen/garbage: what a misbehaving publisher sends on its own flow.
// Each kind has the shape it claims, and both of edgesfu's SRTP engines, given
// the publisher's own keys, refuse every packet of every kind.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "tools/loadgen/garbage.hpp"

namespace edgesfu::loadgen {
namespace {

namespace srtp = dp::srtp;
using dp::pkt::load_be16;
using dp::pkt::load_be32;

constexpr uint32_t kSsrc = 0x11223344;

TEST(LoadgenGarbage, EachKindHasItsShape) {
  uint64_t rng = 7;
  std::vector<uint8_t> buf(1500);
  const std::vector<uint8_t> last(200, 0xab);
  std::map<Garbage, int> seen;
  for (uint64_t n = 0; n < 600; ++n) {
    const std::size_t len = make_garbage(buf, n, kSsrc, 4242, last, rng);
    ASSERT_GT(len, 0u);
    ASSERT_LE(len, buf.size());
    const Garbage g = garbage_kind(n);
    ++seen[g];
    switch (g) {
      case Garbage::kForgedRtp:
        EXPECT_EQ(buf[0] >> 6, 2);
        EXPECT_EQ(load_be16(&buf[2]), 4242);
        EXPECT_EQ(load_be32(&buf[8]), kSsrc);
        EXPECT_GE(len, 32u);
        break;
      case Garbage::kForgedRtcp:
        EXPECT_EQ(buf[1], 201);
        EXPECT_EQ(load_be32(&buf[4]), kSsrc);
        break;
      case Garbage::kReplayedRtp:
        EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(len)), last);
        break;
      case Garbage::kTruncated:
        EXPECT_LT(len, 12u);
        EXPECT_EQ(buf[0] >> 6, 2);
        break;
      case Garbage::kStrangerSsrc: EXPECT_NE(load_be32(&buf[8]), kSsrc); break;
      case Garbage::kRandom: EXPECT_LE(len, 1200u); break;
      case Garbage::kCount: ADD_FAILURE(); break;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(Garbage::kCount));
  std::vector<uint8_t> small(100);
  EXPECT_EQ(make_garbage(small, 0, kSsrc, 1, last, rng), 0u);  // under 1500 bytes
}

// The publisher's keys on both sides: one real packet goes through, then
// nothing of the garbage does.
void refuse_all(srtp::Engine& e, srtp::Profile profile) {
  srtp::Keys keys;
  keys.profile = profile;
  for (std::size_t i = 0; i < keys.master_key.size(); ++i) keys.master_key[i] = uint8_t(i * 7 + 1);
  for (std::size_t i = 0; i < keys.master_salt.size(); ++i) keys.master_salt[i] = uint8_t(i * 3);
  auto tx = e.create_session({keys, srtp::Direction::kOutbound, kSsrc});
  auto rx = e.create_session({keys, srtp::Direction::kInbound, 0});
  ASSERT_TRUE(tx && rx);

  std::vector<uint8_t> real(12 + 160 + srtp::kMaxTrailer, 0x5a);
  real[0] = 0x80;
  real[1] = 111;
  dp::pkt::store_be16(&real[2], 100);
  dp::pkt::store_be32(&real[4], 960);
  dp::pkt::store_be32(&real[8], kSsrc);
  srtp::Op op{real.data(), 172, static_cast<uint32_t>(real.size()), tx.value()};
  e.protect_rtp({&op, 1});
  ASSERT_EQ(op.status, srtp::Status::kOk);
  const std::vector<uint8_t> last(real.begin(), real.begin() + op.len);
  std::vector<uint8_t> copy = last;
  srtp::Op in{copy.data(), static_cast<uint32_t>(copy.size()), static_cast<uint32_t>(copy.size()),
              rx.value()};
  e.unprotect_rtp({&in, 1});
  ASSERT_EQ(in.status, srtp::Status::kOk);

  uint64_t rng = 99;
  std::vector<uint8_t> buf(1500);
  std::map<srtp::Status, int> verdicts;
  for (uint64_t n = 0; n < 3000; ++n) {
    const std::size_t len = make_garbage(buf, n, kSsrc, uint16_t(101 + n), last, rng);
    srtp::Op g{buf.data(), static_cast<uint32_t>(len), static_cast<uint32_t>(buf.size()),
               rx.value()};
    // The fast path's demux sends RTCP (PT 192-223) to SRTCP, the rest to SRTP.
    const bool rtcp = len >= 2 && buf[1] >= 192 && buf[1] <= 223;
    if (rtcp) {
      e.unprotect_rtcp({&g, 1});
    } else {
      e.unprotect_rtp({&g, 1});
    }
    ++verdicts[g.status];
    ASSERT_NE(g.status, srtp::Status::kOk)
        << "garbage " << n << " (" << to_string(garbage_kind(n)) << ") passed";
  }
  EXPECT_GT(verdicts[srtp::Status::kReplay], 0);
  EXPECT_GT(verdicts[srtp::Status::kAuthFail], 0);
  EXPECT_GT(verdicts[srtp::Status::kMalformed], 0);
  e.destroy_session(tx.value());
  e.destroy_session(rx.value());
}

TEST(LoadgenGarbage, LibsrtpRefusesEveryPacket) {
  auto e = srtp::make_libsrtp_engine();
  ASSERT_TRUE(e);
  for (auto p : {srtp::Profile::kAeadAes128Gcm, srtp::Profile::kAes128CmHmacSha1_80})
    refuse_all(*e.value(), p);
}

TEST(LoadgenGarbage, IpsecMbRefusesEveryPacket) {
  auto e = srtp::make_ipsecmb_engine();
  if (!e) GTEST_SKIP() << e.error().message;
  for (auto p : {srtp::Profile::kAeadAes128Gcm, srtp::Profile::kAes128CmHmacSha1_80})
    refuse_all(*e.value(), p);
}

}  // namespace
}  // namespace edgesfu::loadgen
