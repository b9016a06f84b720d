// Result<T>: the one way to return a value or an error across modules
// (DESIGN.md §6: results instead of exceptions; no exception crosses a
// module). An error is a reason a person can read and a code a program can
// act on: a front door maps the code to its protocol's status in one place
// (signalling/whip/http_status.hpp for HTTP). The bottom floor: depends on
// nothing of ours.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace edgesfu {

// What kind of failure, independent of any protocol.
enum class ErrorCode : uint8_t {
  kInternal,              // our fault or a library's: 500
  kInvalidArgument,       // malformed input from the caller: 400
  kUnauthenticated,       // no valid credentials: 401
  kPermissionDenied,      // valid credentials, not allowed: 403
  kNotFound,              // 404
  kUnsupported,           // well-formed, but nothing we can do with it (codecs): 406
  kUnsupportedMediaType,  // a body of a type the route does not take: 415
  kTooLarge,              // a body or a field over its limit: 413
  kConflict,              // not in this state (an offer already pending, empty room): 409
  kUnavailable,           // out of a resource for now (ports, slots): 503
};
const char* to_string(ErrorCode c);

// A human-readable reason (config errors carry the key path) and its code.
struct Error {
  std::string message;
  ErrorCode code = ErrorCode::kInternal;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation that yields nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

inline Status ok_status() { return Ok{}; }
inline Error make_error(std::string message) {
  return Error{std::move(message), ErrorCode::kInternal};
}
inline Error make_error(ErrorCode code, std::string message) {
  return Error{std::move(message), code};
}

inline const char* to_string(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kUnsupportedMediaType: return "unsupported_media_type";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnavailable: return "unavailable";
  }
  return "?";
}

}  // namespace edgesfu
