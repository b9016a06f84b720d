#include "slowpath/signalling/http_reply.hpp"

#include <libsoup/soup.h>

namespace edgesfu::sp::signalling {

namespace {

void headers_and_status(SoupServerMessage* msg, int status) {
  SoupMessageHeaders* h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace(h, "Connection", "close");
  soup_server_message_set_status(msg, static_cast<guint>(status), nullptr);
}

}  // namespace

void respond(SoupServerMessage* msg, int status, const std::string& body, const char* type) {
  headers_and_status(msg, status);
  soup_server_message_set_response(msg, type, SOUP_MEMORY_COPY, body.data(), body.size());
}

void respond_static(SoupServerMessage* msg, int status, std::string_view body, const char* type) {
  headers_and_status(msg, status);
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                               "public, max-age=3600");
  soup_server_message_set_response(msg, type, SOUP_MEMORY_STATIC, body.data(), body.size());
}

std::string request_token(SoupServerMessage* msg, GHashTable* query) {
  if (query != nullptr) {
    const auto* v = static_cast<const char*>(g_hash_table_lookup(query, "access_token"));
    if (v != nullptr && *v != '\0') return v;
  }
  const char* h =
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
  const std::string bearer = h != nullptr ? h : "";
  return bearer.rfind("Bearer ", 0) == 0 ? bearer.substr(7) : "";
}

}  // namespace edgesfu::sp::signalling
