#include "slowpath/signalling/livekit/lk_info.hpp"

namespace edgesfu::sp::livekit {

::livekit::Room room_info(const rooms::Room& r, const config::Config& cfg) {
  ::livekit::Room out;
  out.set_sid(r.sid);
  out.set_name(r.name);
  const rooms::RoomSettings& own = r.settings;
  out.set_empty_timeout(own.empty_timeout_s != 0 ? own.empty_timeout_s : cfg.room.empty_timeout_s);
  out.set_departure_timeout(own.departure_timeout_s != 0 ? own.departure_timeout_s
                                                         : cfg.room.departure_timeout_s);
  out.set_max_participants(own.max_participants != 0 ? own.max_participants
                                                     : cfg.room.max_participants);
  out.set_metadata(own.metadata);
  out.set_creation_time(r.created_unix_ms / 1000);
  out.set_creation_time_ms(r.created_unix_ms);
  out.set_num_participants(static_cast<uint32_t>(r.participants.size()));
  uint32_t publishers = 0;
  for (const auto& [sid, p] : r.participants) {
    for (const rooms::Track& t : r.tracks) {
      if (t.publisher == sid) {
        ++publishers;
        break;
      }
    }
  }
  out.set_num_publishers(publishers);
  return out;
}

::livekit::TrackInfo track_info(const rooms::Track& t) {
  ::livekit::TrackInfo i;
  i.set_sid(t.sid);
  const bool video = t.desc.kind == "video";
  i.set_type(video ? ::livekit::VIDEO : ::livekit::AUDIO);
  i.set_source(video ? ::livekit::CAMERA : ::livekit::MICROPHONE);
  if (!t.desc.codec.name.empty()) i.set_mime_type(t.desc.kind + "/" + t.desc.codec.name);
  i.set_mid(t.desc.mid);
  return i;
}

::livekit::ParticipantInfo door_participant_info(const rooms::Room& r,
                                                 const rooms::Participant& p) {
  ::livekit::ParticipantInfo i;
  i.set_sid(p.sid);
  i.set_identity(p.identity);
  i.set_state(::livekit::ParticipantInfo::ACTIVE);
  i.set_version(1);
  auto* perm = i.mutable_permission();
  perm->set_can_subscribe(true);
  perm->set_can_publish(true);
  for (const rooms::Track& t : r.tracks) {
    if (t.publisher == p.sid) *i.add_tracks() = track_info(t);
  }
  i.set_is_publisher(i.tracks_size() != 0);
  return i;
}

::livekit::TrackSource source_from_grant(const std::string& name) {
  if (name == "camera") return ::livekit::CAMERA;
  if (name == "microphone") return ::livekit::MICROPHONE;
  if (name == "screen_share") return ::livekit::SCREEN_SHARE;
  if (name == "screen_share_audio") return ::livekit::SCREEN_SHARE_AUDIO;
  return ::livekit::UNKNOWN;
}

}  // namespace edgesfu::sp::livekit
