#include "slowpath/signalling/http_reply.hpp"

#include <libsoup/soup.h>

namespace edgesfu::sp::signalling {

void respond(SoupServerMessage* msg, int status, const std::string& body, const char* type) {
  SoupMessageHeaders* h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace(h, "Connection", "close");
  soup_server_message_set_status(msg, static_cast<guint>(status), nullptr);
  soup_server_message_set_response(msg, type, SOUP_MEMORY_COPY, body.data(), body.size());
}

}  // namespace edgesfu::sp::signalling
