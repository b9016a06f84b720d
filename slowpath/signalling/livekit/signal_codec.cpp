#include "slowpath/signalling/livekit/signal_codec.hpp"

#include <google/protobuf/util/json_util.h>
#include <zlib.h>

#include "slowpath/auth/token.hpp"

namespace edgesfu::sp::livekit {

namespace {

Error bad(std::string why) { return Error{std::move(why), ErrorCode::kInvalidArgument}; }

// RFC 4648 §5 without padding (the JS SDK keeps it: Go's URLEncoding).
bool base64url(std::string_view in, std::string& out) {
  std::string s(in);
  while (!s.empty() && s.back() == '=') s.pop_back();
  return auth::base64url_decode(s, out);
}

}  // namespace

Result<std::string> gunzip(std::string_view in, std::size_t max_out) {
  z_stream z{};
  // 16 + MAX_WBITS: a gzip wrapper (RFC 1952), not zlib's.
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return make_error("gzip: inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return bad(std::string("gzip: ") + (z.msg != nullptr ? z.msg : "corrupt or truncated data"));
    }
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_out) {
      inflateEnd(&z);
      return bad("gzip: inflates to more than " + std::to_string(max_out) + " bytes");
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      return bad("gzip: truncated data");
    }
  }
  inflateEnd(&z);
  return out;
}

std::string gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(rc == Z_STREAM_END ? z.total_out : 0);
  deflateEnd(&z);
  return out;
}

Result<::livekit::JoinRequest> decode_join_request(std::string_view param) {
  if (param.empty()) return bad("join_request: empty");
  if (param.size() > kMaxJoinParam) {
    return bad("join_request: over " + std::to_string(kMaxJoinParam) + " bytes");
  }
  std::string raw;
  if (!base64url(param, raw)) return bad("join_request: not base64url");
  ::livekit::WrappedJoinRequest wrapped;
  if (!wrapped.ParseFromString(raw)) return bad("join_request: not a WrappedJoinRequest");
  std::string inner;
  switch (wrapped.compression()) {
    case ::livekit::WrappedJoinRequest::NONE: inner = wrapped.join_request(); break;
    case ::livekit::WrappedJoinRequest::GZIP: {
      auto z = gunzip(wrapped.join_request(), kMaxJoinRequest);
      if (!z) return Error{"join_request: " + z.error().message, ErrorCode::kInvalidArgument};
      inner = std::move(z).value();
      break;
    }
    default:
      return bad("join_request: unknown compression " + std::to_string(wrapped.compression()));
  }
  ::livekit::JoinRequest j;
  if (!j.ParseFromString(inner)) return bad("join_request: not a JoinRequest");
  return j;
}

std::string encode_join_request(const ::livekit::JoinRequest& j, bool compress) {
  ::livekit::WrappedJoinRequest w;
  const std::string inner = j.SerializeAsString();
  w.set_compression(compress ? ::livekit::WrappedJoinRequest::GZIP
                             : ::livekit::WrappedJoinRequest::NONE);
  w.set_join_request(compress ? gzip(inner) : inner);
  return auth::base64url_encode(w.SerializeAsString());
}

Result<::livekit::SignalRequest> decode_signal(std::span<const uint8_t> binary) {
  if (binary.size() > kMaxSignalFrame) {
    return bad("signal: a frame over " + std::to_string(kMaxSignalFrame) + " bytes");
  }
  ::livekit::SignalRequest r;
  if (!r.ParseFromArray(binary.data(), static_cast<int>(binary.size()))) {
    return bad("signal: not a SignalRequest");
  }
  return r;
}

Result<::livekit::SignalRequest> decode_signal_json(std::string_view text) {
  if (text.size() > kMaxSignalFrame) {
    return bad("signal: a frame over " + std::to_string(kMaxSignalFrame) + " bytes");
  }
  ::livekit::SignalRequest r;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  const auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &r, o);
  if (!st.ok()) return bad("signal: not a SignalRequest in protojson: " + st.ToString());
  return r;
}

std::string encode_signal(const ::livekit::SignalResponse& r) { return r.SerializeAsString(); }

}  // namespace edgesfu::sp::livekit
