#include "slowpath/ice/ice_agent.hpp"

#include <agent.h>

#include "slowpath/ice/sockaddr.hpp"

namespace edgesfu::sp::ice {

namespace {

constexpr guint kComponent = 1;  // rtcp-mux and BUNDLE: one component

dp::pkt::IpAddr to_ip(const NiceAddress& a, uint16_t& port) {
  sockaddr_storage ss{};
  nice_address_copy_to_sockaddr(&a, reinterpret_cast<sockaddr*>(&ss));
  return from_sockaddr(ss, port);
}

}  // namespace

Result<std::unique_ptr<Agent>> Agent::create(const AgentParams& p) {
  std::unique_ptr<Agent> a(new Agent());
  a->params_ = p;
  // Consent freshness (RFC 7675) as browsers do it: a Binding Request every
  // ~5 s on the selected pair. libnice's default keepalives are Binding
  // Indications, which prove nothing (RFC 7675 §5.1): an appliance with a
  // consent timeout (edgesfu's dataplane.idle_timeout_ms) rightly drops a
  // peer that sends only those, such as a subscriber, after 30 s.
  a->agent_ = nice_agent_new_full(p.context, NICE_COMPATIBILITY_RFC5245,
                                  NICE_AGENT_OPTION_CONSENT_FRESHNESS);
  if (a->agent_ == nullptr) return make_error("ice: nice_agent_new_full failed");
  g_object_set(a->agent_, "controlling-mode", p.controlling ? TRUE : FALSE, "ice-tcp", FALSE,
               "upnp", FALSE, nullptr);
  NiceAddress addr;
  nice_address_init(&addr);
  if (!nice_address_set_from_string(&addr, p.local_address.c_str())) {
    return make_error("ice: '" + p.local_address + "' is not an IP address");
  }
  if (!nice_agent_add_local_address(a->agent_, &addr)) {
    return make_error("ice: cannot use local address " + p.local_address);
  }
  a->stream_ = nice_agent_add_stream(a->agent_, 1);
  if (a->stream_ == 0) return make_error("ice: nice_agent_add_stream failed");
  if (p.port_min != 0)
    nice_agent_set_port_range(a->agent_, a->stream_, kComponent, p.port_min, p.port_max);
  if (!nice_agent_attach_recv(a->agent_, a->stream_, kComponent, p.context, &Agent::recv_cb,
                              a.get())) {
    return make_error("ice: nice_agent_attach_recv failed");
  }
  a->sig_state_ =
      g_signal_connect(a->agent_, "component-state-changed", G_CALLBACK(&Agent::state_cb), a.get());
  a->sig_pair_ =
      g_signal_connect(a->agent_, "new-selected-pair-full", G_CALLBACK(&Agent::pair_cb), a.get());
  return a;
}

Agent::~Agent() {
  if (agent_ == nullptr) return;
  g_signal_handler_disconnect(agent_, sig_state_);
  g_signal_handler_disconnect(agent_, sig_pair_);
  nice_agent_attach_recv(agent_, stream_, kComponent, params_.context, nullptr, nullptr);
  nice_agent_remove_stream(agent_, stream_);
  nice_agent_close_async(agent_, nullptr, nullptr);
  g_object_unref(agent_);
}

Status Agent::gather() {
  if (!nice_agent_gather_candidates(agent_, stream_)) {
    return make_error("ice: cannot gather candidates on " + params_.local_address +
                      (params_.port_min != 0 ? " in ports " + std::to_string(params_.port_min) +
                                                   "-" + std::to_string(params_.port_max)
                                             : std::string()));
  }
  GSList* cands = nice_agent_get_local_candidates(agent_, stream_, kComponent);
  const bool any = cands != nullptr;
  g_slist_free_full(cands, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  if (!any) return make_error("ice: no local candidate on " + params_.local_address);
  return ok_status();
}

std::pair<std::string, std::string> Agent::credentials() const {
  gchar* ufrag = nullptr;
  gchar* pwd = nullptr;
  nice_agent_get_local_credentials(agent_, stream_, &ufrag, &pwd);
  std::pair<std::string, std::string> out{ufrag != nullptr ? ufrag : "", pwd != nullptr ? pwd : ""};
  g_free(ufrag);
  g_free(pwd);
  return out;
}

std::vector<std::string> Agent::candidates() const {
  std::vector<std::string> out;
  GSList* cands = nice_agent_get_local_candidates(agent_, stream_, kComponent);
  for (GSList* l = cands; l != nullptr; l = l->next) {
    auto* c = static_cast<NiceCandidate*>(l->data);
    if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP) continue;
    gchar* line = nice_agent_generate_local_candidate_sdp(agent_, c);  // "a=candidate:..."
    std::string s = line != nullptr ? line : "";
    g_free(line);
    if (s.rfind("a=", 0) == 0) s.erase(0, 2);
    // Write the advertised address (rtc.node_ip) where the bound one stands.
    if (!params_.advertised_address.empty() &&
        params_.advertised_address != params_.local_address) {
      const std::string from = " " + params_.local_address + " ";
      const auto pos = s.find(from);
      if (pos != std::string::npos)
        s.replace(pos, from.size(), " " + params_.advertised_address + " ");
    }
    out.push_back(s);
  }
  g_slist_free_full(cands, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  return out;
}

Status Agent::set_remote(const std::string& ufrag, const std::string& pwd,
                         const std::vector<std::string>& candidate_lines) {
  if (ufrag.empty() || pwd.empty()) return make_error("ice: the offer has no ice-ufrag/ice-pwd");
  if (!nice_agent_set_remote_credentials(agent_, stream_, ufrag.c_str(), pwd.c_str())) {
    return make_error("ice: remote credentials refused");
  }
  GSList* list = nullptr;
  for (const std::string& line : candidate_lines) {
    const std::string sdp = "a=candidate:" + line;
    NiceCandidate* c = nice_agent_parse_remote_candidate_sdp(agent_, stream_, sdp.c_str());
    if (c == nullptr) continue;  // mDNS names, TCP, other families: ignored
    if (c->component_id == kComponent && c->transport == NICE_CANDIDATE_TRANSPORT_UDP) {
      list = g_slist_append(list, c);
    } else {
      nice_candidate_free(c);
    }
  }
  if (list != nullptr) nice_agent_set_remote_candidates(agent_, stream_, kComponent, list);
  g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  return ok_status();
}

Status Agent::send(std::span<const uint8_t> d) {
  const gint n = nice_agent_send(agent_, stream_, kComponent, static_cast<guint>(d.size()),
                                 reinterpret_cast<const gchar*>(d.data()));
  if (n < 0 || static_cast<std::size_t>(n) != d.size()) return make_error("ice: send failed");
  return ok_status();
}

void Agent::recv_cb(NiceAgent*, guint, guint, guint len, gchar* buf, gpointer self) {
  auto* a = static_cast<Agent*>(self);
  if (a->on_data_) a->on_data_({reinterpret_cast<const uint8_t*>(buf), len});
}

void Agent::state_cb(NiceAgent*, guint, guint, guint state, gpointer self) {
  auto* a = static_cast<Agent*>(self);
  if (state == NICE_COMPONENT_STATE_FAILED && a->on_failed_) a->on_failed_();
}

void Agent::pair_cb(NiceAgent*, guint, guint, gpointer local, gpointer remote, gpointer self) {
  auto* a = static_cast<Agent*>(self);
  const auto* l = static_cast<NiceCandidate*>(local);
  const auto* r = static_cast<NiceCandidate*>(remote);
  SelectedPair p;
  p.remote = to_ip(r->addr, p.remote_port);
  p.local = to_ip(l->base_addr.s.addr.sa_family != 0 ? l->base_addr : l->addr, p.local_port);
  a->pair_ = p;
  a->have_pair_ = true;
  if (a->on_selected_) a->on_selected_(p);
}

}  // namespace edgesfu::sp::ice
