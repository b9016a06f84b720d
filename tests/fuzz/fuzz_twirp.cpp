// libFuzzer: the RoomService's input (issue 15): a Twirp path, a Content-Type
// and a request body decoded as each RoomService request, in JSON and in
// binary protobuf; an error, or a message that encodes and decodes back to
// itself.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstdint>
#include <string>

#include "livekit_room.pb.h"
#include "slowpath/signalling/livekit/room_service_rules.hpp"
#include "slowpath/signalling/livekit/twirp.hpp"

using namespace edgesfu::sp::livekit;

namespace {

// Map fields (attributes) serialize in no set order unless asked to: the
// deterministic form sorts their keys, so equal messages give equal bytes.
std::string canonical(const google::protobuf::MessageLite& m) {
  std::string s;
  {
    google::protobuf::io::StringOutputStream out(&s);
    google::protobuf::io::CodedOutputStream cos(&out);
    cos.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&cos);
  }
  return s;
}

template <typename M>
void round_trip(std::string_view body, twirp::Encoding e) {
  M m;
  if (!twirp::decode(body, e, m).ok()) return;
  const std::string again = twirp::encode(m, e);
  M back;
  if (!twirp::decode(again, e, back).ok()) __builtin_trap();
  if (canonical(back) != canonical(m)) __builtin_trap();
}

template <typename M>
void both(std::string_view body) {
  round_trip<M>(body, twirp::Encoding::kJson);
  round_trip<M>(body, twirp::Encoding::kProtobuf);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  twirp::Route r;
  if (twirp::parse_path(in, r)) {
    RoomMethod m{};
    (void)room_method(r.method, m);
  }
  twirp::Encoding e{};
  (void)twirp::encoding_of(in, e);
  (void)twirp::error_body(twirp::Code::kInvalidArgument, in);
  both<::livekit::CreateRoomRequest>(in);
  both<::livekit::ListRoomsRequest>(in);
  both<::livekit::UpdateParticipantRequest>(in);
  both<::livekit::UpdateSubscriptionsRequest>(in);
  both<::livekit::SendDataRequest>(in);
  both<::livekit::MuteRoomTrackRequest>(in);
  both<::livekit::RoomParticipantIdentity>(in);
  return 0;
}
