// What happens in the rooms model, for those who report it outside (LiveKit's
// webhooks). Called by rooms::Rooms on the slow-path thread as the change
// happens, with the room and participant as they are at that moment; an
// observer must not change the rooms model from inside a call.
#pragma once

namespace edgesfu::sp::rooms {

struct Room;
struct Participant;
struct Track;

class RoomEvents {
 public:
  virtual ~RoomEvents() = default;
  // Made by a first join or by an API (CreateRoom).
  virtual void room_started(const Room& r) = 0;
  // Closed by its timeouts or by an API (DeleteRoom); anyone still in it
  // has had participant_left first.
  virtual void room_finished(const Room& r) = 0;
  // Its transport is up: media and data flow (LiveKit's ACTIVE).
  virtual void participant_active(const Room& r, const Participant& p) = 0;
  // Gone; `p.active` says whether it ever got there (else: aborted). Its
  // tracks have had track_unpublished first.
  virtual void participant_left(const Room& r, const Participant& p) = 0;
  // A publisher's track is in the dataplane, and no more.
  virtual void track_published(const Room& r, const Participant& p, const Track& t) = 0;
  virtual void track_unpublished(const Room& r, const Participant& p, const Track& t) = 0;
};

}  // namespace edgesfu::sp::rooms
