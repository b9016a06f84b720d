// DTLS-SRTP between two in-memory transports: the handshake completes, each
// side exports the other's keys, the profile is GCM, and a fingerprint that
// does not match the SDP fails the handshake.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "slowpath/dtls/dtls.hpp"

namespace edgesfu::sp::dtls {
namespace {

struct Pair {
  std::deque<std::vector<uint8_t>> to_server, to_client;
  std::unique_ptr<Transport> client, server;

  // A client and a server wired to each other's queues; each checks the
  // other's certificate against the fingerprint it is given.
  void make(const std::shared_ptr<Certificate>& client_cert, const std::string& client_expects,
            const std::shared_ptr<Certificate>& server_cert, const std::string& server_expects) {
    client = std::move(Transport::create(client_cert, Role::kClient, client_expects,
                                         [this](std::span<const uint8_t> d) {
                                           to_server.emplace_back(d.begin(), d.end());
                                         }))
                 .value();
    server = std::move(Transport::create(server_cert, Role::kServer, server_expects,
                                         [this](std::span<const uint8_t> d) {
                                           to_client.emplace_back(d.begin(), d.end());
                                         }))
                 .value();
  }

  void pump() {
    for (int i = 0; i < 100 && (!to_server.empty() || !to_client.empty()); ++i) {
      while (!to_server.empty()) {
        auto d = std::move(to_server.front());
        to_server.pop_front();
        (void)server->on_datagram(d);
      }
      while (!to_client.empty()) {
        auto d = std::move(to_client.front());
        to_client.pop_front();
        (void)client->on_datagram(d);
      }
    }
  }
};

std::shared_ptr<Certificate> cert(const char* cn) {
  auto c = Certificate::generate(cn);
  EXPECT_TRUE(c.ok());
  return c.value();
}

TEST(DtlsTest, CertificateFingerprint) {
  auto c = cert("edgesfu");
  EXPECT_EQ(c->fingerprint().size(), 32u * 3 - 1);  // 32 bytes as XX:XX:...
  EXPECT_EQ(c->fingerprint(), fingerprint_sha256(c->x509()));
  EXPECT_NE(cert("edgesfu")->fingerprint(), c->fingerprint());  // a fresh key each time
}

TEST(DtlsTest, HandshakeExportsMatchingKeys) {
  auto cc = cert("client"), sc = cert("server");
  Pair p;
  p.make(cc, sc->fingerprint(), sc, cc->fingerprint());
  ASSERT_TRUE(p.client->start().ok());
  p.pump();
  ASSERT_TRUE(p.client->connected());
  ASSERT_TRUE(p.server->connected());
  auto ck = p.client->srtp();
  auto sk = p.server->srtp();
  ASSERT_TRUE(ck.ok() && sk.ok());
  EXPECT_EQ(ck->profile, dp::srtp::Profile::kAeadAes128Gcm);  // preferred
  EXPECT_EQ(ck->local.master_key, sk->remote.master_key);
  EXPECT_EQ(ck->remote.master_key, sk->local.master_key);
  EXPECT_EQ(ck->local.master_salt, sk->remote.master_salt);
  EXPECT_NE(ck->local.master_key, ck->remote.master_key);
}

// Application data after the handshake (what SCTP will ride on) reaches the
// peer's hook, both ways, and is counted.
TEST(DtlsTest, ApplicationDataReachesTheHookAndIsCounted) {
  auto cc = cert("client"), sc = cert("server");
  Pair p;
  p.make(cc, sc->fingerprint(), sc, cc->fingerprint());
  const std::vector<uint8_t> early = {1, 2, 3};
  EXPECT_FALSE(p.server->send_app_data(early).ok());  // not before the handshake
  ASSERT_TRUE(p.client->start().ok());
  p.pump();
  ASSERT_TRUE(p.server->connected());
  std::vector<std::vector<uint8_t>> at_server, at_client;
  p.server->on_app_data(
      [&](std::span<const uint8_t> d) { at_server.emplace_back(d.begin(), d.end()); });
  p.client->on_app_data(
      [&](std::span<const uint8_t> d) { at_client.emplace_back(d.begin(), d.end()); });
  const std::vector<uint8_t> init(1200, 0x5a);  // about an SCTP INIT's size and more
  ASSERT_TRUE(p.client->send_app_data(init).ok());
  ASSERT_TRUE(p.client->send_app_data(early).ok());
  ASSERT_TRUE(p.server->send_app_data(early).ok());
  p.pump();
  ASSERT_EQ(at_server.size(), 2u);
  EXPECT_EQ(at_server[0], init);
  EXPECT_EQ(at_server[1], early);
  ASSERT_EQ(at_client.size(), 1u);
  EXPECT_EQ(p.server->counters().app_records_in, 2u);
  EXPECT_EQ(p.server->counters().app_bytes_in, init.size() + early.size());
  EXPECT_EQ(p.server->counters().app_records_out, 1u);
  EXPECT_EQ(p.client->counters().app_records_out, 2u);
  EXPECT_FALSE(p.client->send_app_data({}).ok());
}

TEST(DtlsTest, WrongFingerprintFails) {
  auto cc = cert("client"), sc = cert("server"), other = cert("mallory");
  Pair p;
  // The server expects another certificate than the client presents.
  p.make(cc, sc->fingerprint(), sc, other->fingerprint());
  ASSERT_TRUE(p.client->start().ok());
  p.pump();
  EXPECT_FALSE(p.server->connected());
  EXPECT_TRUE(p.server->failed());
  EXPECT_FALSE(p.server->srtp().ok());
}

TEST(DtlsTest, GarbageIsAnErrorNotACrash) {
  auto sc = cert("server");
  auto t = std::move(Transport::create(sc, Role::kServer, "AA:BB", [](std::span<const uint8_t>) {
           })).value();
  const std::vector<uint8_t> junk = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 5, 1, 2, 3, 4, 5};
  (void)t->on_datagram(junk);
  EXPECT_FALSE(t->connected());
  EXPECT_FALSE(t->on_datagram({}).ok());
}

}  // namespace
}  // namespace edgesfu::sp::dtls
