// Rooms, participants and tracks with LiveKit's model and ID prefixes
// (RM_, PA_, TR_). No signalling here: WHIP/WHEP and later the LiveKit
// protocol are front doors onto this model. Slow-path thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "slowpath/dp_control/refs.hpp"
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
};

struct Room {
  std::string sid;  // RM_...
  std::string name;
  uint64_t key = 0;  // stable number for the dataplane (rooms live on one worker)
  std::map<std::string, Participant> participants;  // by sid
  std::vector<Track> tracks;
  uint32_t next_number = 1;
  int64_t empty_since_us = 0;  // monotonic; 0 while someone is in it
  bool joined_once = false;    // someone was in it (departure_timeout), else empty_timeout
};

class Rooms {
 public:
  // The room called `name`, created on first use.
  Room& join(const std::string& name, const Participant& p, int64_t now_us);
  Room* find(const std::string& name);
  const Participant* participant(const std::string& name, const std::string& sid);
  // Removes the participant and its tracks; the room starts its empty timer
  // when nobody is left.
  void leave(const std::string& name, const std::string& participant_sid, int64_t now_us);
  void add_track(const std::string& name, Track t);
  // Removes one track (unpublished, or its m-line went away).
  void remove_track(const std::string& name, const std::string& track_sid);
  // The publisher's track is now in the dataplane.
  void track_ready(const std::string& name, const std::string& track_sid, TrackRef ref);
  // The tracks `participant_sid` should receive: today every track in the
  // room published by someone else, in publication order (the place for
  // subscription permissions, hidden publishers and explicit subscriptions).
  std::vector<const Track*> wanted(const std::string& name, const std::string& participant_sid);
  Track* track(const std::string& name, const std::string& track_sid);
  // Closes rooms nobody is in, as LiveKit: `departure_timeout_us` after the
  // last participant left, `empty_timeout_us` after a room nobody ever
  // joined was made; returns their names.
  std::vector<std::string> sweep(int64_t now_us, int64_t empty_timeout_us,
                                 int64_t departure_timeout_us);
  std::size_t size() const { return rooms_.size(); }

 private:
  std::map<std::string, Room> rooms_;
  uint64_t next_key_ = 1;
};

}  // namespace edgesfu::sp::rooms
