// DTLS-SRTP (RFC 5763, RFC 5764) over memory BIOs with OpenSSL: the slow path
// feeds datagrams in and gets datagrams to send out; no socket of its own
// (the ICE agent carries the packets). After the handshake, the peer's
// certificate is checked against the fingerprint from its SDP and the SRTP
// keys are exported (RFC 5764 §4.2) for the fast path. Slow path only.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "base/result.hpp"
#include "dataplane/srtp/srtp_types.hpp"

namespace edgesfu::sp::dtls {

// An ECDSA P-256 self-signed certificate and its key (RFC 8827 §6.5).
class Certificate {
 public:
  static Result<std::shared_ptr<Certificate>> generate(const std::string& common_name);
  ~Certificate();
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  // "sha-256" fingerprint as SDP writes it: upper-case hex pairs with colons.
  const std::string& fingerprint() const { return fingerprint_; }
  X509* x509() const { return x509_; }
  EVP_PKEY* key() const { return key_; }

 private:
  Certificate() = default;
  X509* x509_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  std::string fingerprint_;
};

// SHA-256 fingerprint of any certificate, in the same form.
std::string fingerprint_sha256(X509* cert);

enum class Role { kClient, kServer };  // a=setup:active is the client (RFC 5763 §5)

struct SrtpMaterial {
  dp::srtp::Profile profile = dp::srtp::Profile::kAeadAes128Gcm;
  dp::srtp::Keys local;   // what we protect with (our write keys)
  dp::srtp::Keys remote;  // what we unprotect the peer's packets with
};

class Transport {
 public:
  using SendFn = std::function<void(std::span<const uint8_t>)>;

  // `peer_fingerprint`: the sha-256 fingerprint from the peer's SDP.
  static Result<std::unique_ptr<Transport>> create(std::shared_ptr<Certificate> cert, Role role,
                                                   std::string peer_fingerprint, SendFn send);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Client: sends the ClientHello. Server: nothing to do until one arrives.
  Status start();
  // One datagram from the peer (a DTLS record, first byte 20-63).
  Status on_datagram(std::span<const uint8_t> d);
  // Retransmits when the handshake timer expired (RFC 6347 §4.2.4); call
  // every few hundred ms until connected().
  Status on_timer();

  // Application data (SCTP for data channels, RFC 8261) after the
  // handshake: each record's payload goes to the hook; with none set it is
  // counted and dropped.
  using AppDataFn = std::function<void(std::span<const uint8_t>)>;
  void on_app_data(AppDataFn f) { on_app_data_ = std::move(f); }
  // Sends one application-data record (after connected()).
  Status send_app_data(std::span<const uint8_t> d);
  struct Counters {
    uint64_t app_records_in = 0, app_bytes_in = 0;
    uint64_t app_records_out = 0, app_bytes_out = 0;
  };
  const Counters& counters() const { return counters_; }

  bool connected() const { return connected_; }
  bool failed() const { return failed_; }
  // failed() because the peer sent close_notify (a normal end, not an error).
  bool closed_by_peer() const { return closed_by_peer_; }
  // After connected(): the negotiated profile and keys.
  Result<SrtpMaterial> srtp() const;

 private:
  Transport() = default;
  Status step();
  void flush();

  std::shared_ptr<Certificate> cert_;
  Role role_ = Role::kServer;
  std::string peer_fingerprint_;
  SendFn send_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  bool connected_ = false;
  bool failed_ = false;
  bool closed_by_peer_ = false;
  AppDataFn on_app_data_;
  Counters counters_;
};

}  // namespace edgesfu::sp::dtls
