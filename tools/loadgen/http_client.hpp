// Asynchronous HTTP requests for the load client's signalling (WHIP/WHEP and
// Janus' HTTP API) on libsoup-3, on the thread-default GMainContext the peers
// run on. One SoupSession, many connections to the same host.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

typedef struct _SoupSession SoupSession;

namespace edgesfu::loadgen {

struct HttpResponse {
  int status = 0;          // 0 when the request did not complete
  std::string body;
  std::string location;    // the Location header, if any
  std::string error;       // transport error when status is 0
};

class HttpClient {
 public:
  using Done = std::function<void(const HttpResponse&)>;
  explicit HttpClient(int max_connections);
  ~HttpClient();  // cancels what is in flight; their callbacks do not run
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void request(const std::string& method, const std::string& url, const std::string& content_type,
               const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers,
               Done done);
  std::size_t in_flight() const { return in_flight_; }

 private:
  struct Call;
  static void finished(GObject* source, GAsyncResult* res, gpointer call);
  SoupSession* session_ = nullptr;
  GCancellable* cancel_ = nullptr;
  std::size_t in_flight_ = 0;
};

}  // namespace edgesfu::loadgen
