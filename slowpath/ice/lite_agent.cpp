#include "slowpath/ice/lite_agent.hpp"

#include <arpa/inet.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "slowpath/ice/sockaddr.hpp"
#include "slowpath/ice/stun.hpp"

namespace edgesfu::sp::ice {

namespace {

constexpr int kMaxDatagramsPerWake = 64;   // then back to the main loop
constexpr std::size_t kRecvBuffer = 2048;  // larger than any DTLS record we accept (MTU)

// RFC 8445 §5.3: ice-chars; ufrag >= 24 bits of randomness, pwd >= 128 bits.
Result<std::string> random_ice_string(std::size_t n) {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(n, 'x');
  std::vector<unsigned char> r(n);
  if (RAND_bytes(r.data(), static_cast<int>(n)) != 1) return make_error("ice: RAND_bytes failed");
  for (std::size_t i = 0; i < n; ++i) out[i] = kChars[r[i] % 64];
  return out;
}

// Binds `fd` to a port of [lo, hi], starting at a random one (so that
// consecutive sessions do not probe the same ports in turn).
bool bind_in_range(int fd, const dp::pkt::IpAddr& ip, uint16_t lo, uint16_t hi) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (lo == 0) {
    to_sockaddr(ip, 0, ss, len);
    return bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
  }
  const uint32_t span = static_cast<uint32_t>(hi) - lo + 1;
  uint32_t start = 0;
  (void)RAND_bytes(reinterpret_cast<unsigned char*>(&start), sizeof start);
  for (uint32_t i = 0; i < span; ++i) {
    const auto port = static_cast<uint16_t>(lo + (start + i) % span);
    to_sockaddr(ip, port, ss, len);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return true;
    if (errno != EADDRINUSE) return false;
  }
  errno = EADDRINUSE;
  return false;
}

}  // namespace

Result<std::unique_ptr<LiteAgent>> LiteAgent::create(const AgentParams& p) {
  std::unique_ptr<LiteAgent> a(new LiteAgent());
  a->params_ = p;
  if (!parse_ip(p.local_address, a->local_ip_)) {
    return make_error("ice: '" + p.local_address + "' is not an IP address");
  }
  if (p.port_min > p.port_max) return make_error("ice: empty port range");
  auto u = random_ice_string(8);
  auto w = random_ice_string(24);
  if (!u || !w) return make_error("ice: no random credentials");
  a->ufrag_ = std::move(u).value();
  a->pwd_ = std::move(w).value();

  a->fd_ = socket(a->local_ip_.family == 6 ? AF_INET6 : AF_INET,
                  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (a->fd_ < 0) return make_error(std::string("ice: socket: ") + std::strerror(errno));
  if (!bind_in_range(a->fd_, a->local_ip_, p.port_min, p.port_max)) {
    return make_error("ice: cannot bind a UDP port on " + p.local_address +
                      (p.port_min != 0
                           ? " in " + std::to_string(p.port_min) + "-" + std::to_string(p.port_max)
                           : std::string()) +
                      ": " + std::strerror(errno));
  }
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(a->fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return make_error(std::string("ice: getsockname: ") + std::strerror(errno));
  }
  (void)from_sockaddr(ss, a->local_port_);
  a->source_ = g_unix_fd_source_new(a->fd_, G_IO_IN);
  g_source_set_callback(a->source_, G_SOURCE_FUNC(&LiteAgent::on_readable), a.get(), nullptr);
  g_source_attach(a->source_, p.context);
  return a;
}

LiteAgent::~LiteAgent() {
  if (source_ != nullptr) {
    g_source_destroy(source_);
    g_source_unref(source_);
  }
  if (fd_ >= 0) close(fd_);
}

std::vector<std::string> LiteAgent::candidates() const {
  const std::string& addr =
      params_.advertised_address.empty() ? params_.local_address : params_.advertised_address;
  // RFC 8839 §5.1; priority per RFC 8445 §5.1.2.1 for a host candidate
  // (type preference 126, local preference 65535, component 1).
  constexpr uint32_t kPriority = (126u << 24) | (65535u << 8) | (256u - 1);
  return {"1 1 UDP " + std::to_string(kPriority) + " " + addr + " " + std::to_string(local_port_) +
          " typ host"};
}

Status LiteAgent::set_remote(const std::string& ufrag, const std::string& pwd) {
  if (ufrag.empty() || pwd.empty()) return make_error("ice: the offer has no ice-ufrag/ice-pwd");
  remote_ufrag_ = ufrag;
  remote_pwd_ = pwd;
  return ok_status();
}

bool LiteAgent::validated(const dp::pkt::IpAddr& a, uint16_t port) const {
  for (std::size_t i = 0; i < validated_count_; ++i) {
    if (validated_[i].port == port && validated_[i].ip == a) return true;
  }
  return false;
}

Status LiteAgent::send(std::span<const uint8_t> d) {
  if (have_pair_) {
    send_to(d, pair_.remote, pair_.remote_port);
    return ok_status();
  }
  if (validated_count_ == 0) return make_error("ice: no peer address has passed a check yet");
  const Endpoint& e = validated_[(validated_next_ + kMaxValidated - 1) % kMaxValidated];
  send_to(d, e.ip, e.port);
  return ok_status();
}

void LiteAgent::send_to(std::span<const uint8_t> d, const dp::pkt::IpAddr& to, uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!to_sockaddr(to, port, ss, len)) return;
  // A full socket buffer drops the datagram (counted): DTLS, SCTP and the
  // peer's STUN retransmit, as they would on any lossy path.
  if (sendto(fd_, d.data(), d.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    ++counters_.send_dropped;
  }
}

gboolean LiteAgent::on_readable(gint fd, GIOCondition, gpointer p) {
  auto* self = static_cast<LiteAgent*>(p);
  uint8_t buf[kRecvBuffer];
  for (int i = 0; i < kMaxDatagramsPerWake; ++i) {
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    const ssize_t n =
        recvfrom(fd, buf, sizeof buf, MSG_TRUNC, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) break;  // EAGAIN: drained (other errors: ICMP reports, nothing to do)
    if (static_cast<std::size_t>(n) > sizeof buf) {
      ++self->counters_.stun_discarded;  // truncated: nothing we accept is this large
      continue;
    }
    uint16_t port = 0;
    const dp::pkt::IpAddr from = from_sockaddr(ss, port);
    // on_datagram may end the session, but the agent itself lives until its
    // owner drops it outside this callback (the owners' rule).
    self->on_datagram({buf, static_cast<std::size_t>(n)}, from, port);
  }
  return G_SOURCE_CONTINUE;
}

void LiteAgent::on_datagram(std::span<const uint8_t> d, const dp::pkt::IpAddr& from,
                            uint16_t port) {
  if (d.empty()) return;
  // RFC 7983: STUN starts with 0-3.
  if (d[0] <= 3) {
    handle_stun(d, from, port);
    return;
  }
  if (!validated(from, port)) {
    ++counters_.data_unvalidated;
    return;
  }
  ++counters_.data_in;
  if (on_data_) on_data_(d);
}

void LiteAgent::handle_stun(std::span<const uint8_t> d, const dp::pkt::IpAddr& from,
                            uint16_t port) {
  stun::BindingRequest req;
  switch (stun::parse_binding_request(d, req)) {
    case stun::ParseResult::kOk: break;
    case stun::ParseResult::kMalformed:
      // Not answered: an error to an unauthenticated (maybe spoofed) source
      // would be larger than what it sent.
      ++counters_.stun_discarded;
      return;
    default:  // not STUN, not a request (indications: keepalives), bad FINGERPRINT
      ++counters_.stun_discarded;
      return;
  }
  // RFC 8445 §7.3 and RFC 5389 §10.1.2: short-term credentials.
  if (req.username.empty() || !req.has_integrity) {
    ++counters_.stun_discarded;  // not answered, as above
    return;
  }
  const std::string prefix = ufrag_ + ":";
  if (req.username.compare(0, prefix.size(), prefix) != 0 || !stun::check_integrity(d, pwd_)) {
    ++counters_.checks_refused;
    send_to(stun::binding_error(req.txid, 401, "Unauthorized"), from, port);
    return;
  }
  if (!req.unknown_required.empty()) {
    ++counters_.checks_refused;
    send_to(stun::binding_error(req.txid, 420, "Unknown Attribute", pwd_, req.unknown_required),
            from, port);
    return;
  }
  // RFC 8445 §7.3.1.1: we are controlled; a peer that says it is controlled
  // too is in conflict. A lite agent cannot take the controlling role
  // (§6.1.1), so the peer must switch: 487.
  if (req.controlled) {
    ++counters_.checks_refused;
    send_to(stun::binding_error(req.txid, 487, "Role Conflict", pwd_), from, port);
    return;
  }
  ++counters_.checks_answered;
  // Validated before the answer leaves: the peer's DTLS may follow it at once,
  // and the dataplane must let it through (on_validated).
  if (!validated(from, port)) {
    validated_[validated_next_] = {from, port};
    validated_next_ = (validated_next_ + 1) % kMaxValidated;
    if (validated_count_ < kMaxValidated) ++validated_count_;
    if (on_validated_) on_validated_(from, port);
  }
  send_to(stun::binding_success(req.txid, from, port, pwd_), from, port);
  if (!req.use_candidate) return;
  // RFC 8445 §7.3.1.5: USE-CANDIDATE nominates the pair. The dataplane flow is
  // keyed by the first nominated pair, so a later nomination of another pair
  // is counted and not followed.
  if (have_pair_) {
    if (!(pair_.remote == from && pair_.remote_port == port)) ++counters_.renominations_ignored;
    return;
  }
  pair_.remote = from;
  pair_.remote_port = port;
  pair_.local = local_ip_;
  pair_.local_port = local_port_;
  have_pair_ = true;
  if (on_selected_) on_selected_(pair_);
}

}  // namespace edgesfu::sp::ice
