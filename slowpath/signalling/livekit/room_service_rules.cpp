#include "slowpath/signalling/livekit/room_service_rules.hpp"

#include <map>

namespace edgesfu::sp::livekit {

bool room_method(const std::string& name, RoomMethod& out) {
  static const std::map<std::string, RoomMethod> kNames = {
      {"CreateRoom", RoomMethod::kCreateRoom},
      {"ListRooms", RoomMethod::kListRooms},
      {"DeleteRoom", RoomMethod::kDeleteRoom},
      {"UpdateRoomMetadata", RoomMethod::kUpdateRoomMetadata},
      {"ListParticipants", RoomMethod::kListParticipants},
      {"GetParticipant", RoomMethod::kGetParticipant},
      {"RemoveParticipant", RoomMethod::kRemoveParticipant},
      {"MutePublishedTrack", RoomMethod::kMutePublishedTrack},
      {"UpdateParticipant", RoomMethod::kUpdateParticipant},
      {"UpdateSubscriptions", RoomMethod::kUpdateSubscriptions},
      {"SendData", RoomMethod::kSendData},
      {"ForwardParticipant", RoomMethod::kForwardParticipant},
      {"MoveParticipant", RoomMethod::kMoveParticipant},
  };
  auto it = kNames.find(name);
  if (it == kNames.end()) return false;
  out = it->second;
  return true;
}

bool dispatch_method(const std::string& name, RoomMethod& out) {
  static const std::map<std::string, RoomMethod> kNames = {
      {"CreateDispatch", RoomMethod::kCreateDispatch},
      {"DeleteDispatch", RoomMethod::kDeleteDispatch},
      {"ListDispatch", RoomMethod::kListDispatch},
  };
  auto it = kNames.find(name);
  if (it == kNames.end()) return false;
  out = it->second;
  return true;
}

Status room_method_allowed(RoomMethod m, const auth::VideoGrant& g, const std::string& room) {
  bool ok = false;
  switch (m) {
    case RoomMethod::kCreateRoom:
    case RoomMethod::kDeleteRoom: ok = g.room_create; break;
    case RoomMethod::kListRooms: ok = g.room_list; break;
    default: ok = g.room_admin && g.room == room; break;
  }
  if (ok) return ok_status();
  return make_error(ErrorCode::kUnauthenticated, "permissions denied");
}

}  // namespace edgesfu::sp::livekit
