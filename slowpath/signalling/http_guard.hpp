// Limits on the HTTP connections of a libsoup server, for every HTTP front
// door (issue 12 #2): a request must arrive whole within a deadline from the
// moment its connection is accepted (half-sent headers, slowloris, are cut
// off), one source address may hold only so many connections at once, and
// the listening socket has a backlog sized for load. libsoup 3 announces a
// connection's first request when it accepts it ("request-started") and each
// request when it is read; a connection over a limit is shut down, and
// libsoup then frees it. Slow-path thread only.
#pragma once

#include <glib-object.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "base/result.hpp"

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;

namespace edgesfu::sp::signalling {

struct HttpLimits {
  int64_t request_deadline_ms = 10'000;  // accepted -> request read (headers and body)
  uint32_t per_source_connections = 64;  // open at once from one address
  int listen_backlog = 1024;
  // A request body over this is answered 413 and read no further into
  // memory (SDP is at most 64 KiB).
  std::size_t max_body = 128 * 1024;
};

class HttpGuard {
 public:
  struct Counters {
    uint64_t accepted = 0;
    uint64_t cut_slow = 0;      // request not read within the deadline
    uint64_t cut_over_cap = 0;  // over the per-source connection cap
    uint64_t too_large = 0;     // bodies over max_body (413)
  };

  // Watches `server`'s requests; call check() about once a second.
  HttpGuard(SoupServer* server, const HttpLimits& limits);
  ~HttpGuard();
  HttpGuard(const HttpGuard&) = delete;
  HttpGuard& operator=(const HttpGuard&) = delete;

  // Listens on address:port with the configured backlog.
  Status listen(const std::string& address, uint16_t port);
  // Cuts the connections whose request is late.
  void check(int64_t now_us);
  // A request whose connection became a WebSocket (libsoup steals it and
  // reports no end): no longer a request with a deadline, still one of its
  // source's connections until closed(source). Returns the source.
  std::string upgraded(SoupServerMessage* msg);
  void closed(const std::string& source);
  const Counters& counters() const { return counters_; }

 private:
  struct Pending {
    int64_t started_us = 0;
    bool read = false;
    bool cut = false;  // shut down by us; kept until libsoup reports it gone
    std::string source;
    std::size_t body = 0;  // bytes of body received
    gulong sig_headers = 0, sig_chunk = 0;
  };
  static void on_started(SoupServer*, SoupServerMessage* msg, gpointer self);
  static void on_read(SoupServer*, SoupServerMessage* msg, gpointer self);
  static void on_done(SoupServer*, SoupServerMessage* msg, gpointer self);
  static void on_headers(SoupServerMessage* msg, gpointer self);
  static void on_chunk(SoupServerMessage* msg, GBytes* chunk, gpointer self);
  static void on_gone(gpointer self, GObject* msg);
  void refuse_body(SoupServerMessage* msg);
  // `alive`: false when called as the message is finalized (its signal
  // handlers and weak reference go with it).
  void forget(SoupServerMessage* msg, bool alive);
  static void cut(SoupServerMessage* msg);

  SoupServer* server_;
  HttpLimits limits_;
  gulong sig_started_ = 0, sig_read_ = 0, sig_finished_ = 0, sig_aborted_ = 0;
  std::map<SoupServerMessage*, Pending> pending_;  // from started to finished/aborted/freed
  std::map<std::string, uint32_t> per_source_;
  Counters counters_;
};

}  // namespace edgesfu::sp::signalling
