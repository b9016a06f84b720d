#include "slowpath/dtls/dtls.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>

#include <cstring>

namespace edgesfu::sp::dtls {

namespace {

std::string ssl_error(const char* what) {
  std::string s = what;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    s += std::string(": ") + buf;
  }
  return s;
}

// Any certificate passes OpenSSL's check: it is self-signed by design; what
// makes it trusted is the fingerprint match after the handshake.
int accept_any(int, X509_STORE_CTX*) { return 1; }

// SRTP profiles in our order of preference (the server's order decides).
constexpr const char* kSrtpProfiles =
    "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32";
constexpr const char* kExporterLabel = "EXTRACTOR-dtls_srtp";  // RFC 5764 §4.2

}  // namespace

std::string fingerprint_sha256(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (unsigned int i = 0; i < n; ++i) {
    if (i != 0) s.push_back(':');
    s.push_back(kHex[md[i] >> 4]);
    s.push_back(kHex[md[i] & 15]);
  }
  return s;
}

Result<std::shared_ptr<Certificate>> Certificate::generate(const std::string& common_name) {
  std::shared_ptr<Certificate> c(new Certificate());
  c->key_ = EVP_EC_gen("P-256");
  if (c->key_ == nullptr) return make_error(ssl_error("EVP_EC_gen"));
  c->x509_ = X509_new();
  if (c->x509_ == nullptr) return make_error(ssl_error("X509_new"));
  X509_set_version(c->x509_, 2);
  // A random positive serial; valid from a day ago for 30 days (clock skew).
  BIGNUM* bn = BN_new();
  if (bn == nullptr || BN_rand(bn, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c->x509_)) == nullptr) {
    BN_free(bn);
    return make_error(ssl_error("certificate serial"));
  }
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c->x509_), -86400);
  X509_gmtime_adj(X509_getm_notAfter(c->x509_), 30L * 86400);
  X509_NAME* name = X509_get_subject_name(c->x509_);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(c->x509_, name);
  if (X509_set_pubkey(c->x509_, c->key_) != 1 || X509_sign(c->x509_, c->key_, EVP_sha256()) == 0) {
    return make_error(ssl_error("X509_sign"));
  }
  c->fingerprint_ = fingerprint_sha256(c->x509_);
  return c;
}

Certificate::~Certificate() {
  X509_free(x509_);
  EVP_PKEY_free(key_);
}

Result<std::unique_ptr<Transport>> Transport::create(std::shared_ptr<Certificate> cert, Role role,
                                                     std::string peer_fingerprint, SendFn send) {
  std::unique_ptr<Transport> t(new Transport());
  t->cert_ = std::move(cert);
  t->role_ = role;
  t->peer_fingerprint_ = std::move(peer_fingerprint);
  t->send_ = std::move(send);
  t->ctx_ = SSL_CTX_new(DTLS_method());
  if (t->ctx_ == nullptr) return make_error(ssl_error("SSL_CTX_new"));
  // DTLS 1.2 (RFC 8827 §6.5 requires at least 1.2).
  if (SSL_CTX_set_min_proto_version(t->ctx_, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(t->ctx_, t->cert_->x509()) != 1 ||
      SSL_CTX_use_PrivateKey(t->ctx_, t->cert_->key()) != 1 ||
      SSL_CTX_check_private_key(t->ctx_) != 1) {
    return make_error(ssl_error("DTLS context"));
  }
  // Note: returns 0 on success, unlike most of OpenSSL.
  if (SSL_CTX_set_tlsext_use_srtp(t->ctx_, kSrtpProfiles) != 0) {
    return make_error(ssl_error("SSL_CTX_set_tlsext_use_srtp"));
  }
  SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
  SSL_CTX_set_read_ahead(t->ctx_, 1);
  t->ssl_ = SSL_new(t->ctx_);
  if (t->ssl_ == nullptr) return make_error(ssl_error("SSL_new"));
  t->rbio_ = BIO_new(BIO_s_mem());
  t->wbio_ = BIO_new(BIO_s_mem());
  if (t->rbio_ == nullptr || t->wbio_ == nullptr) {
    BIO_free(t->rbio_);
    BIO_free(t->wbio_);
    return make_error("DTLS: cannot create memory BIOs");
  }
  BIO_set_mem_eof_return(t->rbio_, -1);  // "no data yet", not EOF
  SSL_set_bio(t->ssl_, t->rbio_, t->wbio_);
  // Records must fit a datagram with IP/UDP headers under a 1280-byte path.
  SSL_set_options(t->ssl_, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(t->ssl_, 1200);
  if (role == Role::kClient)
    SSL_set_connect_state(t->ssl_);
  else
    SSL_set_accept_state(t->ssl_);
  return t;
}

Transport::~Transport() {
  SSL_free(ssl_);  // frees both BIOs
  SSL_CTX_free(ctx_);
}

void Transport::flush() {
  // Every pending record goes out as its own datagram.
  char buf[2048];
  while (BIO_ctrl_pending(wbio_) > 0) {
    const int n = BIO_read(wbio_, buf, sizeof buf);
    if (n <= 0) break;
    if (send_) send_({reinterpret_cast<const uint8_t*>(buf), static_cast<std::size_t>(n)});
  }
}

Status Transport::step() {
  if (connected_ || failed_) {
    flush();
    return ok_status();
  }
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    X509* peer = SSL_get1_peer_certificate(ssl_);
    const std::string fp = peer != nullptr ? fingerprint_sha256(peer) : std::string();
    X509_free(peer);
    // RFC 8122 §5: hex case does not matter.
    auto upper = [](std::string s) {
      for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return s;
    };
    if (fp.empty() || upper(fp) != upper(peer_fingerprint_)) {
      failed_ = true;
      flush();
      return make_error("DTLS: the peer's certificate does not match the fingerprint in its SDP");
    }
    if (SSL_get_selected_srtp_profile(ssl_) == nullptr) {
      failed_ = true;
      return make_error(
          "DTLS: no SRTP profile negotiated (we offer AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80)");
    }
    connected_ = true;
    flush();
    return ok_status();
  }
  const int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    flush();
    return ok_status();
  }
  failed_ = true;
  flush();  // an alert, if OpenSSL wrote one
  return make_error(ssl_error("DTLS handshake failed"));
}

Status Transport::start() { return step(); }

Status Transport::on_datagram(std::span<const uint8_t> d) {
  if (d.empty() || d.size() > 16384) return make_error("DTLS: datagram size out of range");
  if (BIO_write(rbio_, d.data(), static_cast<int>(d.size())) != static_cast<int>(d.size())) {
    return make_error("DTLS: BIO_write failed");
  }
  if (connected_) {
    // After the handshake: application data (SCTP), or an alert, or a
    // retransmitted Finished (OpenSSL answers that itself).
    uint8_t buf[16384];
    int n;
    while ((n = SSL_read(ssl_, buf, sizeof buf)) > 0) {
      ++counters_.app_records_in;
      counters_.app_bytes_in += static_cast<uint64_t>(n);
      if (on_app_data_) on_app_data_({buf, static_cast<std::size_t>(n)});
    }
    if ((SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) != 0) {
      failed_ = true;  // the peer closed the association (close_notify)
      closed_by_peer_ = true;
    }
    flush();
    return ok_status();
  }
  return step();
}

Status Transport::send_app_data(std::span<const uint8_t> d) {
  if (!connected_ || failed_) return make_error(ErrorCode::kConflict, "DTLS: not connected");
  if (d.empty() || d.size() > 16384)
    return make_error(ErrorCode::kInvalidArgument, "DTLS: record size out of range");
  const int n = SSL_write(ssl_, d.data(), static_cast<int>(d.size()));
  if (n != static_cast<int>(d.size())) return make_error(ssl_error("DTLS: SSL_write"));
  ++counters_.app_records_out;
  counters_.app_bytes_out += d.size();
  flush();
  return ok_status();
}

Status Transport::on_timer() {
  if (connected_ || failed_) return ok_status();
  if (DTLSv1_handle_timeout(ssl_) < 0) {
    failed_ = true;
    return make_error(ssl_error("DTLS: handshake timed out"));
  }
  flush();
  return ok_status();
}

Result<SrtpMaterial> Transport::srtp() const {
  if (!connected_) return make_error("DTLS: not connected");
  const SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl_);
  if (p == nullptr) return make_error("DTLS: the peer negotiated no SRTP profile (use_srtp)");
  SrtpMaterial m;
  if (p->id == SRTP_AEAD_AES_128_GCM) {
    m.profile = dp::srtp::Profile::kAeadAes128Gcm;
  } else if (p->id == SRTP_AES128_CM_SHA1_80) {
    m.profile = dp::srtp::Profile::kAes128CmHmacSha1_80;
  } else if (p->id == SRTP_AES128_CM_SHA1_32) {
    m.profile = dp::srtp::Profile::kAes128CmHmacSha1_32;
  } else {
    return make_error("DTLS: unsupported SRTP profile " + std::string(p->name));
  }
  const std::size_t kl = dp::srtp::master_key_len(m.profile);
  const std::size_t sl = dp::srtp::master_salt_len(m.profile);
  // RFC 5764 §4.2: client key | server key | client salt | server salt.
  unsigned char km[2 * (16 + 14)];
  if (SSL_export_keying_material(ssl_, km, 2 * (kl + sl), kExporterLabel,
                                 std::strlen(kExporterLabel), nullptr, 0, 0) != 1) {
    return make_error(ssl_error("SSL_export_keying_material"));
  }
  dp::srtp::Keys client, server;
  client.profile = server.profile = m.profile;
  std::memcpy(client.master_key.data(), km, kl);
  std::memcpy(server.master_key.data(), km + kl, kl);
  std::memcpy(client.master_salt.data(), km + 2 * kl, sl);
  std::memcpy(server.master_salt.data(), km + 2 * kl + sl, sl);
  OPENSSL_cleanse(km, sizeof km);
  m.local = role_ == Role::kClient ? client : server;
  m.remote = role_ == Role::kClient ? server : client;
  return m;
}

}  // namespace edgesfu::sp::dtls
