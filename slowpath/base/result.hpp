// Result<T>: the slow path's way to return a value or an error across modules
// (DESIGN.md §6: results instead of exceptions). No exceptions cross a module.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace edgesfu {

// An error is a human-readable reason. Config errors carry the key path in it.
struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

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
inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace edgesfu
