// What the slow path measures of sessions for /metrics: how long they took
// to connect and how many came and went. Written by the sessions on the
// slow path's thread, read there by the metrics server.
#pragma once

#include <cstdint>

#include "slowpath/metrics/exposition.hpp"

namespace edgesfu::sp::metrics {

struct SessionMetrics {
  Histogram connect;         // session made (offer) -> its media in the fast path
  Histogram dtls_handshake;  // first DTLS record -> DTLS connected
  uint64_t started = 0, connected = 0, ended = 0;
};

}  // namespace edgesfu::sp::metrics
