#include "slowpath/rooms/rooms.hpp"

#include <openssl/rand.h>

#include <algorithm>

namespace edgesfu::sp::rooms {

std::string new_id(const char* prefix) {
  static const char kChars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  unsigned char r[12];
  if (RAND_bytes(r, sizeof r) != 1) {
    // The CSPRNG failing is not something to continue past.
    std::abort();
  }
  std::string id = prefix;
  for (unsigned char c : r) id.push_back(kChars[c % 62]);
  return id;
}

Room& Rooms::join(const std::string& name, const Participant& p, int64_t) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) {
    Room r;
    r.sid = new_id("RM_");
    r.name = name;
    r.key = next_key_++;
    it = rooms_.emplace(name, std::move(r)).first;
  }
  Participant& in = it->second.participants[p.sid];
  in = p;
  in.number = it->second.next_number++;
  it->second.empty_since_us = 0;
  it->second.joined_once = true;
  return it->second;
}

Room* Rooms::find(const std::string& name) {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : &it->second;
}

const Participant* Rooms::participant(const std::string& name, const std::string& sid) {
  Room* r = find(name);
  if (r == nullptr) return nullptr;
  auto it = r->participants.find(sid);
  return it == r->participants.end() ? nullptr : &it->second;
}

void Rooms::leave(const std::string& name, const std::string& participant_sid, int64_t now_us) {
  Room* r = find(name);
  if (r == nullptr) return;
  r->participants.erase(participant_sid);
  r->tracks.erase(std::remove_if(r->tracks.begin(), r->tracks.end(),
                                 [&](const Track& t) { return t.publisher == participant_sid; }),
                  r->tracks.end());
  if (r->participants.empty()) r->empty_since_us = now_us == 0 ? 1 : now_us;
}

void Rooms::add_track(const std::string& name, Track t) {
  if (Room* r = find(name)) r->tracks.push_back(std::move(t));
}

void Rooms::remove_track(const std::string& name, const std::string& track_sid) {
  Room* r = find(name);
  if (r == nullptr) return;
  r->tracks.erase(std::remove_if(r->tracks.begin(), r->tracks.end(),
                                 [&](const Track& t) { return t.sid == track_sid; }),
                  r->tracks.end());
}

std::vector<const Track*> Rooms::wanted(const std::string& name,
                                        const std::string& participant_sid) {
  std::vector<const Track*> out;
  Room* r = find(name);
  if (r == nullptr) return out;
  for (const Track& t : r->tracks) {
    if (t.publisher != participant_sid) out.push_back(&t);
  }
  return out;
}

void Rooms::track_ready(const std::string& name, const std::string& track_sid, TrackRef ref) {
  if (Track* t = track(name, track_sid)) {
    t->ref = ref;
    t->ready = true;
  }
}

Track* Rooms::track(const std::string& name, const std::string& track_sid) {
  Room* r = find(name);
  if (r == nullptr) return nullptr;
  for (Track& t : r->tracks) {
    if (t.sid == track_sid) return &t;
  }
  return nullptr;
}

std::vector<std::string> Rooms::sweep(int64_t now_us, int64_t empty_timeout_us,
                                      int64_t departure_timeout_us) {
  std::vector<std::string> closed;
  for (auto it = rooms_.begin(); it != rooms_.end();) {
    const int64_t timeout = it->second.joined_once ? departure_timeout_us : empty_timeout_us;
    if (it->second.participants.empty() && it->second.empty_since_us != 0 &&
        now_us - it->second.empty_since_us >= timeout) {
      closed.push_back(it->first);
      it = rooms_.erase(it);
    } else {
      ++it;
    }
  }
  return closed;
}

}  // namespace edgesfu::sp::rooms
