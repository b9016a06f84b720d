// The intel-ipsec-mb engine: SRTP/SRTCP (RFC 3711) and AEAD AES-GCM (RFC 7714)
// on the library's job API, a burst of jobs per submit so that the
// multi-buffer code paths (SHA-1 lanes, VAES) have many packets in flight.
//
// Each burst goes in three passes: prefetch the sessions, build one job per
// packet (index estimate, IV, where the tag goes), submit and collect. Replay
// state changes only after a packet's tag verified, in packet order.
#include <intel-ipsec-mb.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <string_view>
#include <unordered_map>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/rtp.hpp"
#include "dataplane/srtp/ipsecmb_session.hpp"

namespace edgesfu::dp::srtp {

namespace imb {
namespace {

constexpr uint32_t kChunk = 64;        // jobs per submit (<= IMB_MAX_BURST_SIZE)
constexpr unsigned kMaxThreads = 256;  // threads that may call one engine
constexpr uint32_t kMaxPacket = 65535 - 32;
constexpr uint8_t kHmacOut = 12;  // the shortest HMAC-SHA1 output the library makes

using pkt::load_be16;
using pkt::load_be32;
using pkt::load_be64;
using pkt::rtp_header_len;
using pkt::store_be32;
using pkt::store_be64;

bool tag_equal(const uint8_t* a, const uint8_t* b, unsigned n) {
  uint8_t d = 0;
  for (unsigned i = 0; i < n; ++i) d |= static_cast<uint8_t>(a[i] ^ b[i]);
  return d == 0;
}

// Per job: IV, computed tag, the received tag, AAD, and what the commit needs.
struct alignas(64) Pending {
  uint8_t iv[16];
  uint8_t tag[16];
  uint8_t saved[16];
  uint8_t aad[16];
  Op* op;
  ImbSession* s;
  uint64_t index;
  uint32_t ssrc;
  uint8_t tag_len;
};

// Inbound SSRCs with no stream yet, seen earlier in the same chunk: their
// indices are estimated from the chunk's earlier packets (a new stream may
// roll its sequence number over inside its first burst).
struct Provisional {
  const ImbSession* s;
  uint32_t ssrc;
  uint64_t highest;
};

struct ThreadCtx {
  IMB_MGR* mgr = nullptr;
  uint32_t nprov = 0;
  Pending pend[kChunk];
  Provisional prov[kChunk];
};

thread_local ThreadCtx* t_building = nullptr;  // the chunk being built on this thread

std::atomic<unsigned> g_next_thread{0};
thread_local unsigned t_thread = g_next_thread.fetch_add(1, std::memory_order_relaxed);

using InitFn = void (*)(IMB_MGR*);

// AES-CM IV (RFC 3711 §4.1.1): salt XOR SSRC << 64 XOR index << 16. Built in
// two 64-bit words and stored once (byte-wise XORs over a fresh copy of the
// salt stall on store forwarding).
void cm_iv(uint8_t iv[16], const uint8_t salt[16], uint32_t ssrc, uint64_t index) {
  const uint64_t hi = load_be64(salt) ^ ssrc;
  const uint64_t lo = (load_be64(salt + 8) & ~uint64_t{0xffff}) ^ (index << 16);
  store_be64(iv, hi);
  store_be64(iv + 8, lo);
}

// GCM IV (RFC 7714 §8.1, §9.1): the 12-byte salt XOR (00 00 || SSRC || mid
// (4 bytes) || low (2 bytes)). Bytes 12-15 are not read by the library.
void gcm_iv(uint8_t iv[16], const uint8_t salt[16], uint32_t ssrc, uint32_t mid, uint16_t low) {
  const uint64_t hi = load_be64(salt) ^ (static_cast<uint64_t>(ssrc) << 16) ^ (mid >> 16);
  const uint64_t lo = load_be64(salt + 8) ^ (static_cast<uint64_t>(mid & 0xffff) << 48) ^
                      (static_cast<uint64_t>(low) << 32);
  store_be64(iv, hi);
  store_be64(iv + 8, lo);
}

// The library reads a job's cipher input at src + its offset and writes it
// to dst. Out of place (Op::src) that input is in another buffer, so its
// offset from `data` is a 64-bit difference that may wrap; src stays `data`,
// where HMAC reads the packet as the cipher wrote it. (DPDK's aesni_mb PMD
// points an out-of-place hash at its dst with such an offset.)
uint64_t offset_to(const uint8_t* data, const uint8_t* in) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(in) - reinterpret_cast<uintptr_t>(data));
}

// `tag_out` receives kHmacOut bytes: on protect the packet's own trailer
// (the room check leaves kMaxTrailer; bytes past the tag are not sent), so
// no copy follows the library's store; on unprotect the scratch to compare.
// `cipher_in`: where the cipher's input is, if not in place.
void set_cm_job(IMB_JOB* j, const CmKeys& k, IMB_CIPHER_DIRECTION dir, uint8_t* data,
                uint32_t cipher_off, uint32_t cipher_len, uint32_t hash_len, uint8_t* tag_out,
                Pending& p, const uint8_t* cipher_in = nullptr) {
  j->cipher_mode = cipher_len == 0 ? IMB_CIPHER_NULL : IMB_CIPHER_CNTR;
  j->cipher_direction = dir;
  j->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
  j->hash_alg = IMB_AUTH_HMAC_SHA_1;
  j->key_len_in_bytes = IMB_KEY_128_BYTES;
  j->enc_keys = k.aes_enc;
  j->dec_keys = k.aes_enc;
  j->src = data;
  j->dst = data + cipher_off;
  j->cipher_start_src_offset_in_bytes =
      cipher_in == nullptr ? cipher_off : offset_to(data, cipher_in);
  j->msg_len_to_cipher_in_bytes = cipher_len;
  j->hash_start_src_offset_in_bytes = 0;
  j->msg_len_to_hash_in_bytes = hash_len;
  j->iv = p.iv;
  j->iv_len_in_bytes = 16;
  j->auth_tag_output = tag_out;
  j->auth_tag_output_len_in_bytes = kHmacOut;
  j->u.HMAC._hashed_auth_key_xor_ipad = k.ipad;
  j->u.HMAC._hashed_auth_key_xor_opad = k.opad;
  j->user_data = &p;
}

void set_gcm_job(IMB_JOB* j, const GcmKeys& k, IMB_CIPHER_DIRECTION dir, uint8_t* data,
                 uint32_t cipher_off, uint32_t cipher_len, const uint8_t* aad, uint32_t aad_len,
                 uint8_t* tag_out, Pending& p, const uint8_t* cipher_in = nullptr) {
  j->cipher_mode = IMB_CIPHER_GCM;
  j->cipher_direction = dir;
  j->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
  j->hash_alg = IMB_AUTH_AES_GMAC;
  j->key_len_in_bytes = IMB_KEY_128_BYTES;
  j->enc_keys = &k.gcm;
  j->dec_keys = &k.gcm;
  j->src = data;
  j->dst = data + cipher_off;
  j->cipher_start_src_offset_in_bytes =
      cipher_in == nullptr ? cipher_off : offset_to(data, cipher_in);
  j->msg_len_to_cipher_in_bytes = cipher_len;
  j->hash_start_src_offset_in_bytes = j->cipher_start_src_offset_in_bytes;
  j->msg_len_to_hash_in_bytes = cipher_len;
  j->iv = p.iv;
  j->iv_len_in_bytes = 12;
  j->u.GCM.aad = aad;
  j->u.GCM.aad_len_in_bytes = aad_len;
  j->auth_tag_output = tag_out;
  j->auth_tag_output_len_in_bytes = 16;
  j->user_data = &p;
}

bool is_gcm(const ImbSession* s) { return s->profile == Profile::kAeadAes128Gcm; }

// The stream of `ssrc` in session `s`, made now if the session takes any
// SSRC and has room; kMaxStreams if not. Outbound packets claim a stream at
// once (nothing to authenticate), inbound ones only once their tag verified.
unsigned find_or_make_stream(ImbSession* s, uint32_t ssrc) {
  unsigned i = s->find(ssrc);
  if (i != kMaxStreams || !s->any_ssrc || s->nstreams == kMaxStreams) return i;
  i = s->nstreams++;
  s->stream(i) = StreamState{};
  s->stream(i).ssrc = ssrc;
  s->windows[i] = Windows{};
  return i;
}

class ImbEngine final : public Engine {
 public:
  ImbEngine(IMB_MGR* slow, InitFn init, IpsecMbArch arch) : slow_(slow), init_(init), arch_(arch) {
    for (auto& c : ctx_) c.store(nullptr, std::memory_order_relaxed);
  }
  ~ImbEngine() override {
    for (auto& c : ctx_) {
      ThreadCtx* t = c.load(std::memory_order_acquire);
      if (t == nullptr) continue;
      free_mb_mgr(t->mgr);
      delete t;
    }
    free_mb_mgr(slow_);
  }

  const char* name() const override { return "ipsec-mb"; }
  IpsecMbArch arch() const { return arch_; }
  uint64_t features() const { return slow_->features; }

  Result<Session*> create_session(const SessionParams& p) override {
    switch (p.keys.profile) {
      case Profile::kAes128CmHmacSha1_80:
      case Profile::kAes128CmHmacSha1_32:
      case Profile::kAeadAes128Gcm: break;
      default: return make_error("srtp: unsupported profile");
    }
    auto* s = new (std::align_val_t{64}, std::nothrow) ImbSession();
    if (s == nullptr) return make_error("srtp: out of memory for a session");
    s->windows = new (std::nothrow) Windows[p.ssrc == 0 ? kMaxStreams : 1];
    if (s->windows == nullptr) {
      destroy_session(s);
      return make_error("srtp: out of memory for a session");
    }
    s->profile = p.keys.profile;
    s->direction = p.direction;
    s->allow_retransmit = p.allow_retransmit;
    s->window = static_cast<uint16_t>(p.replay_window < 64               ? 64
                                      : p.replay_window > kRtpWindowBits ? kRtpWindowBits
                                                                         : p.replay_window);
    s->rtp_tag_len = static_cast<uint8_t>(rtp_overhead(p.keys.profile));
    s->any_ssrc = p.ssrc == 0;
    if (p.ssrc != 0) {
      s->stream0.ssrc = p.ssrc;
      s->nstreams = 1;
    }
    KeySet* k;
    {
      std::lock_guard<std::mutex> lock(slow_mu_);
      k = acquire_keys(p.keys);
    }
    if (k == nullptr) {
      destroy_session(s);
      return make_error("srtp: ipsec-mb key setup failed");
    }
    s->keys = k;
    std::memcpy(s->rtp_salt, k->rtp_salt, sizeof s->rtp_salt);
    return s;
  }

  void destroy_session(Session* s) override {
    if (s == nullptr) return;
    auto* is = static_cast<ImbSession*>(s);
    if (is->keys != nullptr) {
      std::lock_guard<std::mutex> lock(slow_mu_);
      release_keys(is->keys);
    }
    delete[] is->windows;
    is->~ImbSession();
    wipe(is, sizeof(ImbSession));
    ::operator delete (is, std::align_val_t{64});
  }

  bool prepare_thread() override { return thread_ctx() != nullptr; }

  void protect_rtp(std::span<Op> ops) override {
    run(
        ops, [](Op& op, Pending& p, IMB_JOB* j) { return build_protect_rtp(op, p, j); },
        [](Pending& p, bool ok) { finish_protect_rtp(p, ok); });
  }
  void unprotect_rtp(std::span<Op> ops) override {
    run(
        ops, [](Op& op, Pending& p, IMB_JOB* j) { return build_unprotect_rtp(op, p, j); },
        [](Pending& p, bool ok) { finish_unprotect_rtp(p, ok); });
  }
  void protect_rtcp(std::span<Op> ops) override {
    run(
        ops, [](Op& op, Pending& p, IMB_JOB* j) { return build_protect_rtcp(op, p, j); },
        [](Pending& p, bool ok) { finish_protect_rtcp(p, ok); });
  }
  void unprotect_rtcp(std::span<Op> ops) override {
    run(
        ops, [](Op& op, Pending& p, IMB_JOB* j) { return build_unprotect_rtcp(op, p, j); },
        [](Pending& p, bool ok) { finish_unprotect_rtcp(p, ok); });
  }

 private:
  ThreadCtx* thread_ctx() {
    const unsigned id = t_thread;
    if (id >= kMaxThreads) return nullptr;
    ThreadCtx* t = ctx_[id].load(std::memory_order_acquire);
    if (t != nullptr) return t;
    IMB_MGR* m = alloc_mb_mgr(0);
    if (m == nullptr) return nullptr;
    init_(m);
    if (imb_get_errno(m) != 0) {
      free_mb_mgr(m);
      return nullptr;
    }
    t = new (std::nothrow) ThreadCtx();
    if (t == nullptr) {
      free_mb_mgr(m);
      return nullptr;
    }
    t->mgr = m;
    ctx_[id].store(t, std::memory_order_release);
    return t;
  }

  template <class Build, class Finish>
  void run(std::span<Op> ops, Build build, Finish finish) {
    ThreadCtx* t = thread_ctx();
    if (t == nullptr) {
      for (Op& op : ops) op.status = Status::kError;
      return;
    }
    IMB_MGR* mgr = t->mgr;
    for (std::size_t base = 0; base < ops.size(); base += kChunk) {
      const uint32_t n =
          static_cast<uint32_t>(ops.size() - base < kChunk ? ops.size() - base : kChunk);
      for (uint32_t i = 0; i < n; ++i) __builtin_prefetch(ops[base + i].session, 1);
      IMB_JOB* jobs[kChunk];
      const uint32_t got = IMB_GET_NEXT_BURST(mgr, n, jobs);
      t->nprov = 0;
      t_building = t;
      uint32_t nj = 0;
      for (uint32_t i = 0; i < n; ++i) {
        Op& op = ops[base + i];
        if (i >= got) {
          op.status = Status::kError;
          continue;
        }
        Pending& p = t->pend[nj];
        p.op = &op;
        op.status = Status::kError;  // until its job completes
        if (build(op, p, jobs[nj])) ++nj;
      }
      if (nj == 0) continue;
      uint32_t done = IMB_SUBMIT_BURST_NOCHECK(mgr, nj, jobs);
      if (done == 0 && imb_get_errno(mgr) != 0) {
        for (uint32_t k = 0; k < nj; ++k) t->pend[k].op->status = Status::kError;
        continue;
      }
      for (uint32_t k = 0; k < done; ++k) {
        finish(*static_cast<Pending*>(jobs[k]->user_data), jobs[k]->status == IMB_STATUS_COMPLETED);
      }
      while (done < nj) {
        const uint32_t f = IMB_FLUSH_BURST(mgr, nj - done, jobs);
        if (f == 0) break;
        for (uint32_t k = 0; k < f; ++k) {
          finish(*static_cast<Pending*>(jobs[k]->user_data),
                 jobs[k]->status == IMB_STATUS_COMPLETED);
        }
        done += f;
      }
    }
  }

  // ---- SRTP protect
  static bool build_protect_rtp(Op& op, Pending& p, IMB_JOB* j) {
    auto* s = static_cast<ImbSession*>(op.session);
    if (op.len > kMaxPacket || op.room < op.len + kMaxTrailer) {
      op.status = Status::kNoRoom;
      return false;
    }
    const uint32_t hdr = rtp_header_len(op.data, op.len);
    if (hdr == 0) {
      op.status = Status::kMalformed;
      return false;
    }
    const uint32_t ssrc = load_be32(op.data + 8);
    const unsigned si = find_or_make_stream(s, ssrc);
    if (si == kMaxStreams) {
      op.status = Status::kUnknownSsrc;
      return false;
    }
    const uint64_t index = estimate_index(s->stream(si).highest, load_be16(op.data + 2));
    if (!check_outbound(s, si, index)) {
      op.status = Status::kReplay;
      return false;
    }
    p.s = s;
    p.tag_len = s->rtp_tag_len;
    const uint32_t roc = static_cast<uint32_t>(index >> 16);
    const uint8_t* in = op.src == nullptr ? nullptr : op.src + hdr;  // copied as encrypted
    if (is_gcm(s)) {
      gcm_iv(p.iv, s->rtp_salt, ssrc, roc, static_cast<uint16_t>(index));
      set_gcm_job(j, s->keys->rtp_gcm, IMB_DIR_ENCRYPT, op.data, hdr, op.len - hdr, op.data, hdr,
                  op.data + op.len, p, in);
    } else {
      cm_iv(p.iv, s->rtp_salt, ssrc, index);
      // Authenticated: packet || ROC. The library takes the last partial
      // block in at submit, so the tag may then land over the ROC.
      store_be32(op.data + op.len, roc);
      set_cm_job(j, s->keys->rtp_cm, IMB_DIR_ENCRYPT, op.data, hdr, op.len - hdr, op.len + 4,
                 op.data + op.len, p, in);
    }
    return true;
  }

  // Outbound replay rule (as libsrtp with allow_repeat_tx): an index may be
  // sent again (RTX) unless the session forbids it, never once it fell out of
  // the window. Records the index. With retransmission allowed only the
  // highest index matters, so the window (a cold line) is not touched.
  static bool check_outbound(ImbSession* s, unsigned si, uint64_t index) {
    StreamState& st = s->stream(si);
    if (s->allow_retransmit) {
      if (index + s->window <= st.highest) return false;
      if (index > st.highest) st.highest = index;
      return true;
    }
    ReplayWindow<kRtpWindowBits>& w = s->windows[si].rtp;
    const ReplayVerdict v = w.check(index, s->window);
    if (v == ReplayVerdict::kTooOld || (v == ReplayVerdict::kSeen && !s->allow_retransmit)) {
      return false;
    }
    w.add(index);
    if (index > st.highest) st.highest = index;
    return true;
  }

  static void finish_protect_rtp(Pending& p, bool ok) {
    Op& op = *p.op;
    if (!ok) {
      op.status = Status::kError;
      return;
    }
    op.len += p.tag_len;
    op.status = Status::kOk;
  }

  // ---- SRTP unprotect
  static bool build_unprotect_rtp(Op& op, Pending& p, IMB_JOB* j) {
    auto* s = static_cast<ImbSession*>(op.session);
    const uint8_t tag_len = s->rtp_tag_len;
    if (op.len > kMaxPacket || op.len < 12u + tag_len) {
      op.status = Status::kMalformed;
      return false;
    }
    const uint32_t body = op.len - tag_len;
    const uint32_t hdr = rtp_header_len(op.data, body);
    if (hdr == 0) {
      op.status = Status::kMalformed;
      return false;
    }
    const uint32_t ssrc = load_be32(op.data + 8);
    const unsigned si = s->find(ssrc);
    if (si == kMaxStreams && (!s->any_ssrc || s->nstreams == kMaxStreams)) {
      op.status = Status::kUnknownSsrc;
      return false;
    }
    const bool fresh = si == kMaxStreams;
    const uint16_t seq = load_be16(op.data + 2);
    uint64_t index;
    if (fresh) {
      Provisional* pv = provisional(s, ssrc);
      index = estimate_index(pv != nullptr ? pv->highest : 0, seq);
      if (pv != nullptr && index > pv->highest) pv->highest = index;
    } else {
      index = estimate_index(s->stream(si).highest, seq);
    }
    if (!fresh && s->windows[si].rtp.check(index, s->window) != ReplayVerdict::kNew) {
      op.status = Status::kReplay;
      return false;
    }
    p.s = s;
    p.index = index;
    p.ssrc = ssrc;
    p.tag_len = tag_len;
    const uint32_t roc = static_cast<uint32_t>(index >> 16);
    std::memcpy(p.saved, op.data + body, tag_len);
    if (is_gcm(s)) {
      gcm_iv(p.iv, s->rtp_salt, ssrc, roc, static_cast<uint16_t>(index));
      set_gcm_job(j, s->keys->rtp_gcm, IMB_DIR_DECRYPT, op.data, hdr, body - hdr, op.data, hdr,
                  p.tag, p);
    } else {
      cm_iv(p.iv, s->rtp_salt, ssrc, index);
      store_be32(op.data + body, roc);  // over the (saved) tag
      set_cm_job(j, s->keys->rtp_cm, IMB_DIR_DECRYPT, op.data, hdr, body - hdr, body + 4, p.tag, p);
    }
    return true;
  }

  // The provisional state of a new SSRC in the chunk being built, made on
  // first sight; nullptr only if the chunk's table is full (it cannot be:
  // one entry per packet at most).
  static Provisional* provisional(const ImbSession* s, uint32_t ssrc) {
    ThreadCtx* t = t_building;
    for (uint32_t i = 0; i < t->nprov; ++i) {
      if (t->prov[i].s == s && t->prov[i].ssrc == ssrc) return &t->prov[i];
    }
    if (t->nprov == kChunk) return nullptr;
    t->prov[t->nprov] = Provisional{s, ssrc, 0};
    return &t->prov[t->nprov++];
  }

  // An inbound packet's tag, then its stream (made now if new): the stream's
  // number, or kMaxStreams with the op's status set.
  static unsigned verified_stream(Pending& p, bool ok) {
    Op& op = *p.op;
    if (!ok) {
      op.status = Status::kError;
      return kMaxStreams;
    }
    if (!tag_equal(p.tag, p.saved, p.tag_len)) {
      op.status = Status::kAuthFail;
      return kMaxStreams;
    }
    const unsigned si = find_or_make_stream(p.s, p.ssrc);
    if (si == kMaxStreams) op.status = Status::kUnknownSsrc;
    return si;
  }

  static void finish_unprotect_rtp(Pending& p, bool ok) {
    const unsigned si = verified_stream(p, ok);
    if (si == kMaxStreams) return;
    Op& op = *p.op;
    ImbSession* s = p.s;
    // Again, in packet order: a duplicate inside one burst is caught here.
    ReplayWindow<kRtpWindowBits>& w = s->windows[si].rtp;
    if (w.check(p.index, s->window) != ReplayVerdict::kNew) {
      op.status = Status::kReplay;
      return;
    }
    w.add(p.index);
    StreamState& st = s->stream(si);
    if (p.index > st.highest) st.highest = p.index;
    op.len -= p.tag_len;
    op.status = Status::kOk;
  }

  // ---- SRTCP protect (E = 1: always encrypted)
  static bool build_protect_rtcp(Op& op, Pending& p, IMB_JOB* j) {
    auto* s = static_cast<ImbSession*>(op.session);
    if (op.len > kMaxPacket || op.room < op.len + kMaxTrailer) {
      op.status = Status::kNoRoom;
      return false;
    }
    if (op.len < 8) {
      op.status = Status::kMalformed;
      return false;
    }
    const uint32_t ssrc = load_be32(op.data + 4);
    const unsigned si = find_or_make_stream(s, ssrc);
    if (si == kMaxStreams) {
      op.status = Status::kUnknownSsrc;
      return false;
    }
    StreamState* st = &s->stream(si);
    if (st->rtcp_index >= 0x7fffffffu) {  // the index would wrap: rekey needed
      op.status = Status::kError;
      return false;
    }
    const uint32_t index = ++st->rtcp_index;
    const uint32_t e_index = 0x80000000u | index;
    p.s = s;
    p.index = e_index;
    if (is_gcm(s)) {
      gcm_iv(p.iv, s->keys->rtcp_salt, ssrc, index >> 16, static_cast<uint16_t>(index));
      std::memcpy(p.aad, op.data, 8);
      store_be32(p.aad + 8, e_index);
      set_gcm_job(j, s->keys->rtcp_gcm, IMB_DIR_ENCRYPT, op.data, 8, op.len - 8, p.aad, 12,
                  op.data + op.len, p);
    } else {
      cm_iv(p.iv, s->keys->rtcp_salt, ssrc, index);
      store_be32(op.data + op.len, e_index);
      set_cm_job(j, s->keys->rtcp_cm, IMB_DIR_ENCRYPT, op.data, 8, op.len - 8, op.len + 4,
                 op.data + op.len + 4, p);
    }
    return true;
  }

  static void finish_protect_rtcp(Pending& p, bool ok) {
    Op& op = *p.op;
    if (!ok) {
      op.status = Status::kError;
      return;
    }
    if (is_gcm(p.s)) {
      store_be32(op.data + op.len + 16, static_cast<uint32_t>(p.index));
      op.len += 20;
    } else {
      op.len += 14;
    }
    op.status = Status::kOk;
  }

  // ---- SRTCP unprotect
  static bool build_unprotect_rtcp(Op& op, Pending& p, IMB_JOB* j) {
    auto* s = static_cast<ImbSession*>(op.session);
    const bool gcm = is_gcm(s);
    const uint32_t tag_len = gcm ? 16 : 10;
    if (op.len > kMaxPacket || op.len < 8 + 4 + tag_len) {
      op.status = Status::kMalformed;
      return false;
    }
    const uint32_t ssrc = load_be32(op.data + 4);
    const unsigned si = s->find(ssrc);
    if (si == kMaxStreams && (!s->any_ssrc || s->nstreams == kMaxStreams)) {
      op.status = Status::kUnknownSsrc;
      return false;
    }
    // AES-CM: ... || E||index || tag. GCM: ... || tag || E||index.
    const uint32_t rtcp_len = op.len - 4 - tag_len;
    const uint8_t* ei = gcm ? op.data + op.len - 4 : op.data + rtcp_len;
    const uint32_t e_index = load_be32(ei);
    const uint32_t index = e_index & 0x7fffffffu;
    const bool encrypted = (e_index & 0x80000000u) != 0;
    if (si != kMaxStreams &&
        s->windows[si].rtcp.check(index, kRtcpWindowBits) != ReplayVerdict::kNew) {
      op.status = Status::kReplay;
      return false;
    }
    p.s = s;
    p.index = index;
    p.ssrc = ssrc;
    p.tag_len = static_cast<uint8_t>(tag_len);
    if (gcm) {
      gcm_iv(p.iv, s->keys->rtcp_salt, ssrc, index >> 16, static_cast<uint16_t>(index));
      std::memcpy(p.saved, op.data + rtcp_len, 16);
      if (encrypted) {
        std::memcpy(p.aad, op.data, 8);
        store_be32(p.aad + 8, e_index);
        set_gcm_job(j, s->keys->rtcp_gcm, IMB_DIR_DECRYPT, op.data, 8, rtcp_len - 8, p.aad, 12,
                    p.tag, p);
      } else {
        // RFC 7714 §9.3: unencrypted, the whole packet and E||index are AAD.
        store_be32(op.data + rtcp_len, e_index);
        set_gcm_job(j, s->keys->rtcp_gcm, IMB_DIR_DECRYPT, op.data, rtcp_len + 4, 0, op.data,
                    rtcp_len + 4, p.tag, p);
      }
    } else {
      std::memcpy(p.saved, op.data + op.len - 10, 10);
      cm_iv(p.iv, s->keys->rtcp_salt, ssrc, index);
      set_cm_job(j, s->keys->rtcp_cm, IMB_DIR_DECRYPT, op.data, 8, encrypted ? rtcp_len - 8 : 0,
                 op.len - 10, p.tag, p);
    }
    return true;
  }

  static void finish_unprotect_rtcp(Pending& p, bool ok) {
    const unsigned si = verified_stream(p, ok);
    if (si == kMaxStreams) return;
    Op& op = *p.op;
    ImbSession* s = p.s;
    ReplayWindow<kRtcpWindowBits>& w = s->windows[si].rtcp;
    if (w.check(p.index, kRtcpWindowBits) != ReplayVerdict::kNew) {
      op.status = Status::kReplay;
      return;
    }
    w.add(p.index);
    op.len -= 4u + p.tag_len;
    op.status = Status::kOk;
  }

  static std::string_view id_view(const std::array<uint8_t, 32>& id) {
    return {reinterpret_cast<const char*>(id.data()), id.size()};
  }

  // The key set for `keys`, under slow_mu_: the one sessions already use
  // (one more reference), or one derived now. nullptr if the library fails
  // or memory runs out.
  KeySet* acquire_keys(const Keys& keys) {
    std::array<uint8_t, 32> id = key_set_id(keys);
    const auto found = key_sets_.find(id_view(id));
    if (found != key_sets_.end()) {
      wipe(id.data(), id.size());
      ++found->second->refs;
      return found->second;
    }
    auto* k = new (std::align_val_t{64}, std::nothrow) KeySet();
    if (k != nullptr) {
      k->id = id;
      k->refs = 1;
    }
    wipe(id.data(), id.size());
    if (k == nullptr) return nullptr;
    if (!derive_session_keys(slow_, keys, *k)) {
      free_keys(k);
      return nullptr;
    }
    key_sets_.emplace(id_view(k->id), k);
    return k;
  }

  // One session fewer on `k`, under slow_mu_; the last one frees it.
  void release_keys(KeySet* k) {
    if (--k->refs != 0) return;
    key_sets_.erase(id_view(k->id));
    free_keys(k);
  }

  static void free_keys(KeySet* k) {
    k->~KeySet();
    wipe(k, sizeof(KeySet));  // key material
    ::operator delete (k, std::align_val_t{64});
  }

  IMB_MGR* slow_;
  std::mutex slow_mu_;
  // Key sets in use by their id (a view of the set's own id bytes).
  std::unordered_map<std::string_view, KeySet*> key_sets_;
  InitFn init_;
  IpsecMbArch arch_;
  std::atomic<ThreadCtx*> ctx_[kMaxThreads];
};

}  // namespace
}  // namespace imb

const char* to_string(IpsecMbArch a) {
  switch (a) {
    case IpsecMbArch::kAuto: return "auto";
    case IpsecMbArch::kSse: return "sse";
    case IpsecMbArch::kAvx: return "avx";
    case IpsecMbArch::kAvx2: return "avx2";
    case IpsecMbArch::kAvx512: return "avx512";
  }
  return "?";
}

const char* ipsecmb_version() { return imb_get_version_str(); }

std::string ipsecmb_describe(const Engine& e) {
  const auto* ie = dynamic_cast<const imb::ImbEngine*>(&e);
  if (ie == nullptr) return "";
  std::string s = std::string(to_string(ie->arch())) + " code path (";
  const struct {
    uint64_t bit;
    const char* name;
  } flags[] = {{IMB_FEATURE_AESNI, "AES-NI"},        {IMB_FEATURE_VAES, "VAES"},
               {IMB_FEATURE_PCLMULQDQ, "PCLMULQDQ"}, {IMB_FEATURE_VPCLMULQDQ, "VPCLMULQDQ"},
               {IMB_FEATURE_SHANI, "SHA-NI"},        {IMB_FEATURE_GFNI, "GFNI"},
               {IMB_FEATURE_AVX2, "AVX2"},           {IMB_FEATURE_AVX512F, "AVX-512"}};
  bool first = true;
  for (const auto& f : flags) {
    if ((ie->features() & f.bit) == 0) continue;
    s += first ? "" : " ";
    s += f.name;
    first = false;
  }
  return s + ")";
}

Result<std::unique_ptr<Engine>> make_ipsecmb_engine(IpsecMbArch arch) {
  IMB_MGR* m = alloc_mb_mgr(0);
  if (m == nullptr) return make_error("srtp: ipsec-mb: alloc_mb_mgr failed");
  const uint64_t f = m->features;
  struct Path {
    IpsecMbArch arch;
    uint64_t needs;
    imb::InitFn init;
  };
  const Path paths[] = {
      {IpsecMbArch::kAvx512, IMB_CPUFLAGS_AVX512, init_mb_mgr_avx512},
      {IpsecMbArch::kAvx2, IMB_CPUFLAGS_AVX2, init_mb_mgr_avx2},
      {IpsecMbArch::kAvx, IMB_CPUFLAGS_AVX, init_mb_mgr_avx},
      {IpsecMbArch::kSse, IMB_CPUFLAGS_SSE, init_mb_mgr_sse},
  };
  const Path* pick = nullptr;
  for (const Path& p : paths) {
    if (arch != IpsecMbArch::kAuto && p.arch != arch) continue;
    if ((f & p.needs) != p.needs) {
      if (arch == IpsecMbArch::kAuto) continue;
      free_mb_mgr(m);
      return make_error(std::string("srtp: ipsec-mb: this CPU lacks what the ") + to_string(arch) +
                        " code path needs");
    }
    pick = &p;
    break;
  }
  if (pick == nullptr) {
    free_mb_mgr(m);
    return make_error("srtp: ipsec-mb: no AES-NI code path on this CPU");
  }
  pick->init(m);
  if (imb_get_errno(m) != 0) {
    const std::string why = imb_get_strerror(imb_get_errno(m));
    free_mb_mgr(m);
    return make_error("srtp: ipsec-mb: init failed: " + why);
  }
  return std::unique_ptr<Engine>(new imb::ImbEngine(m, pick->init, pick->arch));
}

}  // namespace edgesfu::dp::srtp
