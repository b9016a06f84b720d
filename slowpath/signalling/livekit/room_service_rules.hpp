// LiveKit's rules for its RoomService API (pure): which methods exist and
// what a token must grant for each. A refusal is LiveKit's: unauthenticated
// "permissions denied" (its server answers 401 for a missing grant too).
#pragma once

#include <string>

#include "base/result.hpp"
#include "slowpath/auth/token.hpp"

namespace edgesfu::sp::livekit {

enum class RoomMethod {
  kCreateRoom,
  kListRooms,
  kDeleteRoom,
  kUpdateRoomMetadata,
  kListParticipants,
  kGetParticipant,
  kRemoveParticipant,
  kMutePublishedTrack,
  kUpdateParticipant,
  kUpdateSubscriptions,
  kSendData,
  kForwardParticipant,  // LiveKit Cloud's: answered unimplemented
  kMoveParticipant,     // likewise
  // AgentDispatchService
  kCreateDispatch,
  kDeleteDispatch,
  kListDispatch,
};

// "CreateRoom" -> kCreateRoom; false for a name RoomService does not have.
bool room_method(const std::string& name, RoomMethod& out);
// The same for AgentDispatchService ("CreateDispatch", ...).
bool dispatch_method(const std::string& name, RoomMethod& out);

// CreateRoom and DeleteRoom need roomCreate, ListRooms roomList, the others
// roomAdmin for `room` (the grant's room, exactly).
Status room_method_allowed(RoomMethod m, const auth::VideoGrant& g, const std::string& room);

// LiveKit's limits on what the API may set (its server's, in bytes).
inline constexpr std::size_t kMaxRoomName = 256;
inline constexpr std::size_t kMaxParticipantName = 256;
inline constexpr std::size_t kMaxMetadata = 512 * 1024;
inline constexpr std::size_t kMaxAttributes = 64 * 1024;

}  // namespace edgesfu::sp::livekit
