// Rooms, participants and tracks with LiveKit's model and ID prefixes
// (RM_, PA_, TR_). No signalling here: WHIP/WHEP and later the LiveKit
// protocol are front doors onto this model. Slow-path thread only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "slowpath/dp_control/refs.hpp"
#include "slowpath/rooms/room_events.hpp"
#include "slowpath/sdp/negotiate.hpp"

namespace edgesfu::sp::rooms {

// "RM_" + 12 random base62 characters, and the like.
std::string new_id(const char* prefix);

struct Track {
  std::string sid;        // TR_...
  std::string publisher;  // PA_...
  sdp::PublishedTrack desc;
  TrackRef ref;
  bool ready = false;  // the publisher's flow is in the fast path; `ref` valid
};

struct Participant {
  std::string sid;  // PA_...
  std::string identity;
  uint32_t number = 0;  // given by the room at join: the dataplane's id for it (events)
  // Tracks it was unsubscribed from (RoomService UpdateSubscriptions); every
  // other track of the room is wanted.
  std::set<std::string> unsubscribed;
  bool active = false;  // its transport came up (activate)
  // An agent: LiveKit's dependent participant, which does not keep a room
  // open (nor starts its departure timer by joining).
  bool dependent = false;
};

// An agent asked for by whoever made the room (CreateRoom's agents, the
// first join's token roomConfig.agents): LiveKit's RoomAgentDispatch.
struct AgentRequest {
  std::string agent_name;
  std::string metadata;
};

// What an API may set on a room (LiveKit's CreateRoom); 0 = the config's.
struct RoomSettings {
  uint32_t empty_timeout_s = 0;
  uint32_t departure_timeout_s = 0;
  uint32_t max_participants = 0;
  std::string metadata;
  // Dispatched when the room starts; none: LiveKit's default dispatch (to
  // workers registered without an agent name).
  std::vector<AgentRequest> agents;
};

struct Room {
  std::string sid;  // RM_...
  std::string name;
  uint64_t key = 0;  // stable number for the dataplane (rooms live on one worker)
  std::map<std::string, Participant> participants;  // by sid
  std::vector<Track> tracks;
  uint32_t next_number = 1;
  int64_t empty_since_us = 0;  // monotonic; 0 while someone (not an agent) is in it
  bool joined_once = false;    // someone was in it (departure_timeout), else empty_timeout
  int64_t created_unix_ms = 0;
  RoomSettings settings;
};

class Rooms {
 public:
  // `events` is told of every change from now on, until removed; not owned.
  void add_events(RoomEvents* events);
  void remove_events(RoomEvents* events);
  // The room called `name`, created on first use.
  Room& join(const std::string& name, const Participant& p, int64_t now_us);
  // Creates the room with `settings` (nobody in it: its empty timeout runs);
  // a room that exists already is left as it is (LiveKit's CreateRoom).
  // `.second`: it was made now.
  std::pair<Room*, bool> create(const std::string& name, const RoomSettings& settings,
                                int64_t now_us);
  // Closes the room now (DeleteRoom): anyone still in it leaves the model
  // (their doors end them), then the room is forgotten.
  void remove(const std::string& name);
  // `participant_sid` receives `track_sid` again, or no more; false when
  // either is unknown in the room.
  bool set_subscribed(const std::string& name, const std::string& participant_sid,
                      const std::string& track_sid, bool subscribed);
  const std::map<std::string, Room>& all() const { return rooms_; }
  Room* find(const std::string& name);
  const Participant* participant(const std::string& name, const std::string& sid);
  // The participant's transport is up (once; later calls change nothing).
  void activate(const std::string& name, const std::string& sid);
  // Removes the participant and its tracks; the room starts its empty timer
  // when nobody is left.
  void leave(const std::string& name, const std::string& participant_sid, int64_t now_us);
  void add_track(const std::string& name, Track t);
  // Removes one track (unpublished, or its m-line went away).
  void remove_track(const std::string& name, const std::string& track_sid);
  // The publisher's track is now in the dataplane.
  void track_ready(const std::string& name, const std::string& track_sid, TrackRef ref);
  // The tracks `participant_sid` should receive: every track in the room
  // published by someone else that it was not unsubscribed from, in
  // publication order.
  std::vector<const Track*> wanted(const std::string& name, const std::string& participant_sid);
  Track* track(const std::string& name, const std::string& track_sid);
  // Closes rooms nobody but agents is in, as LiveKit: `departure_timeout_us`
  // after the last participant left, `empty_timeout_us` after a room nobody
  // ever joined was made (the room's own settings first); agents still in
  // it leave the model first (their doors end them). Returns the names.
  std::vector<std::string> sweep(int64_t now_us, int64_t empty_timeout_us,
                                 int64_t departure_timeout_us);
  std::size_t size() const { return rooms_.size(); }

 private:
  // Takes the participant and its tracks out of `r`, telling events_.
  void drop_participant(Room& r, const std::string& sid);
  // Only agents (or nobody) in it.
  static bool deserted(const Room& r);
  template <typename F>
  void tell(F&& f) {
    for (RoomEvents* e : events_) f(*e);
  }

  std::map<std::string, Room> rooms_;
  uint64_t next_key_ = 1;
  std::vector<RoomEvents*> events_;
};

}  // namespace edgesfu::sp::rooms
