#include "tools/loadgen/http_client.hpp"

#include <libsoup/soup.h>

namespace edgesfu::loadgen {

struct HttpClient::Call {
  HttpClient* owner;
  SoupMessage* msg;
  Done done;
  GCancellable* cancel;  // a reference: outlives the owner's
};

HttpClient::HttpClient(int max_connections) {
  session_ = soup_session_new_with_options("max-conns", max_connections, "max-conns-per-host", max_connections,
                                           "timeout", 60, "idle-timeout", 60, nullptr);
  cancel_ = g_cancellable_new();
}

HttpClient::~HttpClient() {
  g_cancellable_cancel(cancel_);
  g_object_unref(cancel_);
  soup_session_abort(session_);
  g_object_unref(session_);
}

void HttpClient::request(const std::string& method, const std::string& url, const std::string& content_type,
                         const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers, Done done) {
  SoupMessage* msg = soup_message_new(method.c_str(), url.c_str());
  if (msg == nullptr) {
    HttpResponse r;
    r.error = "not a valid URL: " + url;
    done(r);
    return;
  }
  SoupMessageHeaders* h = soup_message_get_request_headers(msg);
  for (const auto& [k, v] : headers) soup_message_headers_replace(h, k.c_str(), v.c_str());
  if (!content_type.empty()) {
    GBytes* b = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(msg, content_type.c_str(), b);
    g_bytes_unref(b);
  }
  auto* call = new Call{this, msg, std::move(done), G_CANCELLABLE(g_object_ref(cancel_))};
  ++in_flight_;
  soup_session_send_and_read_async(session_, msg, G_PRIORITY_DEFAULT, call->cancel, &HttpClient::finished, call);
}

void HttpClient::finished(GObject* source, GAsyncResult* res, gpointer p) {
  auto* call = static_cast<Call*>(p);
  GError* err = nullptr;
  GBytes* bytes = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &err);
  const bool cancelled = g_cancellable_is_cancelled(call->cancel);
  if (!cancelled) {
    --call->owner->in_flight_;
    HttpResponse r;
    if (bytes != nullptr) {
      r.status = static_cast<int>(soup_message_get_status(call->msg));
      gsize n = 0;
      const auto* d = static_cast<const char*>(g_bytes_get_data(bytes, &n));
      if (d != nullptr) r.body.assign(d, n);
      const char* loc = soup_message_headers_get_one(soup_message_get_response_headers(call->msg), "Location");
      if (loc != nullptr) r.location = loc;
    } else {
      r.error = err != nullptr ? err->message : "request failed";
    }
    call->done(r);
  }
  if (bytes != nullptr) g_bytes_unref(bytes);
  if (err != nullptr) g_error_free(err);
  g_object_unref(call->msg);
  g_object_unref(call->cancel);
  delete call;
}

}  // namespace edgesfu::loadgen
