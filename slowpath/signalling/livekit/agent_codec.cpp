#include "slowpath/signalling/livekit/agent_codec.hpp"

#include <google/protobuf/util/json_util.h>

namespace edgesfu::sp::livekit {

namespace {

Error bad(std::string what) { return make_error(ErrorCode::kInvalidArgument, std::move(what)); }

}  // namespace

Result<::livekit::WorkerMessage> decode_worker(std::span<const uint8_t> binary) {
  if (binary.size() > kMaxWorkerFrame) {
    return bad("agent: a frame over " + std::to_string(kMaxWorkerFrame) + " bytes");
  }
  ::livekit::WorkerMessage m;
  if (!m.ParseFromArray(binary.data(), static_cast<int>(binary.size()))) {
    return bad("agent: not a WorkerMessage");
  }
  return m;
}

Result<::livekit::WorkerMessage> decode_worker_json(std::string_view text) {
  if (text.size() > kMaxWorkerFrame) {
    return bad("agent: a frame over " + std::to_string(kMaxWorkerFrame) + " bytes");
  }
  ::livekit::WorkerMessage m;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  const auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &m, o);
  if (!st.ok()) return bad("agent: not a WorkerMessage in protojson: " + st.ToString());
  return m;
}

}  // namespace edgesfu::sp::livekit
