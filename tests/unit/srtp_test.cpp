// The SRTP burst interface, for every engine (intel-ipsec-mb, libsrtp2) and
// profile: round trips, and every rejection class (tamper, replay, wrong key,
// unknown SSRC, no room).
#include <gtest/gtest.h>

#include <tuple>
#include <vector>

#include "dataplane/srtp/srtp_engine.hpp"

namespace edgesfu::dp::srtp {
namespace {

std::vector<uint8_t> rtp_packet(uint32_t ssrc, uint16_t seq, std::size_t payload) {
  std::vector<uint8_t> p(12 + payload + kMaxTrailer, 0);
  p[0] = 0x80;
  p[1] = 111;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[8] = static_cast<uint8_t>(ssrc >> 24);
  p[9] = static_cast<uint8_t>(ssrc >> 16);
  p[10] = static_cast<uint8_t>(ssrc >> 8);
  p[11] = static_cast<uint8_t>(ssrc);
  for (std::size_t i = 0; i < payload; ++i) p[12 + i] = static_cast<uint8_t>(i * 3 + seq);
  return p;
}

std::vector<uint8_t> rr_packet(uint32_t ssrc) {
  std::vector<uint8_t> p(8 + kMaxTrailer, 0);
  p[0] = 0x80;
  p[1] = 201;
  p[3] = 1;
  p[4] = static_cast<uint8_t>(ssrc >> 24);
  p[7] = static_cast<uint8_t>(ssrc);
  return p;
}

Keys keys_for(Profile prof, uint8_t seed) {
  Keys k;
  k.profile = prof;
  for (std::size_t i = 0; i < k.master_key.size(); ++i) k.master_key[i] = static_cast<uint8_t>(seed + i);
  for (std::size_t i = 0; i < k.master_salt.size(); ++i) k.master_salt[i] = static_cast<uint8_t>(0x80 + seed + i);
  return k;
}

enum class Kind { kIpsecMb, kLibsrtp };

class SrtpTest : public ::testing::TestWithParam<std::tuple<Kind, Profile>> {
 protected:
  void SetUp() override {
    auto e = std::get<0>(GetParam()) == Kind::kIpsecMb ? make_ipsecmb_engine() : make_libsrtp_engine();
    ASSERT_TRUE(e.ok()) << e.error().message;
    engine = std::move(e).value();
  }
  Profile profile() const { return std::get<1>(GetParam()); }
  Session* session(Direction d, uint32_t ssrc, uint8_t seed = 1) {
    SessionParams p;
    p.keys = keys_for(profile(), seed);
    p.direction = d;
    p.ssrc = ssrc;
    auto s = engine->create_session(p);
    EXPECT_TRUE(s.ok());
    sessions.push_back(s.value());
    return s.value();
  }
  void TearDown() override {
    for (Session* s : sessions) engine->destroy_session(s);
  }
  std::unique_ptr<Engine> engine;
  std::vector<Session*> sessions;
};

TEST_P(SrtpTest, RtpBurstRoundTrip) {
  Session* tx = session(Direction::kOutbound, 0x1234);
  Session* rx = session(Direction::kInbound, 0);
  std::vector<std::vector<uint8_t>> pkts, plain;
  for (uint16_t s = 0; s < 8; ++s) {
    pkts.push_back(rtp_packet(0x1234, static_cast<uint16_t>(100 + s), 40 + 100 * s));
    plain.push_back(pkts.back());
  }
  std::vector<Op> ops(pkts.size());
  for (std::size_t i = 0; i < pkts.size(); ++i) {
    ops[i] = {pkts[i].data(), static_cast<uint32_t>(pkts[i].size() - kMaxTrailer),
              static_cast<uint32_t>(pkts[i].size()), tx, Status::kError};
  }
  engine->protect_rtp(ops);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ASSERT_EQ(ops[i].status, Status::kOk) << to_string(ops[i].status);
    EXPECT_EQ(ops[i].len, plain[i].size() - kMaxTrailer + rtp_overhead(profile()));
    // The header stays in the clear, the payload does not.
    EXPECT_TRUE(std::equal(pkts[i].begin(), pkts[i].begin() + 12, plain[i].begin()));
    EXPECT_FALSE(std::equal(pkts[i].begin() + 12, pkts[i].begin() + 40, plain[i].begin() + 12));
    ops[i].session = rx;
  }
  engine->unprotect_rtp(ops);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ASSERT_EQ(ops[i].status, Status::kOk) << to_string(ops[i].status);
    ASSERT_EQ(ops[i].len, plain[i].size() - kMaxTrailer);
    EXPECT_TRUE(std::equal(pkts[i].begin(), pkts[i].begin() + ops[i].len, plain[i].begin()));
  }
}

TEST_P(SrtpTest, RejectsTamperReplayWrongKeyAndNoRoom) {
  Session* tx = session(Direction::kOutbound, 0x1234);
  Session* rx = session(Direction::kInbound, 0);
  Session* other = session(Direction::kInbound, 0, 9);
  auto protect = [&](uint16_t seq) {
    auto p = rtp_packet(0x1234, seq, 60);
    Op op{p.data(), static_cast<uint32_t>(p.size() - kMaxTrailer), static_cast<uint32_t>(p.size()), tx};
    engine->protect_rtp({&op, 1});
    EXPECT_EQ(op.status, Status::kOk);
    p.resize(op.len);
    return p;
  };
  auto unprotect = [&](std::vector<uint8_t> p, Session* s) {
    Op op{p.data(), static_cast<uint32_t>(p.size()), static_cast<uint32_t>(p.size()), s};
    engine->unprotect_rtp({&op, 1});
    return op.status;
  };
  auto a = protect(1);
  auto tampered = a;
  tampered[20] ^= 1;
  EXPECT_EQ(unprotect(tampered, rx), Status::kAuthFail);
  EXPECT_EQ(unprotect(a, other), Status::kAuthFail);  // wrong key
  EXPECT_EQ(unprotect(a, rx), Status::kOk);
  EXPECT_EQ(unprotect(a, rx), Status::kReplay);       // the same packet again
  auto truncated = protect(2);
  truncated.resize(8);
  EXPECT_NE(unprotect(truncated, rx), Status::kOk);

  auto p = rtp_packet(0x1234, 3, 60);
  Op op{p.data(), static_cast<uint32_t>(p.size() - kMaxTrailer), static_cast<uint32_t>(p.size() - kMaxTrailer), tx};
  engine->protect_rtp({&op, 1});
  EXPECT_EQ(op.status, Status::kNoRoom);

  // A specific-SSRC session refuses another SSRC.
  Session* only = session(Direction::kInbound, 0x9999);
  EXPECT_EQ(unprotect(protect(4), only), Status::kUnknownSsrc);
}

TEST_P(SrtpTest, RtcpRoundTripAndReplay) {
  Session* tx = session(Direction::kOutbound, 0x55);
  Session* rx = session(Direction::kInbound, 0);
  auto p = rr_packet(0x55);
  const auto plain = p;
  Op op{p.data(), 8, static_cast<uint32_t>(p.size()), tx};
  engine->protect_rtcp({&op, 1});
  ASSERT_EQ(op.status, Status::kOk);
  EXPECT_EQ(op.len, 8 + rtcp_overhead(profile()));
  auto copy = std::vector<uint8_t>(p.begin(), p.begin() + op.len);
  op.session = rx;
  engine->unprotect_rtcp({&op, 1});
  ASSERT_EQ(op.status, Status::kOk);
  EXPECT_EQ(op.len, 8u);
  EXPECT_TRUE(std::equal(p.begin(), p.begin() + 8, plain.begin()));
  Op again{copy.data(), static_cast<uint32_t>(copy.size()), static_cast<uint32_t>(copy.size()), rx};
  engine->unprotect_rtcp({&again, 1});
  EXPECT_EQ(again.status, Status::kReplay);
}

TEST_P(SrtpTest, RetransmissionOfTheSameIndexIsAllowedOutbound) {
  Session* tx = session(Direction::kOutbound, 0x77);
  for (int i = 0; i < 2; ++i) {
    auto p = rtp_packet(0x77, 500, 30);
    Op op{p.data(), static_cast<uint32_t>(p.size() - kMaxTrailer), static_cast<uint32_t>(p.size()), tx};
    engine->protect_rtp({&op, 1});
    EXPECT_EQ(op.status, Status::kOk) << "attempt " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    EnginesAndProfiles, SrtpTest,
    ::testing::Combine(::testing::Values(Kind::kIpsecMb, Kind::kLibsrtp),
                       ::testing::Values(Profile::kAes128CmHmacSha1_80, Profile::kAes128CmHmacSha1_32,
                                         Profile::kAeadAes128Gcm)),
    [](const auto& p) {
      const Profile prof = std::get<1>(p.param);
      return std::string(std::get<0>(p.param) == Kind::kIpsecMb ? "IpsecMb_" : "Libsrtp_") +
             (prof == Profile::kAeadAes128Gcm          ? "GCM"
              : prof == Profile::kAes128CmHmacSha1_32 ? "SHA1_32"
                                                      : "SHA1_80");
    });

}  // namespace
}  // namespace edgesfu::dp::srtp
