// /metrics for Prometheus on `prometheus_port` (LiveKit's key), on the
// appliance's address (behind the TAP): GET or HEAD /metrics answers with
// what `render` returns at that moment (exposition.hpp); anything else is a
// 404 or 405. The signalling door's limits hold here too (HttpGuard: a
// request deadline, connections per source, backlog). Runs on the slow
// path's GMainContext, so `render` reads the slow path's state without locks.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "slowpath/signalling/http_guard.hpp"

namespace edgesfu::sp::metrics {

class MetricsServer {
 public:
  static Result<std::unique_ptr<MetricsServer>> start(GMainContext* context,
                                                      const std::string& address, uint16_t port,
                                                      const signalling::HttpLimits& limits,
                                                      std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  uint64_t scrapes() const { return scrapes_; }

 private:
  MetricsServer() = default;
  static void handle(SoupServer* server, SoupServerMessage* msg, const char* path,
                     GHashTable* query, gpointer self);
  static gboolean on_sweep(gpointer self);
  SoupServer* server_ = nullptr;
  std::unique_ptr<signalling::HttpGuard> guard_;
  GSource* sweep_ = nullptr;
  std::function<std::string()> render_;
  uint64_t scrapes_ = 0;
};

}  // namespace edgesfu::sp::metrics
