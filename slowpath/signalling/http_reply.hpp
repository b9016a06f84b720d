// How every front door on the HTTP server answers a request: one request per
// connection (Connection: close: Debian's libsoup 3.2 keeps a keep-alive
// connection the client closed in CLOSE-WAIT for good, issue 12 #2) and
// Access-Control-Allow-Origin * (pages on other origins call us; the token
// is the credential). Slow-path thread only.
#pragma once

#include <string>
#include <string_view>

typedef struct _SoupServerMessage SoupServerMessage;
typedef struct _GHashTable GHashTable;

namespace edgesfu::sp::signalling {

void respond(SoupServerMessage* msg, int status, const std::string& body,
             const char* type = "text/plain; charset=utf-8");

// The same with a body that lives as long as the process (served without a
// copy), cacheable by the browser for an hour.
void respond_static(SoupServerMessage* msg, int status, std::string_view body, const char* type);

// The access token of a LiveKit WebSocket request: `access_token` of the
// query (null: none), else the Authorization header's Bearer; "" if neither.
std::string request_token(SoupServerMessage* msg, GHashTable* query);

}  // namespace edgesfu::sp::signalling
