// The STUN codec of the ICE-lite agent against RFC 5769's test vectors, and
// the answers it writes read back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "slowpath/ice/stun.hpp"

namespace edgesfu::sp::ice::stun {
namespace {

// RFC 5769 §2.1: a Binding Request with SOFTWARE, PRIORITY, ICE-CONTROLLED,
// USERNAME, MESSAGE-INTEGRITY and FINGERPRINT.
const std::vector<uint8_t> kSampleRequest = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};
constexpr const char* kSamplePassword = "VOkJxbRl1RmTxUk/WvJxBt";

TransactionId sample_txid() {
  TransactionId t;
  std::copy(kSampleRequest.begin() + 8, kSampleRequest.begin() + 20, t.begin());
  return t;
}

// Finds attribute `type` in a message we wrote; empty when absent.
std::vector<uint8_t> attr(const std::vector<uint8_t>& m, uint16_t type) {
  for (std::size_t off = kHeaderSize; off + 4 <= m.size();) {
    const uint16_t t = static_cast<uint16_t>(m[off] << 8 | m[off + 1]);
    const std::size_t len = static_cast<std::size_t>(m[off + 2] << 8 | m[off + 3]);
    if (t == type)
      return {m.begin() + static_cast<std::ptrdiff_t>(off + 4),
              m.begin() + static_cast<std::ptrdiff_t>(off + 4 + len)};
    off += 4 + ((len + 3) & ~std::size_t{3});
  }
  return {};
}

TEST(StunTest, ParsesTheRfc5769SampleRequest) {
  BindingRequest r;
  ASSERT_EQ(parse_binding_request(kSampleRequest, r), ParseResult::kOk);
  EXPECT_EQ(r.username, "evtj:h6vY");
  EXPECT_TRUE(r.has_integrity);
  EXPECT_TRUE(r.has_fingerprint);
  EXPECT_EQ(r.priority, 0x6e0001ffu);
  EXPECT_TRUE(r.controlled);
  EXPECT_FALSE(r.controlling);
  EXPECT_FALSE(r.use_candidate);
  EXPECT_EQ(r.tie_breaker, 0x932ff9b151263b36ull);
  EXPECT_TRUE(r.unknown_required.empty());  // SOFTWARE is comprehension-optional
  EXPECT_EQ(r.txid, sample_txid());
}

TEST(StunTest, IntegrityMatchesOnlyTheRightPassword) {
  EXPECT_TRUE(check_integrity(kSampleRequest, kSamplePassword));
  EXPECT_FALSE(check_integrity(kSampleRequest, "VOkJxbRl1RmTxUk/WvJxBT"));
  auto tampered = kSampleRequest;
  tampered[45] ^= 1;  // inside PRIORITY
  EXPECT_FALSE(check_integrity(tampered, kSamplePassword));
}

TEST(StunTest, BadFingerprintIsDiscarded) {
  auto m = kSampleRequest;
  m.back() ^= 0x01;
  BindingRequest r;
  EXPECT_EQ(parse_binding_request(m, r), ParseResult::kBadFingerprint);
}

TEST(StunTest, FramingErrors) {
  BindingRequest r;
  EXPECT_EQ(parse_binding_request({}, r), ParseResult::kNotStun);
  auto m = kSampleRequest;
  m[4] = 0;  // magic cookie
  EXPECT_EQ(parse_binding_request(m, r), ParseResult::kNotStun);
  m = kSampleRequest;
  m.pop_back();  // length no longer matches
  EXPECT_EQ(parse_binding_request(m, r), ParseResult::kNotStun);
  m = kSampleRequest;
  m[1] = 0x11;  // a Binding Indication
  EXPECT_EQ(parse_binding_request(m, r), ParseResult::kNotRequest);
  m = kSampleRequest;
  m[23] = 0xff;  // SOFTWARE's length runs past the message
  EXPECT_EQ(parse_binding_request(m, r), ParseResult::kMalformed);
  m = kSampleRequest;
  m[43] = 0x05;  // PRIORITY with length 5 (then misaligned)
  EXPECT_EQ(parse_binding_request(m, r), ParseResult::kMalformed);
}

TEST(StunTest, UnknownComprehensionRequiredAttributeIsReported) {
  auto m = kSampleRequest;
  m[20] = 0x00;  // SOFTWARE 0x8022 -> 0x0022, comprehension-required and unknown
  BindingRequest r;
  ASSERT_EQ(parse_binding_request(m, r), ParseResult::kBadFingerprint);  // the CRC covers it
  // Recompute nothing: strip FINGERPRINT instead (a peer may omit it).
  m.resize(m.size() - 8);
  m[3] = static_cast<uint8_t>(m[3] - 8);
  ASSERT_EQ(parse_binding_request(m, r), ParseResult::kOk);
  ASSERT_EQ(r.unknown_required.size(), 1u);
  EXPECT_EQ(r.unknown_required[0], 0x0022);
  EXPECT_FALSE(r.has_fingerprint);
}

// RFC 5769 §2.2 and §2.3: the XOR-MAPPED-ADDRESS values for the sample
// transaction; our answers must carry the same bytes, verify with the
// password, and end in a valid FINGERPRINT.
TEST(StunTest, SuccessResponseMatchesRfc5769Addresses) {
  dp::pkt::IpAddr v4;
  v4.family = 4;
  v4.b[0] = 192, v4.b[1] = 0, v4.b[2] = 2, v4.b[3] = 1;
  const auto r4 = binding_success(sample_txid(), v4, 32853, kSamplePassword);
  EXPECT_EQ(attr(r4, 0x0020),
            (std::vector<uint8_t>{0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43}));
  EXPECT_TRUE(check_integrity(r4, kSamplePassword));
  EXPECT_EQ(r4[0], 0x01);
  EXPECT_EQ(r4[1], 0x01);
  EXPECT_EQ(attr(r4, 0x8028).size(), 4u);

  dp::pkt::IpAddr v6;
  v6.family = 6;
  const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                          0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  std::copy(a6, a6 + 16, v6.b.begin());
  const auto r6 = binding_success(sample_txid(), v6, 32853, kSamplePassword);
  EXPECT_EQ(attr(r6, 0x0020),
            (std::vector<uint8_t>{0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3,
                                  0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9}));
  EXPECT_TRUE(check_integrity(r6, kSamplePassword));
}

TEST(StunTest, ErrorResponsesCarryCodeAndAttributes) {
  const uint16_t unknown[] = {0x0022, 0x0033};
  const auto e = binding_error(sample_txid(), 420, "Unknown Attribute", kSamplePassword, unknown);
  EXPECT_EQ(e[0], 0x01);
  EXPECT_EQ(e[1], 0x11);
  const auto code = attr(e, 0x0009);
  ASSERT_GE(code.size(), 4u);
  EXPECT_EQ(code[2], 4);
  EXPECT_EQ(code[3], 20);
  EXPECT_EQ(attr(e, 0x000A), (std::vector<uint8_t>{0x00, 0x22, 0x00, 0x33}));
  EXPECT_TRUE(check_integrity(e, kSamplePassword));
  const auto e401 = binding_error(sample_txid(), 401, "Unauthorized");
  EXPECT_TRUE(attr(e401, 0x0008).empty());  // no integrity without a key
  EXPECT_EQ(attr(e401, 0x0009)[2], 4);
  EXPECT_EQ(attr(e401, 0x0009)[3], 1);
}

}  // namespace
}  // namespace edgesfu::sp::ice::stun
