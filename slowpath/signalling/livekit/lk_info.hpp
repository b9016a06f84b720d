// LiveKit's descriptions of the rooms model (pure): Room, the ParticipantInfo
// of a participant that came through another door (WHIP/WHEP), TrackInfo of
// a room track, and the names of token grants. Slow path.
#pragma once

#include <string>

#include "config/config.hpp"
#include "livekit_rtc.pb.h"
#include "slowpath/rooms/rooms.hpp"

namespace edgesfu::sp::livekit {

::livekit::Room room_info(const rooms::Room& r, const config::Config& cfg);
// What the rooms model knows of a track: sid, type, MIME type, mid.
::livekit::TrackInfo track_info(const rooms::Track& t);
// A participant of another door: identity, its tracks, the permission a
// WHIP publisher (or WHEP player) has.
::livekit::ParticipantInfo door_participant_info(const rooms::Room& r, const rooms::Participant& p);
// canPublishSources' names ("camera", ...) -> TrackSource; UNKNOWN otherwise.
::livekit::TrackSource source_from_grant(const std::string& name);

}  // namespace edgesfu::sp::livekit
