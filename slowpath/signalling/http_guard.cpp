#include "slowpath/signalling/http_guard.hpp"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "base/log.hpp"

namespace edgesfu::sp::signalling {

namespace {

// libsoup before 3.4.0 leaks one reference to every socket its listener
// accepts (upstream commit b545d5f0, "soup-listener: Plug a leak"; Debian
// 12 ships 3.2.3): the GSocket object outlives its closed descriptor, about
// 0.8 KiB per HTTP connection, forever. The guard sees each accepted socket
// in its connection's first request-started, before libsoup wraps it in a
// stream; there the socket's only other owner is its SoupServerConnection,
// so a count of 2 is the leaked reference, which is dropped here. A libsoup
// with the fix (or a distribution's backport) shows 1 and is left alone.
void drop_leaked_accept_ref(SoupServerMessage* msg) {
  static const bool kLeaky = soup_get_major_version() == 3 && soup_get_minor_version() < 4;
  static const GQuark kSeen = g_quark_from_static_string("edgesfu-http-guard-seen");
  if (!kLeaky) return;
  GSocket* s = soup_server_message_get_socket(msg);
  if (s == nullptr || g_object_get_qdata(G_OBJECT(s), kSeen) != nullptr) return;
  g_object_set_qdata(G_OBJECT(s), kSeen, GINT_TO_POINTER(1));
  if (g_atomic_int_get(&G_OBJECT(s)->ref_count) == 2) g_object_unref(s);
}

// libsoup before 3.3.0 never frees a keep-alive connection that its client
// closes while it waits for the next request (upstream commit d20c6601,
// "server: do not leak idle connections closed by the client"): the
// connection, its streams and its buffers stay for the life of the server.
// On those versions every answer other than a WebSocket upgrade closes its
// connection; clients open another for their next request. The header goes
// on when the request is read (the client is told); and again when the
// request ends, which covers answers given before the body (Expect:
// 100-continue refused) and requests that asked for an upgrade and got an
// ordinary answer: libsoup decides whether to keep the connection only after
// request-finished/aborted, and a connection that became a WebSocket never
// gets there.
bool leaky_keepalive() {
  static const bool kLeaky = soup_get_major_version() == 3 && soup_get_minor_version() < 3;
  return kLeaky;
}
void close_after_answer(SoupServerMessage* msg) {
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                               "close");
}

std::string source_of(SoupServerMessage* msg) {
  GSocketAddress* sa = soup_server_message_get_remote_address(msg);
  if (sa == nullptr || !G_IS_INET_SOCKET_ADDRESS(sa)) return "?";
  GInetAddress* ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa));
  gchar* s = g_inet_address_to_string(ia);
  std::string out = s != nullptr ? s : "?";
  g_free(s);
  return out;
}

}  // namespace

HttpGuard::HttpGuard(SoupServer* server, const HttpLimits& limits)
    : server_(server), limits_(limits) {
  sig_started_ =
      g_signal_connect(server_, "request-started", G_CALLBACK(&HttpGuard::on_started), this);
  sig_read_ = g_signal_connect(server_, "request-read", G_CALLBACK(&HttpGuard::on_read), this);
  sig_finished_ =
      g_signal_connect(server_, "request-finished", G_CALLBACK(&HttpGuard::on_done), this);
  sig_aborted_ =
      g_signal_connect(server_, "request-aborted", G_CALLBACK(&HttpGuard::on_done), this);
}

HttpGuard::~HttpGuard() {
  for (gulong id : {sig_started_, sig_read_, sig_finished_, sig_aborted_}) {
    if (id != 0) g_signal_handler_disconnect(server_, id);
  }
  while (!pending_.empty()) forget(pending_.begin()->first, true);
}

Status HttpGuard::listen(const std::string& address, uint16_t port) {
  GInetAddress* ia = g_inet_address_new_from_string(address.c_str());
  if (ia == nullptr)
    return make_error(ErrorCode::kInvalidArgument, "http: '" + address + "' is not an address");
  GError* err = nullptr;
  GSocket* sock = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, &err);
  GSocketAddress* sa = g_inet_socket_address_new(ia, port);
  g_object_unref(ia);
  auto fail = [&](const char* what) {
    std::string m = std::string("http: ") + what + " " + address + ":" + std::to_string(port) +
                    ": " + (err != nullptr ? err->message : "?");
    if (err != nullptr) g_error_free(err);
    if (sock != nullptr) g_object_unref(sock);
    g_object_unref(sa);
    return make_error(m);
  };
  if (sock == nullptr) return fail("cannot make a socket for");
  g_socket_set_listen_backlog(sock, limits_.listen_backlog);
  if (!g_socket_bind(sock, sa, TRUE, &err)) return fail("cannot bind");
  if (!g_socket_listen(sock, &err)) return fail("cannot listen on");
  if (!soup_server_listen_socket(server_, sock, static_cast<SoupServerListenOptions>(0), &err)) {
    return fail("cannot serve on");
  }
  g_object_unref(sock);  // the server holds it
  g_object_unref(sa);
  return ok_status();
}

void HttpGuard::cut(SoupServerMessage* msg) {
  // Shut down, not closed: libsoup owns the descriptor, sees the end of the
  // stream, and frees the connection (request-aborted).
  if (GSocket* s = soup_server_message_get_socket(msg)) g_socket_shutdown(s, TRUE, TRUE, nullptr);
}

void HttpGuard::on_started(SoupServer*, SoupServerMessage* msg, gpointer p) {
  auto* self = static_cast<HttpGuard*>(p);
  drop_leaked_accept_ref(msg);
  ++self->counters_.accepted;
  Pending e;
  e.started_us = g_get_monotonic_time();
  e.source = source_of(msg);
  e.sig_headers = g_signal_connect(msg, "got-headers", G_CALLBACK(&HttpGuard::on_headers), self);
  e.sig_chunk = g_signal_connect(msg, "got-chunk", G_CALLBACK(&HttpGuard::on_chunk), self);
  const uint32_t n = ++self->per_source_[e.source];
  // A connection that closes before its request is read ends its message
  // with no request-finished or request-aborted: the weak reference tells.
  g_object_weak_ref(G_OBJECT(msg), &HttpGuard::on_gone, self);
  Pending& in = self->pending_[msg] = std::move(e);
  if (n > self->limits_.per_source_connections) {
    in.cut = true;
    ++self->counters_.cut_over_cap;
    if (self->counters_.cut_over_cap == 1 || self->counters_.cut_over_cap % 1000 == 0) {
      logger(LogComponent::kWhip)
          .warn("http: {} has more than {} connections open; cutting new ones ({} so far)",
                in.source, self->limits_.per_source_connections, self->counters_.cut_over_cap);
    }
    cut(msg);
  }
}

void HttpGuard::on_read(SoupServer*, SoupServerMessage* msg, gpointer p) {
  auto* self = static_cast<HttpGuard*>(p);
  auto it = self->pending_.find(msg);
  if (it != self->pending_.end()) it->second.read = true;
  if (leaky_keepalive() &&
      !soup_message_headers_header_contains(soup_server_message_get_request_headers(msg),
                                            "Connection", "upgrade"))
    close_after_answer(msg);
}

void HttpGuard::on_done(SoupServer*, SoupServerMessage* msg, gpointer p) {
  if (leaky_keepalive()) close_after_answer(msg);
  static_cast<HttpGuard*>(p)->forget(msg, true);
}

void HttpGuard::on_gone(gpointer p, GObject* msg) {
  static_cast<HttpGuard*>(p)->forget(reinterpret_cast<SoupServerMessage*>(msg), false);
}

void HttpGuard::forget(SoupServerMessage* msg, bool alive) {
  auto it = pending_.find(msg);
  if (it == pending_.end()) return;
  if (alive) {
    g_object_weak_unref(G_OBJECT(msg), &HttpGuard::on_gone, this);
    for (gulong id : {it->second.sig_headers, it->second.sig_chunk}) {
      if (id != 0 && g_signal_handler_is_connected(msg, id)) g_signal_handler_disconnect(msg, id);
    }
  }
  auto src = per_source_.find(it->second.source);
  if (src != per_source_.end() && --src->second == 0) per_source_.erase(src);
  pending_.erase(it);
}

std::string HttpGuard::upgraded(SoupServerMessage* msg) {
  auto it = pending_.find(msg);
  if (it == pending_.end()) return {};
  std::string source = it->second.source;
  ++per_source_[source];  // kept for the WebSocket; forget() gives the request's back
  forget(msg, true);
  return source;
}

void HttpGuard::closed(const std::string& source) {
  auto src = per_source_.find(source);
  if (src != per_source_.end() && --src->second == 0) per_source_.erase(src);
}

void HttpGuard::refuse_body(SoupServerMessage* msg) {
  // What was kept is dropped and nothing more is kept; libsoup reads the
  // rest of the body (the request deadline bounds how long) and, the status
  // being set, answers 413 without calling the handler.
  SoupMessageBody* body = soup_server_message_get_request_body(msg);
  soup_message_body_set_accumulate(body, FALSE);
  soup_message_body_truncate(body);
  if (soup_server_message_get_status(msg) == 0) {
    soup_server_message_set_status(msg, 413, nullptr);
    static constexpr char kWhy[] = "request body too large\n";
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, kWhy,
                                     sizeof kWhy - 1);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
  }
  ++counters_.too_large;
}

void HttpGuard::on_headers(SoupServerMessage* msg, gpointer p) {
  auto* self = static_cast<HttpGuard*>(p);
  const goffset declared =
      soup_message_headers_get_content_length(soup_server_message_get_request_headers(msg));
  if (declared > 0 && static_cast<std::size_t>(declared) > self->limits_.max_body)
    self->refuse_body(msg);
}

void HttpGuard::on_chunk(SoupServerMessage* msg, GBytes* chunk, gpointer p) {
  auto* self = static_cast<HttpGuard*>(p);
  auto it = self->pending_.find(msg);
  if (it == self->pending_.end()) return;
  const std::size_t before = it->second.body;
  it->second.body += g_bytes_get_size(chunk);
  // Chunked bodies declare no length: stop keeping them past the limit.
  if (before <= self->limits_.max_body && it->second.body > self->limits_.max_body)
    self->refuse_body(msg);
}

void HttpGuard::check(int64_t now_us) {
  const int64_t deadline_us = limits_.request_deadline_ms * 1000;
  std::vector<SoupServerMessage*> late, gone;
  for (auto& [msg, e] : pending_) {
    if (e.cut) {
      // libsoup reports a shut-down connection gone at once; one it never
      // reports is forgotten after another deadline.
      if (now_us - e.started_us > deadline_us) gone.push_back(msg);
    } else if (!e.read && now_us - e.started_us > deadline_us) {
      late.push_back(msg);
      e.cut = true;
      e.started_us = now_us;
    }
  }
  for (SoupServerMessage* msg : late) cut(msg);
  for (SoupServerMessage* msg : gone) forget(msg, true);
  if (!late.empty()) {
    counters_.cut_slow += late.size();
    logger(LogComponent::kWhip)
        .warn("http: cut {} connections whose request did not arrive within {} ms ({} so far)",
              late.size(), limits_.request_deadline_ms, counters_.cut_slow);
  }
}

}  // namespace edgesfu::sp::signalling
