// The one place where an error's code becomes an HTTP status, for every HTTP
// front door (WHIP/WHEP today; the LiveKit routes next).
#pragma once

#include "base/result.hpp"

namespace edgesfu::sp::signalling {

inline int http_status(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kUnsupported: return 406;
    case ErrorCode::kUnsupportedMediaType: return 415;
    case ErrorCode::kTooLarge: return 413;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

}  // namespace edgesfu::sp::signalling
