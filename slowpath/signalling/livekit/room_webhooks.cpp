#include "slowpath/signalling/livekit/room_webhooks.hpp"

#include "slowpath/signalling/livekit/lk_info.hpp"

namespace edgesfu::sp::livekit {

::livekit::ParticipantInfo RoomWebhooks::describe(const rooms::Room& r,
                                                  const rooms::Participant& p) const {
  if (auto own = describe_(p.sid)) return *own;
  return door_participant_info(r, p);
}

void RoomWebhooks::send(const char* event, const rooms::Room& r, ::livekit::WebhookEvent ev) {
  ev.set_event(event);
  *ev.mutable_room() = room_info(r, cfg_);
  out_.notify(std::move(ev));
}

void RoomWebhooks::room_started(const rooms::Room& r) { send("room_started", r, {}); }

void RoomWebhooks::room_finished(const rooms::Room& r) { send("room_finished", r, {}); }

void RoomWebhooks::participant_active(const rooms::Room& r, const rooms::Participant& p) {
  ::livekit::ParticipantInfo info = describe(r, p);
  info.set_state(::livekit::ParticipantInfo::ACTIVE);
  joined_[p.sid] = info;
  ::livekit::WebhookEvent ev;
  *ev.mutable_participant() = std::move(info);
  send("participant_joined", r, std::move(ev));
}

void RoomWebhooks::participant_left(const rooms::Room& r, const rooms::Participant& p) {
  ::livekit::WebhookEvent ev;
  auto was = joined_.find(p.sid);
  if (was != joined_.end()) {
    *ev.mutable_participant() = std::move(was->second);
    joined_.erase(was);
  } else {
    ev.mutable_participant()->set_sid(p.sid);
    ev.mutable_participant()->set_identity(p.identity);
  }
  ev.mutable_participant()->set_state(::livekit::ParticipantInfo::DISCONNECTED);
  ev.mutable_participant()->clear_tracks();
  ev.mutable_participant()->set_is_publisher(false);
  send(p.active ? "participant_left" : "participant_connection_aborted", r, std::move(ev));
}

void RoomWebhooks::track_published(const rooms::Room& r, const rooms::Participant& p,
                                   const rooms::Track& t) {
  ::livekit::TrackInfo info = track_info(t);
  if (auto own = describe_(p.sid)) {
    for (const auto& known : own->tracks()) {
      if (known.sid() == t.sid) info = known;
    }
  }
  published_[t.sid] = info;
  ::livekit::WebhookEvent ev;
  ev.mutable_participant()->set_sid(p.sid);  // LiveKit sends only these two
  ev.mutable_participant()->set_identity(p.identity);
  *ev.mutable_track() = std::move(info);
  send("track_published", r, std::move(ev));
}

void RoomWebhooks::track_unpublished(const rooms::Room& r, const rooms::Participant& p,
                                     const rooms::Track& t) {
  ::livekit::WebhookEvent ev;
  ev.mutable_participant()->set_sid(p.sid);
  ev.mutable_participant()->set_identity(p.identity);
  auto was = published_.find(t.sid);
  if (was != published_.end()) {
    *ev.mutable_track() = std::move(was->second);
    published_.erase(was);
  } else {
    *ev.mutable_track() = track_info(t);
  }
  send("track_unpublished", r, std::move(ev));
}

}  // namespace edgesfu::sp::livekit
