// The appliance's ICE agent: ICE-lite (RFC 8445 §2.5), always the controlled
// side, one component (BUNDLE and rtcp-mux), one host candidate: a UDP socket
// on the appliance's address in rtc.port_range_*.
//
// A lite agent sends no connectivity checks of its own, before or after the
// peer's (RFC 8445 §2.5), and so no RFC 7675 consent checks either: it answers
// the peer's, and the fast path's idle timeout ends a peer that stops sending
// them (consent withdrawn, as the peer sees it). It answers each
// valid Binding Request (short-term credentials, RFC 8445 §7.3) and remembers
// the source as a validated address; the first check carrying USE-CANDIDATE
// selects the pair (RFC 8445 §7.3.1.5). Data is accepted only from validated
// addresses, and may be sent on one before the nomination (RFC 8445 §12.1:
// data on a valid pair), so a DTLS ServerHello answers the ClientHello at once.
// Slow-path thread only (its socket is a GSource on `context`).
#pragma once

#include <glib.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "slowpath/ice/ice_types.hpp"

namespace edgesfu::sp::ice {

class LiteAgent {
 public:
  using OnData = std::function<void(std::span<const uint8_t>)>;
  using OnSelected = std::function<void(const SelectedPair&)>;
  // A new address passed a check (the dataplane may then let its DTLS in).
  using OnValidated = std::function<void(const dp::pkt::IpAddr&, uint16_t port)>;

  // What the agent saw; the caller may log it when the session ends.
  struct Counters {
    uint64_t checks_answered = 0;  // valid Binding Requests, answered with success
    uint64_t checks_refused = 0;   // answered with 401/420/487 (after the USERNAME/integrity)
    // Not answered: malformed, no credentials, not a request, bad FINGERPRINT
    // (an answer to an unauthenticated source would be larger than its request).
    uint64_t stun_discarded = 0;
    uint64_t data_in = 0;                // datagrams handed to on_data
    uint64_t data_unvalidated = 0;       // dropped: from an address that passed no check
    uint64_t renominations_ignored = 0;  // USE-CANDIDATE for another pair after the first
    uint64_t send_dropped = 0;           // datagrams the socket refused (its buffer full)
  };

  // Binds the socket (a port in [port_min, port_max], or any with 0) and makes
  // the local credentials. `p.controlling` is ignored: a lite agent is controlled.
  static Result<std::unique_ptr<LiteAgent>> create(const AgentParams& p);
  ~LiteAgent();
  LiteAgent(const LiteAgent&) = delete;
  LiteAgent& operator=(const LiteAgent&) = delete;

  std::pair<std::string, std::string> credentials() const { return {ufrag_, pwd_}; }
  // Candidate lines for SDP without "a=": one host candidate, with the
  // advertised address (rtc.node_ip) when there is one.
  std::vector<std::string> candidates() const;

  // The peer's credentials from its SDP. A lite agent needs no remote
  // candidates: it learns the peer's address from its checks.
  Status set_remote(const std::string& ufrag, const std::string& pwd);

  // Sends one datagram to the selected pair, or before the nomination to the
  // address that passed a check most recently. Error when there is neither.
  Status send(std::span<const uint8_t> d);

  void on_data(OnData f) { on_data_ = std::move(f); }
  void on_selected(OnSelected f) { on_selected_ = std::move(f); }
  void on_validated(OnValidated f) { on_validated_ = std::move(f); }
  uint16_t local_port() const { return local_port_; }

  bool selected() const { return have_pair_; }
  const SelectedPair& pair() const { return pair_; }
  const Counters& counters() const { return counters_; }

  // Handles one received datagram from `from`:`port` (what the socket's
  // callback does; public so that tests can drive the agent without a peer).
  void on_datagram(std::span<const uint8_t> d, const dp::pkt::IpAddr& from, uint16_t port);

 private:
  LiteAgent() = default;
  static gboolean on_readable(gint fd, GIOCondition cond, gpointer self);
  void handle_stun(std::span<const uint8_t> d, const dp::pkt::IpAddr& from, uint16_t port);
  void send_to(std::span<const uint8_t> d, const dp::pkt::IpAddr& to, uint16_t port);
  bool validated(const dp::pkt::IpAddr& a, uint16_t port) const;

  struct Endpoint {
    dp::pkt::IpAddr ip;
    uint16_t port = 0;
  };
  static constexpr std::size_t kMaxValidated = 8;

  AgentParams params_;
  int fd_ = -1;
  GSource* source_ = nullptr;
  dp::pkt::IpAddr local_ip_;
  uint16_t local_port_ = 0;
  std::string ufrag_, pwd_;
  std::string remote_ufrag_, remote_pwd_;
  std::array<Endpoint, kMaxValidated> validated_{};  // ring, newest at validated_next_ - 1
  std::size_t validated_count_ = 0, validated_next_ = 0;
  bool have_pair_ = false;
  SelectedPair pair_;
  Counters counters_;
  OnData on_data_;
  OnSelected on_selected_;
  OnValidated on_validated_;
};

}  // namespace edgesfu::sp::ice
