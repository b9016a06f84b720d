#include "slowpath/appliance/appliance_metrics.hpp"

namespace edgesfu::sp {
namespace {

using metrics::Exposition;
using metrics::Labels;

// The media counters whose names say packets, and the rest (events).
bool counts_packets(std::string_view n) {
  return n == "rtp_in" || n == "rtp_out" || n == "rtcp_in" || n == "rtcp_out" || n == "rtx_out" ||
         n.starts_with("punted") || n == "handed_off" || n == "rtx_in_ignored" ||
         n == "rtx_in_repaired" || n == "layer_skipped";
}

void lcores(Exposition& e, const MetricsInput& in) {
  for (const auto& l : in.counters.lcores) {
    const Labels lc{{"lcore", std::to_string(l.lcore)}};
    const auto& s = l.s;
    e.counter("edgesfu_lcore_received_packets_total", "Packets the lcore received from the wire",
              s.wire_to_exception.rx_pkts, lc);
    e.counter("edgesfu_lcore_received_bytes_total", "Bytes the lcore received from the wire",
              s.wire_to_exception.rx_bytes, lc);
    e.counter("edgesfu_lcore_forwarded_packets_total",
              "Media packets the fast path sent to the wire (fan-out included)",
              s.fastpath_to_wire.tx_pkts, lc);
    e.counter("edgesfu_lcore_forwarded_bytes_total", "Bytes the fast path sent to the wire",
              s.fastpath_to_wire.tx_bytes, lc);
    e.counter("edgesfu_lcore_punted_packets_total",
              "Packets handed to the kernel through the exception path",
              s.wire_to_exception.tx_pkts, lc);
    e.counter("edgesfu_lcore_kernel_packets_total",
              "Packets from the kernel (exception path) sent to the wire",
              s.exception_to_wire.tx_pkts, lc);
    for (std::size_t c = 0; c < dp::kRxClassCount; ++c) {
      Labels lk = lc;
      lk.emplace_back("class", dp::kRxClassNames[c]);
      e.counter("edgesfu_lcore_received_by_class_packets_total",
                "Packets received by class (RFC 7983 for UDP)", s.rx_class[c][0], lk);
    }
    for (std::size_t d = 0; d < dp::kDropReasonCount; ++d) {
      Labels lk = lc;
      lk.emplace_back("reason", dp::kDropReasonNames[d]);
      e.counter("edgesfu_lcore_dropped_packets_total",
                "Packets dropped, by reason (srtp_*: SRTP failures by kind)", s.drops[d], lk);
    }
    for (std::size_t m = 0; m < dp::kMediaCounterCount; ++m) {
      const std::string_view n = dp::kMediaCounterNames[m];
      Labels lk = lc;
      lk.emplace_back("event", std::string(n));
      if (counts_packets(n)) {
        e.counter("edgesfu_fastpath_packets_total",
                  "Fast-path packets by what happened to them (rtp_in, rtp_out, rtx_out, "
                  "punted_*, ...)",
                  s.media[m], lk);
      } else {
        e.counter("edgesfu_fastpath_events_total",
                  "Fast-path events (NACKs, keyframe requests, layer switches, ...)", s.media[m],
                  lk);
      }
    }
    if (in.tsc_hz > 0) {
      e.counter("edgesfu_lcore_busy_seconds_total",
                "Time the lcore spent in loop iterations that moved packets",
                static_cast<double>(s.busy_cycles) / in.tsc_hz, lc);
      e.counter("edgesfu_lcore_idle_seconds_total", "Time the lcore spent polling empty queues",
                static_cast<double>(s.idle_cycles) / in.tsc_hz, lc);
    }
    const uint64_t total = s.busy_cycles + s.idle_cycles;
    e.gauge("edgesfu_lcore_busy_ratio",
            "Busy share of the lcore since it started (rate() of busy_seconds_total for now)",
            total != 0 ? static_cast<double>(s.busy_cycles) / static_cast<double>(total) : 0, lc);
  }
}

void ports(Exposition& e, const MetricsInput& in) {
  for (const auto& p : in.counters.ports) {
    const Labels l{{"port", p.role}};
    e.counter("edgesfu_port_received_packets_total", "Packets the port received", p.c.rx_pkts, l);
    e.counter("edgesfu_port_received_bytes_total", "Bytes the port received", p.c.rx_bytes, l);
    e.counter("edgesfu_port_sent_packets_total", "Packets the port sent", p.c.tx_pkts, l);
    e.counter("edgesfu_port_sent_bytes_total", "Bytes the port sent", p.c.tx_bytes, l);
    e.counter("edgesfu_port_missed_packets_total",
              "Packets the NIC dropped for want of RX descriptors", p.c.rx_missed, l);
    e.counter("edgesfu_port_errors_total", "RX and TX errors the port reported",
              p.c.rx_errors + p.c.tx_errors, l);
    e.counter("edgesfu_port_no_mbuf_total", "RX allocation failures (mempool empty)", p.c.rx_nombuf,
              l);
  }
  for (const auto& p : in.pools) {
    const Labels l{{"pool", p.name}};
    e.gauge("edgesfu_mempool_mbufs_in_use", "Mbufs of the packet pool in use",
            static_cast<double>(p.in_use), l);
    e.gauge("edgesfu_mempool_mbufs", "Mbufs in the packet pool", static_cast<double>(p.size), l);
  }
}

void control(Exposition& e, const MetricsInput& in) {
  auto g = [&e](const char* name, const char* help, std::size_t v) {
    e.gauge(name, help, static_cast<double>(v));
  };
  e.gauge("edgesfu_heap_in_use_bytes", "C heap bytes in live allocations (glibc, every arena)",
          static_cast<double>(in.heap_in_use));
  e.gauge("edgesfu_heap_free_bytes", "C heap bytes the arenas hold unused",
          static_cast<double>(in.heap_free));
  e.counter("edgesfu_heap_trims_total", "Trims that gave free heap pages back to the kernel",
            in.heap_trims);
  g("edgesfu_flows", "Participants' flows in the fast path", in.flows);
  g("edgesfu_tracks", "Published tracks in the fast path", in.tracks);
  g("edgesfu_subscriptions", "Downtracks (a subscriber receiving a track) in the fast path",
    in.subscriptions);
  g("edgesfu_srtp_sessions", "SRTP sessions (in and out) the fast path holds", in.srtp_sessions);
  g("edgesfu_commands_queued", "Commands to the lcores not yet taken (rings and backlog)",
    in.commands_queued);
  e.counter("edgesfu_commands_deferred_total", "Commands that found an lcore's ring full",
            in.commands_deferred);
  g("edgesfu_rooms", "Rooms open", in.rooms);
  g("edgesfu_participants", "Participants in rooms (every door)", in.participants);
  g("edgesfu_published_tracks", "Tracks published in rooms", in.published_tracks);
  if (in.sessions != nullptr) {
    const auto& s = *in.sessions;
    e.counter("edgesfu_sessions_started_total", "Sessions (participants' transports) made",
              s.started);
    e.counter("edgesfu_sessions_connected_total", "Sessions whose media reached the fast path",
              s.connected);
    e.counter("edgesfu_sessions_ended_total", "Sessions ended, for any reason", s.ended);
    e.histogram("edgesfu_session_connect_seconds",
                "From a session's offer to its media in the fast path (ICE, DTLS, install)",
                s.connect);
    e.histogram("edgesfu_dtls_handshake_seconds",
                "From a session's first DTLS record to DTLS connected", s.dtls_handshake);
  }
}

void data_and_webhooks(Exposition& e, const MetricsInput& in) {
  if (in.data != nullptr) {
    const auto& d = *in.data;
    for (int k = 0; k < 2; ++k) {
      const char* kind = k == 0 ? "reliable" : "lossy";
      e.counter("edgesfu_data_received_messages_total",
                "Data-channel messages received from participants", d.in[k].messages,
                {{"kind", kind}});
      e.counter("edgesfu_data_received_bytes_total", "Data-channel bytes received", d.in[k].bytes,
                {{"kind", kind}});
      e.counter("edgesfu_data_sent_messages_total", "Data-channel messages relayed to receivers",
                d.out[k].messages, {{"kind", kind}});
      e.counter("edgesfu_data_sent_bytes_total", "Data-channel bytes relayed", d.out[k].bytes,
                {{"kind", kind}});
      e.counter("edgesfu_data_slow_receiver_total",
                "Messages not sent: the receiver's send buffer was full", d.slow_receiver[k],
                {{"kind", kind}});
    }
    for (std::size_t r = 1; r < static_cast<std::size_t>(livekit::DataDrop::kCount); ++r) {
      e.counter("edgesfu_data_dropped_messages_total", "Data messages not relayed, by reason",
                d.drops[r], {{"reason", livekit::to_string(static_cast<livekit::DataDrop>(r))}});
    }
    e.counter("edgesfu_data_rate_limited_total", "Data messages over the sender's data.max_* rates",
              d.rate_limited);
  }
  if (in.webhooks) {
    e.gauge("edgesfu_webhook_queue", "Webhook events waiting to be delivered",
            static_cast<double>(in.webhook_queue));
    e.counter("edgesfu_webhook_queued_total", "Webhook events queued", in.webhook.queued);
    e.counter("edgesfu_webhook_delivered_total", "Webhook events delivered", in.webhook.delivered);
    e.counter("edgesfu_webhook_retries_total", "Webhook deliveries retried", in.webhook.retries);
    const std::pair<const char*, uint64_t> dropped[] = {{"full", in.webhook.dropped_full},
                                                        {"expired", in.webhook.dropped_expired},
                                                        {"failed", in.webhook.dropped_failed},
                                                        {"refused", in.webhook.dropped_refused}};
    for (const auto& [why, n] : dropped) {
      e.counter("edgesfu_webhook_dropped_total", "Webhook events given up, by reason", n,
                {{"reason", why}});
    }
  }
}

}  // namespace

std::string render_metrics(const MetricsInput& in) {
  Exposition e;
  lcores(e, in);
  ports(e, in);
  control(e, in);
  data_and_webhooks(e, in);
  return e.text();
}

}  // namespace edgesfu::sp
