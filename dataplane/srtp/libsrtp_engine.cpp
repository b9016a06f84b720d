// The libsrtp2 engine: one srtp_t per Session, packets one at a time (libsrtp
// has no burst API; the burst interface still saves the caller's dispatch).
#include <srtp2/srtp.h>

#include <cstring>
#include <mutex>

#include "dataplane/pkt/rtp.hpp"
#include "dataplane/srtp/srtp_engine.hpp"

namespace edgesfu::dp::srtp {

namespace {

struct LibsrtpSession final : Session {
  srtp_t ctx = nullptr;
};

srtp_t ctx_of(Session* s) { return static_cast<LibsrtpSession*>(s)->ctx; }

Status map_status(srtp_err_status_t e) {
  switch (e) {
    case srtp_err_status_ok: return Status::kOk;
    case srtp_err_status_auth_fail: return Status::kAuthFail;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return Status::kReplay;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err: return Status::kMalformed;
    case srtp_err_status_no_ctx: return Status::kUnknownSsrc;
    default: return Status::kError;
  }
}

class LibsrtpEngine final : public Engine {
 public:
  const char* name() const override { return "libsrtp2"; }

  Result<Session*> create_session(const SessionParams& p) override {
    srtp_policy_t pol;
    std::memset(&pol, 0, sizeof pol);
    switch (p.keys.profile) {
      case Profile::kAes128CmHmacSha1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
        break;
      case Profile::kAes128CmHmacSha1_32:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);  // RFC 5764 §4.1.2
        break;
      case Profile::kAeadAes128Gcm:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
        break;
      default: return make_error("srtp: unsupported profile");
    }
    // libsrtp takes master key || master salt in one buffer.
    uint8_t key[16 + 14];
    const std::size_t klen = master_key_len(p.keys.profile);
    const std::size_t slen = master_salt_len(p.keys.profile);
    std::memcpy(key, p.keys.master_key.data(), klen);
    std::memcpy(key + klen, p.keys.master_salt.data(), slen);
    pol.key = key;
    if (p.direction == Direction::kInbound && p.ssrc == 0) {
      pol.ssrc.type = ssrc_any_inbound;
    } else {
      pol.ssrc.type = ssrc_specific;
      pol.ssrc.value = p.ssrc;
    }
    pol.window_size = p.replay_window < 64 ? 64 : p.replay_window;
    pol.allow_repeat_tx = p.direction == Direction::kOutbound && p.allow_retransmit ? 1 : 0;
    auto s = std::make_unique<LibsrtpSession>();
    const srtp_err_status_t rc = srtp_create(&s->ctx, &pol);
    std::memset(key, 0, sizeof key);
    if (rc != srtp_err_status_ok) {
      return make_error("srtp_create failed: status " + std::to_string(static_cast<int>(rc)));
    }
    return s.release();
  }

  void destroy_session(Session* s) override {
    if (s == nullptr) return;
    auto* ls = static_cast<LibsrtpSession*>(s);
    if (ls->ctx != nullptr) srtp_dealloc(ls->ctx);
    delete ls;
  }

  void protect_rtp(std::span<Op> ops) override {
    for (Op& op : ops) {
      if (op.room < op.len + kMaxTrailer) {
        op.status = Status::kNoRoom;
        continue;
      }
      if (op.src != nullptr) {  // libsrtp works in place: the payload first
        const uint32_t hdr = pkt::rtp_header_len(op.data, op.len);
        if (hdr == 0) {
          op.status = Status::kMalformed;
          continue;
        }
        std::memcpy(op.data + hdr, op.src + hdr, op.len - hdr);
      }
      int len = static_cast<int>(op.len);
      op.status = map_status(srtp_protect(ctx_of(op.session), op.data, &len));
      if (op.status == Status::kOk) op.len = static_cast<uint32_t>(len);
    }
  }

  void unprotect_rtp(std::span<Op> ops) override {
    for (Op& op : ops) {
      int len = static_cast<int>(op.len);
      op.status = map_status(srtp_unprotect(ctx_of(op.session), op.data, &len));
      if (op.status == Status::kOk) op.len = static_cast<uint32_t>(len);
    }
  }

  void protect_rtcp(std::span<Op> ops) override {
    for (Op& op : ops) {
      if (op.room < op.len + kMaxTrailer) {
        op.status = Status::kNoRoom;
        continue;
      }
      int len = static_cast<int>(op.len);
      op.status = map_status(srtp_protect_rtcp(ctx_of(op.session), op.data, &len));
      if (op.status == Status::kOk) op.len = static_cast<uint32_t>(len);
    }
  }

  void unprotect_rtcp(std::span<Op> ops) override {
    for (Op& op : ops) {
      int len = static_cast<int>(op.len);
      op.status = map_status(srtp_unprotect_rtcp(ctx_of(op.session), op.data, &len));
      if (op.status == Status::kOk) op.len = static_cast<uint32_t>(len);
    }
  }
};

}  // namespace

Result<std::unique_ptr<Engine>> make_libsrtp_engine() {
  // srtp_init is process-wide and not reentrant; once is enough.
  static std::once_flag once;
  static srtp_err_status_t init_rc = srtp_err_status_ok;
  std::call_once(once, [] { init_rc = srtp_init(); });
  if (init_rc != srtp_err_status_ok) {
    return make_error("srtp_init failed: status " + std::to_string(static_cast<int>(init_rc)));
  }
  return std::unique_ptr<Engine>(new LibsrtpEngine());
}

const char* to_string(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kAuthFail: return "auth_fail";
    case Status::kReplay: return "replay";
    case Status::kMalformed: return "malformed";
    case Status::kUnknownSsrc: return "unknown_ssrc";
    case Status::kNoRoom: return "no_room";
    case Status::kError: return "error";
  }
  return "?";
}

}  // namespace edgesfu::dp::srtp
