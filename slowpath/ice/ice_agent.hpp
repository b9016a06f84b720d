// A full ICE agent (RFC 8445) on libnice: one component (BUNDLE and
// rtcp-mux), host candidates on one address in a port range. It is the
// browser's side in tools/loadgen and in tests; the appliance itself answers
// as an ICE-lite agent (lite_agent.hpp), which libnice cannot be: its "lite
// mode" still sends connectivity checks of its own. Slow-path thread only
// (libnice runs on its GMainContext).
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "slowpath/ice/ice_types.hpp"

typedef struct _NiceAgent NiceAgent;

namespace edgesfu::sp::ice {

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
