#include "slowpath/metrics/metrics_server.hpp"

#include <cstring>

namespace edgesfu::sp::metrics {

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(GMainContext* context,
                                                            const std::string& address,
                                                            uint16_t port,
                                                            const signalling::HttpLimits& limits,
                                                            std::function<std::string()> render) {
  std::unique_ptr<MetricsServer> m(new MetricsServer());
  m->render_ = std::move(render);
  m->server_ = soup_server_new("server-header", "edgesfu", nullptr);
  if (m->server_ == nullptr) return make_error("prometheus: soup_server_new failed");
  soup_server_add_handler(m->server_, nullptr, &MetricsServer::handle, m.get(), nullptr);
  m->guard_ = std::make_unique<signalling::HttpGuard>(m->server_, limits);
  if (auto s = m->guard_->listen(address, port); !s) {
    return make_error("prometheus: " + s.error().message);
  }
  m->sweep_ = g_timeout_source_new_seconds(1);
  g_source_set_callback(m->sweep_, &MetricsServer::on_sweep, m.get(), nullptr);
  g_source_attach(m->sweep_, context);
  return m;
}

MetricsServer::~MetricsServer() {
  if (sweep_ != nullptr) {
    g_source_destroy(sweep_);
    g_source_unref(sweep_);
  }
  guard_.reset();  // before the server: it disconnects its signal handlers
  if (server_ != nullptr) {
    soup_server_disconnect(server_);
    g_object_unref(server_);
  }
}

gboolean MetricsServer::on_sweep(gpointer self) {
  static_cast<MetricsServer*>(self)->guard_->check(g_get_monotonic_time());
  return G_SOURCE_CONTINUE;
}

void MetricsServer::handle(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                           gpointer self) {
  auto* m = static_cast<MetricsServer*>(self);
  if (std::strcmp(path, "/metrics") != 0) {
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  }
  const char* method = soup_server_message_get_method(msg);
  const bool head = std::strcmp(method, "HEAD") == 0;
  if (!head && std::strcmp(method, "GET") != 0) {
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                 "GET, HEAD");
    return;
  }
  ++m->scrapes_;
  const std::string body = m->render_();
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(msg, "text/plain; version=0.0.4; charset=utf-8",
                                   SOUP_MEMORY_COPY, head ? "" : body.data(),
                                   head ? 0 : body.size());
}

}  // namespace edgesfu::sp::metrics
