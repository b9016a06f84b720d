// The intel-ipsec-mb engine against libsrtp2, both ways, over randomised
// packets: CSRCs, header extensions, padding, sizes from empty to 1400 bytes,
// sequence numbers that roll the ROC over, retransmitted indices, several
// SSRCs in one inbound session, random burst sizes (over the 64-job chunk),
// and SRTCP. For identical input the two engines must produce identical
// bytes, and each must accept what the other protected, with the same verdict.
// Protect out of place (Op::src, the fan-out's copy) must give the bytes
// protect in place gives, in both engines.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/rtp.hpp"
#include "dataplane/srtp/srtp_engine.hpp"

namespace edgesfu::dp::srtp {
namespace {

using Bytes = std::vector<uint8_t>;

using pkt::store_be16;
using pkt::store_be32;

Bytes random_rtp(std::mt19937& rng, uint32_t ssrc, uint16_t seq) {
  const unsigned cc = static_cast<unsigned>(rng() % 5);
  const bool x = rng() % 2 == 0;
  const unsigned ext_words = static_cast<unsigned>(rng() % 6);
  static const unsigned sizes[] = {0, 1, 15, 16, 17, 70, 160, 1200};
  const unsigned payload = static_cast<unsigned>(rng() % 4 == 0 ? rng() % 1400 : sizes[rng() % 8]);
  const bool pad = payload > 0 && rng() % 4 == 0;
  Bytes p(12 + 4 * cc + (x ? 4 + 4 * ext_words : 0));
  p[0] = static_cast<uint8_t>(0x80 | (pad ? 0x20 : 0) | (x ? 0x10 : 0) | cc);
  p[1] = static_cast<uint8_t>(rng() % 256);
  store_be16(&p[2], seq);
  store_be32(&p[4], static_cast<uint32_t>(rng()));
  store_be32(&p[8], ssrc);
  for (unsigned i = 0; i < cc; ++i) store_be32(&p[12 + 4 * i], static_cast<uint32_t>(rng()));
  if (x) {
    const std::size_t e = 12 + 4 * cc;
    store_be16(&p[e], 0xBEDE);
    store_be16(&p[e + 2], static_cast<uint16_t>(ext_words));
    for (unsigned i = 0; i < 4 * ext_words; ++i) p[e + 4 + i] = static_cast<uint8_t>(rng());
  }
  for (unsigned i = 0; i < payload; ++i) p.push_back(static_cast<uint8_t>(rng()));
  if (pad) p.back() = static_cast<uint8_t>(1 + rng() % payload);
  return p;
}

Bytes random_rtcp(std::mt19937& rng, uint32_t ssrc) {
  const unsigned words = static_cast<unsigned>(rng() % 40);  // after the 8-byte header
  Bytes p(8 + 4 * words);
  p[0] = static_cast<uint8_t>(0x80 | (rng() % 32));
  p[1] = static_cast<uint8_t>(200 + rng() % 7);
  store_be16(&p[2], static_cast<uint16_t>(1 + words));
  store_be32(&p[4], ssrc);
  for (std::size_t i = 8; i < p.size(); ++i) p[i] = static_cast<uint8_t>(rng());
  return p;
}

enum class Kind { kRtp, kRtcp };

struct Outcome {
  std::vector<Bytes> bufs;
  std::vector<Status> status;
};

// One engine call per burst, bursts of random sizes.
Outcome apply(Engine& e, Kind k, bool protect, const std::vector<Bytes>& in,
              const std::vector<Session*>& sessions, std::mt19937& rng) {
  Outcome r;
  r.bufs = in;
  r.status.assign(in.size(), Status::kError);
  for (auto& b : r.bufs) b.resize(b.size() + kMaxTrailer);
  std::size_t i = 0;
  while (i < in.size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 100, in.size() - i);
    std::vector<Op> ops(n);
    for (std::size_t j = 0; j < n; ++j) {
      ops[j] = Op{r.bufs[i + j].data(), static_cast<uint32_t>(in[i + j].size()),
                  static_cast<uint32_t>(r.bufs[i + j].size()), sessions[i + j]};
    }
    if (k == Kind::kRtp) {
      protect ? e.protect_rtp(ops) : e.unprotect_rtp(ops);
    } else {
      protect ? e.protect_rtcp(ops) : e.unprotect_rtcp(ops);
    }
    for (std::size_t j = 0; j < n; ++j) {
      r.status[i + j] = ops[j].status;
      r.bufs[i + j].resize(ops[j].status == Status::kOk ? ops[j].len : in[i + j].size());
    }
    i += n;
  }
  return r;
}

// Protect out of place, as the fan-out does: packet i's header is
// `headers[i]` (the subscriber's, rewritten), its payload is read from
// `src[i]` (the received packet, whose header differs). Each packet gets one
// buffer holding both; the output comes first in even packets and the
// source first in odd ones, so that the source lies after and before the
// output (the engine's offset to it wraps in one case).
Outcome protect_from(Engine& e, const std::vector<Bytes>& headers, const std::vector<Bytes>& src,
                     const std::vector<Session*>& sessions, std::mt19937& rng) {
  Outcome r;
  r.status.assign(src.size(), Status::kError);
  std::vector<Bytes> both(src.size());
  std::vector<uint8_t*> out(src.size());
  std::vector<const uint8_t*> from(src.size());
  for (std::size_t i = 0; i < src.size(); ++i) {
    const std::size_t half = src[i].size() + kMaxTrailer + 64;
    both[i].assign(2 * half, 0xee);
    uint8_t* o = both[i].data() + (i % 2 == 0 ? 0 : half);
    uint8_t* f = both[i].data() + (i % 2 == 0 ? half : 0);
    std::copy(headers[i].begin(), headers[i].end(), o);
    std::copy(src[i].begin(), src[i].end(), f);
    out[i] = o;
    from[i] = f;
  }
  std::size_t i = 0;
  while (i < src.size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 100, src.size() - i);
    std::vector<Op> ops(n);
    for (std::size_t j = 0; j < n; ++j) {
      ops[j] = Op{out[i + j],
                  static_cast<uint32_t>(src[i + j].size()),
                  static_cast<uint32_t>(src[i + j].size() + kMaxTrailer),
                  sessions[i + j],
                  Status::kError,
                  from[i + j]};
    }
    e.protect_rtp(ops);
    for (std::size_t j = 0; j < n; ++j) {
      r.status[i + j] = ops[j].status;
      const uint32_t len = ops[j].status == Status::kOk ? ops[j].len : 0;
      r.bufs.emplace_back(out[i + j], out[i + j] + len);
      EXPECT_TRUE(std::equal(src[i + j].begin(), src[i + j].end(), from[i + j]))
          << "packet " << i + j << ": the source is only read";
    }
    i += n;
  }
  return r;
}

class CrossCheck : public ::testing::TestWithParam<Profile> {
 protected:
  void SetUp() override {
    auto a = make_ipsecmb_engine();
    auto b = make_libsrtp_engine();
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok());
    ours = std::move(a).value();
    ref = std::move(b).value();
    std::mt19937 krng(static_cast<unsigned>(GetParam()) * 7919u);
    keys.profile = GetParam();
    for (auto& b8 : keys.master_key) b8 = static_cast<uint8_t>(krng());
    for (auto& b8 : keys.master_salt) b8 = static_cast<uint8_t>(krng());
  }
  void TearDown() override {
    for (Session* s : mine) ours->destroy_session(s);
    for (Session* s : theirs) ref->destroy_session(s);
  }
  Session* make(Engine& e, std::vector<Session*>& owned, Direction d, uint32_t ssrc) {
    SessionParams p;
    p.keys = keys;
    p.direction = d;
    p.ssrc = ssrc;
    auto s = e.create_session(p);
    EXPECT_TRUE(s.ok());
    owned.push_back(s.value());
    return s.value();
  }

  // Protect with both engines (the same input), compare; then each engine
  // unprotects the other's output; compare verdicts and plaintexts.
  void check(Kind k, const std::vector<Bytes>& plain, const std::vector<uint32_t>& ssrcs) {
    std::vector<Session*> tx_ours(plain.size()), tx_ref(plain.size());
    std::vector<Session*> rx_ours(plain.size()), rx_ref(plain.size());
    std::map<uint32_t, std::pair<Session*, Session*>> tx;
    Session* in_ours = make(*ours, mine, Direction::kInbound, 0);
    Session* in_ref = make(*ref, theirs, Direction::kInbound, 0);
    for (std::size_t i = 0; i < plain.size(); ++i) {
      auto it = tx.find(ssrcs[i]);
      if (it == tx.end()) {
        it =
            tx.emplace(ssrcs[i], std::make_pair(make(*ours, mine, Direction::kOutbound, ssrcs[i]),
                                                make(*ref, theirs, Direction::kOutbound, ssrcs[i])))
                .first;
      }
      tx_ours[i] = it->second.first;
      tx_ref[i] = it->second.second;
      rx_ours[i] = in_ours;
      rx_ref[i] = in_ref;
    }
    std::mt19937 brng(1234);
    const Outcome a = apply(*ours, k, true, plain, tx_ours, brng);
    const Outcome b = apply(*ref, k, true, plain, tx_ref, brng);
    std::size_t same = 0;
    for (std::size_t i = 0; i < plain.size(); ++i) {
      ASSERT_EQ(a.status[i], b.status[i]) << "packet " << i;
      ASSERT_EQ(a.bufs[i], b.bufs[i]) << "packet " << i << " differs after protect";
      same += a.status[i] == Status::kOk;
    }
    EXPECT_GT(same, plain.size() * 9 / 10);
    // Both ways: libsrtp2 opens ours, ours opens libsrtp2's.
    const Outcome c = apply(*ref, k, false, a.bufs, rx_ref, brng);
    const Outcome d = apply(*ours, k, false, b.bufs, rx_ours, brng);
    std::size_t opened = 0;
    for (std::size_t i = 0; i < plain.size(); ++i) {
      if (a.status[i] != Status::kOk) continue;
      ASSERT_EQ(c.status[i], d.status[i])
          << "packet " << i << ": libsrtp2 " << to_string(c.status[i]) << ", ipsec-mb "
          << to_string(d.status[i]);
      if (c.status[i] != Status::kOk) continue;
      ASSERT_EQ(c.bufs[i], plain[i]) << "packet " << i;
      ASSERT_EQ(d.bufs[i], plain[i]) << "packet " << i;
      ++opened;
    }
    EXPECT_GT(opened, plain.size() * 8 / 10);
  }

  std::unique_ptr<Engine> ours, ref;
  std::vector<Session*> mine, theirs;
  Keys keys;
};

TEST_P(CrossCheck, RandomRtpAcrossRocRollover) {
  std::mt19937 rng(42);
  std::vector<Bytes> plain;
  std::vector<uint32_t> ssrcs;
  const uint32_t streams[] = {0x11111111, 0x22222222, 0xdeadbeef};
  uint16_t seq[3] = {65400, 100, 32760};
  std::vector<std::pair<uint32_t, uint16_t>> sent;
  for (int i = 0; i < 3000; ++i) {
    const unsigned s = static_cast<unsigned>(rng() % 3);
    uint16_t q;
    if (!sent.empty() && rng() % 20 == 0) {
      // A retransmission of an index already protected (RTX reuses it).
      const auto& old = sent[sent.size() - 1 - rng() % std::min<std::size_t>(sent.size(), 50)];
      if (old.first != streams[s]) continue;
      q = old.second;
    } else {
      seq[s] = static_cast<uint16_t>(seq[s] + (rng() % 10 == 0 ? 1 + rng() % 100 : 1));
      q = seq[s];
    }
    plain.push_back(random_rtp(rng, streams[s], q));
    ssrcs.push_back(streams[s]);
    sent.emplace_back(streams[s], q);
  }
  check(Kind::kRtp, plain, ssrcs);
}

TEST_P(CrossCheck, ProtectOutOfPlaceGivesTheBytesOfInPlace) {
  std::mt19937 rng(5);
  // Received packets (SSRC 0x1234), and each as the subscriber's stream:
  // its own SSRC, sequence numbers across a ROC rollover, payload type and
  // marker; the payloads are the same.
  std::vector<Bytes> received, sent, headers;
  std::vector<Session*> in_place, ours_from, ref_from;
  Session* a = make(*ours, mine, Direction::kOutbound, 0x7007);
  Session* b = make(*ours, mine, Direction::kOutbound, 0x7007);
  Session* c = make(*ref, theirs, Direction::kOutbound, 0x7007);
  for (uint16_t i = 0; i < 2000; ++i) {
    Bytes p = random_rtp(rng, 0x1234, static_cast<uint16_t>(7 + i));
    Bytes q = p;
    store_be16(&q[2], static_cast<uint16_t>(65000 + i));
    store_be32(&q[8], 0x7007);
    q[1] = static_cast<uint8_t>(((q[1] ^ 0x80) & 0x80) | ((q[1] + 1) & 0x7f));  // M, PT
    const uint32_t hdr = pkt::rtp_header_len(q.data(), static_cast<uint32_t>(q.size()));
    headers.emplace_back(q.begin(), q.begin() + hdr);
    received.push_back(std::move(p));
    sent.push_back(std::move(q));
    in_place.push_back(a);
    ours_from.push_back(b);
    ref_from.push_back(c);
  }
  std::mt19937 brng(77);
  const Outcome want = apply(*ours, Kind::kRtp, true, sent, in_place, brng);
  const Outcome got = protect_from(*ours, headers, received, ours_from, brng);
  const Outcome ref_got = protect_from(*ref, headers, received, ref_from, brng);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    ASSERT_EQ(want.status[i], Status::kOk) << i;
    ASSERT_EQ(got.status[i], Status::kOk) << i;
    ASSERT_EQ(ref_got.status[i], Status::kOk) << i;
    ASSERT_EQ(got.bufs[i], want.bufs[i]) << "packet " << i << ", ipsec-mb";
    ASSERT_EQ(ref_got.bufs[i], want.bufs[i]) << "packet " << i << ", libsrtp2";
  }
}

TEST_P(CrossCheck, RandomRtcp) {
  std::mt19937 rng(7);
  std::vector<Bytes> plain;
  std::vector<uint32_t> ssrcs;
  const uint32_t streams[] = {0x01020304, 0xa0b0c0d0};
  for (int i = 0; i < 1500; ++i) {
    const uint32_t s = streams[rng() % 2];
    plain.push_back(random_rtcp(rng, s));
    ssrcs.push_back(s);
  }
  check(Kind::kRtcp, plain, ssrcs);
}

// Any one flipped bit, and any truncation, of an authentic packet is refused.
TEST_P(CrossCheck, EveryTamperAndTruncationIsRejected) {
  std::mt19937 rng(99);
  for (Kind k : {Kind::kRtp, Kind::kRtcp}) {
    std::vector<Bytes> plain;
    std::vector<Session*> tx, rx;
    Session* out = make(*ours, mine, Direction::kOutbound, 0x5151);
    Session* in = make(*ours, mine, Direction::kInbound, 0);
    for (uint16_t i = 0; i < 300; ++i) {
      plain.push_back(k == Kind::kRtp ? random_rtp(rng, 0x5151, i) : random_rtcp(rng, 0x5151));
      tx.push_back(out);
      rx.push_back(in);
    }
    const Outcome a = apply(*ours, k, true, plain, tx, rng);
    std::vector<Bytes> bad;
    for (const Bytes& b : a.bufs) {
      Bytes t = b;
      const std::size_t bit = rng() % (8 * t.size());
      t[bit / 8] = static_cast<uint8_t>(t[bit / 8] ^ (1u << (bit % 8)));
      bad.push_back(t);
      Bytes cut = b;
      cut.resize(rng() % b.size());
      bad.push_back(cut);
    }
    std::vector<Session*> rx2(bad.size(), in);
    const Outcome r = apply(*ours, k, false, bad, rx2, rng);
    for (std::size_t i = 0; i < bad.size(); ++i) {
      EXPECT_NE(r.status[i], Status::kOk) << (k == Kind::kRtp ? "rtp " : "rtcp ") << i;
    }
    // The authentic packets still open afterwards: nothing above moved state.
    const Outcome good = apply(*ours, k, false, a.bufs, rx, rng);
    for (std::size_t i = 0; i < plain.size(); ++i) {
      ASSERT_EQ(good.status[i], Status::kOk) << i << " " << to_string(good.status[i]);
      EXPECT_EQ(good.bufs[i], plain[i]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, CrossCheck,
                         ::testing::Values(Profile::kAes128CmHmacSha1_80,
                                           Profile::kAes128CmHmacSha1_32, Profile::kAeadAes128Gcm),
                         [](const auto& p) {
                           return p.param == Profile::kAeadAes128Gcm ? std::string("GCM")
                                  : p.param == Profile::kAes128CmHmacSha1_32
                                      ? std::string("SHA1_32")
                                      : std::string("SHA1_80");
                         });

}  // namespace
}  // namespace edgesfu::dp::srtp
