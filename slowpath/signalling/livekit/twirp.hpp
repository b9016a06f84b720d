// Twirp, the RPC framing of LiveKit's server APIs (RoomService and the
// like): POST /twirp/<package>.<Service>/<Method>, the request message as
// binary protobuf (application/protobuf) or protojson (application/json),
// the response in the same encoding, errors as JSON {"code","msg"} with the
// HTTP status Twirp gives each code. Pure functions over strings; a bad
// body is an error with the reason, never an exception out of here.
#pragma once

#include <google/protobuf/message.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace edgesfu::sp::livekit::twirp {

inline constexpr std::size_t kMaxBody = 1024 * 1024;

// "/twirp/livekit.RoomService/CreateRoom" -> {"livekit.RoomService", "CreateRoom"}.
struct Route {
  std::string service;
  std::string method;
};
bool parse_path(std::string_view path, Route& out);

enum class Encoding { kJson, kProtobuf };
// The request's Content-Type (parameters such as charset allowed); false
// for anything else.
bool encoding_of(std::string_view content_type, Encoding& out);
const char* content_type(Encoding e);

// The request body as `m`; unknown JSON fields are ignored (as LiveKit's
// server does), a body over kMaxBody or undecodable is kInvalidArgument.
Status decode(std::string_view body, Encoding e, google::protobuf::Message& m);
std::string encode(const google::protobuf::Message& m, Encoding e);

// Twirp's error codes: the name on the wire and the HTTP status.
enum class Code {
  kMalformed,  // the body did not decode
  kInvalidArgument,
  kUnauthenticated,
  kPermissionDenied,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kResourceExhausted,
  kUnimplemented,
  kBadRoute,
  kUnavailable,
  kInternal,
};
const char* to_string(Code c);
int http_status(Code c);
// The code of one of our errors.
Code code_of(ErrorCode c);
// {"code":"not_found","msg":"..."} with the message JSON-escaped.
std::string error_body(Code c, std::string_view msg);

}  // namespace edgesfu::sp::livekit::twirp
