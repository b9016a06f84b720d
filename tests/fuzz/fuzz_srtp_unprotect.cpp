// libFuzzer: SRTP/SRTCP unprotect in the intel-ipsec-mb engine, every profile.
// The first byte picks the profile, RTP or RTCP, and the mode:
//   raw:        the rest is a packet off the wire, unprotected by a long-lived
//               any-SSRC session (its streams and windows fill up over a run);
//   round trip: the rest is a plaintext; protected, it must open to the same
//               bytes, and with one bit flipped (byte 1 picks which) it must not.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/srtp/srtp_engine.hpp"

using namespace edgesfu::dp::srtp;

namespace {

Engine& engine() {
  static std::unique_ptr<Engine> e = [] {
    auto r = make_ipsecmb_engine();
    if (!r) __builtin_trap();
    return std::move(r).value();
  }();
  return *e;
}

Keys keys(Profile p) {
  Keys k;
  k.profile = p;
  for (std::size_t i = 0; i < k.master_key.size(); ++i) k.master_key[i] = static_cast<uint8_t>(i * 7);
  for (std::size_t i = 0; i < k.master_salt.size(); ++i) k.master_salt[i] = static_cast<uint8_t>(i * 13);
  return k;
}

Session* session(Profile p, Direction d, uint32_t ssrc) {
  SessionParams sp;
  sp.keys = keys(p);
  sp.direction = d;
  sp.ssrc = ssrc;
  auto s = engine().create_session(sp);
  if (!s) __builtin_trap();
  return s.value();
}

Status run(bool rtcp, bool protect, Session* s, std::vector<uint8_t>& buf, uint32_t len) {
  buf.resize(len + kMaxTrailer);
  Op op{buf.data(), len, static_cast<uint32_t>(buf.size()), s};
  if (rtcp) {
    protect ? engine().protect_rtcp({&op, 1}) : engine().unprotect_rtcp({&op, 1});
  } else {
    protect ? engine().protect_rtp({&op, 1}) : engine().unprotect_rtp({&op, 1});
  }
  if (op.status == Status::kOk) {
    if (op.len > len + kMaxTrailer || (!protect && op.len > len)) __builtin_trap();
    buf.resize(op.len);
  } else {
    buf.resize(len);
  }
  return op.status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 4096) return 0;
  static const Profile profiles[] = {Profile::kAes128CmHmacSha1_80, Profile::kAes128CmHmacSha1_32,
                                     Profile::kAeadAes128Gcm};
  const Profile prof = profiles[data[0] % 3];
  const bool rtcp = (data[0] >> 2) & 1;
  const bool round_trip = (data[0] >> 3) & 1;
  const uint8_t flip = data[1];
  std::vector<uint8_t> pkt(data + 2, data + size);
  const auto len = static_cast<uint32_t>(pkt.size());

  if (!round_trip) {
    static Session* inbound[3] = {session(profiles[0], Direction::kInbound, 0),
                                  session(profiles[1], Direction::kInbound, 0),
                                  session(profiles[2], Direction::kInbound, 0)};
    (void)run(rtcp, false, inbound[data[0] % 3], pkt, len);
    return 0;
  }

  const std::size_t ssrc_at = rtcp ? 4 : 8;
  const uint32_t ssrc = pkt.size() >= ssrc_at + 4 ? edgesfu::dp::pkt::load_be32(pkt.data() + ssrc_at) : 1;
  Session* out = session(prof, Direction::kOutbound, ssrc == 0 ? 1 : ssrc);
  Session* in = session(prof, Direction::kInbound, 0);
  Session* in2 = session(prof, Direction::kInbound, 0);
  const std::vector<uint8_t> plain = pkt;
  if (run(rtcp, true, out, pkt, len) == Status::kOk) {
    std::vector<uint8_t> tampered = pkt;
    const std::size_t bit = (static_cast<std::size_t>(flip) * 131) % (tampered.size() * 8);
    tampered[bit / 8] = static_cast<uint8_t>(tampered[bit / 8] ^ (1u << (bit % 8)));
    if (run(rtcp, false, in, pkt, static_cast<uint32_t>(pkt.size())) != Status::kOk) __builtin_trap();
    if (pkt != plain) __builtin_trap();
    // 2^-32 forgery odds with the 32-bit tag: not worth a false alarm.
    if (run(rtcp, false, in2, tampered, static_cast<uint32_t>(tampered.size())) == Status::kOk &&
        prof != Profile::kAes128CmHmacSha1_32) {
      __builtin_trap();
    }
  }
  engine().destroy_session(out);
  engine().destroy_session(in);
  engine().destroy_session(in2);
  return 0;
}
