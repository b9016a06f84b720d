// One ICE session (RFC 8445) on libnice, as the appliance runs it: ICE-lite
// (RFC 8445 §2.5), the controlled side, one component (BUNDLE and rtcp-mux),
// host candidates on the appliance's address in the configured port range.
// The browser drives the checks; the pair it nominates is the flow the fast
// path will own. Datagrams that arrive through the kernel (DTLS, early RTP)
// are handed to the owner. Slow-path thread only (libnice runs on its
// GMainContext).
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dataplane/pkt/net.hpp"
#include "slowpath/base/result.hpp"

typedef struct _NiceAgent NiceAgent;

namespace edgesfu::sp::ice {

struct AgentParams {
  GMainContext* context = nullptr;
  std::string local_address;      // the appliance IP the sockets bind to
  std::string advertised_address; // rtc.node_ip, written into candidates; empty: local_address
  uint16_t port_min = 0, port_max = 0;  // rtc.port_range_start/end; 0: any
  bool lite = true;               // false only for test peers
  bool controlling = false;
};

// The pair in use: the peer as we see it, and our side.
struct SelectedPair {
  dp::pkt::IpAddr remote;
  uint16_t remote_port = 0;
  dp::pkt::IpAddr local;
  uint16_t local_port = 0;
};

class Agent {
 public:
  using OnData = std::function<void(std::span<const uint8_t>)>;
  using OnSelected = std::function<void(const SelectedPair&)>;
  using OnFailed = std::function<void()>;

  static Result<std::unique_ptr<Agent>> create(const AgentParams& p);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Gathers host candidates (synchronous for host candidates on a bound
  // address). After this, credentials() and candidates() are valid.
  Status gather();
  std::pair<std::string, std::string> credentials() const;  // ufrag, pwd
  // Candidate lines for SDP, without "a=" ("candidate:..."), with the
  // advertised address in place of the bound one.
  std::vector<std::string> candidates() const;

  // The peer's ICE credentials and (optionally) candidates from its SDP.
  Status set_remote(const std::string& ufrag, const std::string& pwd,
                    const std::vector<std::string>& candidate_lines);

  // Sends a datagram on the selected pair (DTLS from the slow path).
  Status send(std::span<const uint8_t> d);

  void on_data(OnData f) { on_data_ = std::move(f); }
  void on_selected(OnSelected f) { on_selected_ = std::move(f); }
  void on_failed(OnFailed f) { on_failed_ = std::move(f); }

  bool selected() const { return have_pair_; }
  const SelectedPair& pair() const { return pair_; }

 private:
  Agent() = default;
  static void recv_cb(NiceAgent*, guint, guint, guint len, gchar* buf, gpointer self);
  static void state_cb(NiceAgent*, guint, guint, guint state, gpointer self);
  static void pair_cb(NiceAgent*, guint, guint, gpointer local, gpointer remote, gpointer self);

  AgentParams params_;
  NiceAgent* agent_ = nullptr;
  guint stream_ = 0;
  gulong sig_state_ = 0, sig_pair_ = 0;
  bool have_pair_ = false;
  SelectedPair pair_;
  OnData on_data_;
  OnSelected on_selected_;
  OnFailed on_failed_;
};

}  // namespace edgesfu::sp::ice
