#include "slowpath/signalling/livekit/twirp.hpp"

#include <google/protobuf/util/json_util.h>

#include <cctype>
#include <cstdio>

namespace edgesfu::sp::livekit::twirp {

namespace {

constexpr std::string_view kPrefix = "/twirp/";

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

}  // namespace

bool parse_path(std::string_view path, Route& out) {
  if (path.substr(0, kPrefix.size()) != kPrefix) return false;
  path.remove_prefix(kPrefix.size());
  const std::size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= path.size()) return false;
  const std::string_view service = path.substr(0, slash);
  const std::string_view method = path.substr(slash + 1);
  for (char c : service) {
    if (!name_char(c)) return false;
  }
  for (char c : method) {
    if (!name_char(c) || c == '.') return false;
  }
  out.service = std::string(service);
  out.method = std::string(method);
  return true;
}

bool encoding_of(std::string_view content_type, Encoding& out) {
  const std::size_t semi = content_type.find(';');
  std::string t = lower(content_type.substr(0, semi));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  while (!t.empty() && t.front() == ' ') t.erase(t.begin());
  if (t == "application/json") {
    out = Encoding::kJson;
    return true;
  }
  if (t == "application/protobuf" || t == "application/x-protobuf") {
    out = Encoding::kProtobuf;
    return true;
  }
  return false;
}

const char* content_type(Encoding e) {
  return e == Encoding::kJson ? "application/json" : "application/protobuf";
}

Status decode(std::string_view body, Encoding e, google::protobuf::Message& m) {
  if (body.size() > kMaxBody) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a body over " + std::to_string(kMaxBody) + " bytes");
  }
  if (e == Encoding::kProtobuf) {
    if (!m.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return make_error(ErrorCode::kInvalidArgument, "the body is not a " + m.GetTypeName());
    }
    return ok_status();
  }
  // Twirp clients may send an empty JSON body for an empty message.
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return ok_status();
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  const auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &m, o);
  if (!st.ok()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the body is not a " + m.GetTypeName() + " in JSON: " + st.ToString());
  }
  return ok_status();
}

std::string encode(const google::protobuf::Message& m, Encoding e) {
  if (e == Encoding::kProtobuf) return m.SerializeAsString();
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;  // as LiveKit's server answers
  if (!google::protobuf::util::MessageToJsonString(m, &out, o).ok()) return "{}";
  return out;
}

const char* to_string(Code c) {
  switch (c) {
    case Code::kMalformed: return "malformed";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kNotFound: return "not_found";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kFailedPrecondition: return "failed_precondition";
    case Code::kResourceExhausted: return "resource_exhausted";
    case Code::kUnimplemented: return "unimplemented";
    case Code::kBadRoute: return "bad_route";
    case Code::kUnavailable: return "unavailable";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

int http_status(Code c) {
  switch (c) {
    case Code::kMalformed:
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound:
    case Code::kBadRoute: return 404;
    case Code::kAlreadyExists: return 409;
    case Code::kFailedPrecondition: return 412;
    case Code::kResourceExhausted: return 429;
    case Code::kUnimplemented: return 501;
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

Code code_of(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kTooLarge: return Code::kInvalidArgument;
    case ErrorCode::kUnauthenticated: return Code::kUnauthenticated;
    case ErrorCode::kPermissionDenied: return Code::kPermissionDenied;
    case ErrorCode::kNotFound: return Code::kNotFound;
    case ErrorCode::kUnsupported:
    case ErrorCode::kUnsupportedMediaType: return Code::kUnimplemented;
    case ErrorCode::kConflict: return Code::kFailedPrecondition;
    case ErrorCode::kUnavailable: return Code::kUnavailable;
    default: return Code::kInternal;
  }
}

std::string error_body(Code c, std::string_view msg) {
  std::string out = R"({"code":")";
  out += to_string(c);
  out += R"(","msg":")";
  for (char ch : msg) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", u);
      out += b;
    } else {
      out += ch;
    }
  }
  out += "\"}";
  return out;
}

}  // namespace edgesfu::sp::livekit::twirp
