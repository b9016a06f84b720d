#include "slowpath/rooms/rooms.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <ctime>

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

namespace {

int64_t unix_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

void Rooms::add_events(RoomEvents* events) {
  if (std::find(events_.begin(), events_.end(), events) == events_.end()) {
    events_.push_back(events);
  }
}

void Rooms::remove_events(RoomEvents* events) {
  events_.erase(std::remove(events_.begin(), events_.end(), events), events_.end());
}

std::pair<Room*, bool> Rooms::create(const std::string& name, const RoomSettings& settings,
                                     int64_t now_us) {
  auto it = rooms_.find(name);
  if (it != rooms_.end()) return {&it->second, false};
  Room r;
  r.sid = new_id("RM_");
  r.name = name;
  r.key = next_key_++;
  r.created_unix_ms = unix_ms();
  r.settings = settings;
  r.empty_since_us = now_us == 0 ? 1 : now_us;
  Room& made = rooms_.emplace(name, std::move(r)).first->second;
  tell([&](RoomEvents& e) { e.room_started(made); });
  return {&made, true};
}

void Rooms::remove(const std::string& name) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return;
  while (!it->second.participants.empty()) {
    drop_participant(it->second, it->second.participants.begin()->first);
  }
  tell([&](RoomEvents& e) { e.room_finished(it->second); });
  rooms_.erase(it);
}

void Rooms::drop_participant(Room& r, const std::string& sid) {
  auto p = r.participants.find(sid);
  const bool known = p != r.participants.end();
  for (auto t = r.tracks.begin(); t != r.tracks.end();) {
    if (t->publisher != sid) {
      ++t;
      continue;
    }
    // A publisher no longer in the room (it was closed and made again) has
    // its tracks taken out all the same, unannounced.
    if (known && t->ready) tell([&](RoomEvents& e) { e.track_unpublished(r, p->second, *t); });
    t = r.tracks.erase(t);
  }
  if (!known) return;
  tell([&](RoomEvents& e) { e.participant_left(r, p->second); });
  r.participants.erase(p);
}

bool Rooms::deserted(const Room& r) {
  return std::all_of(r.participants.begin(), r.participants.end(),
                     [](const auto& p) { return p.second.dependent; });
}

void Rooms::activate(const std::string& name, const std::string& sid) {
  Room* r = find(name);
  if (r == nullptr) return;
  auto p = r->participants.find(sid);
  if (p == r->participants.end() || p->second.active) return;
  p->second.active = true;
  tell([&](RoomEvents& e) { e.participant_active(*r, p->second); });
}

bool Rooms::set_subscribed(const std::string& name, const std::string& participant_sid,
                           const std::string& track_sid, bool subscribed) {
  Room* r = find(name);
  if (r == nullptr) return false;
  auto p = r->participants.find(participant_sid);
  if (p == r->participants.end()) return false;
  if (subscribed) {
    p->second.unsubscribed.erase(track_sid);
  } else if (track(name, track_sid) != nullptr) {
    p->second.unsubscribed.insert(track_sid);
  } else {
    return false;
  }
  return true;
}

Room& Rooms::join(const std::string& name, const Participant& p, int64_t now_us) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) it = rooms_.find(create(name, {}, now_us).first->name);
  Participant& in = it->second.participants[p.sid];
  in = p;
  in.number = it->second.next_number++;
  if (!p.dependent) {
    it->second.empty_since_us = 0;
    it->second.joined_once = true;
  }
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
  drop_participant(*r, participant_sid);
  if (deserted(*r) && r->empty_since_us == 0) r->empty_since_us = now_us == 0 ? 1 : now_us;
}

void Rooms::add_track(const std::string& name, Track t) {
  if (Room* r = find(name)) r->tracks.push_back(std::move(t));
}

void Rooms::remove_track(const std::string& name, const std::string& track_sid) {
  Room* r = find(name);
  if (r == nullptr) return;
  auto t = std::find_if(r->tracks.begin(), r->tracks.end(),
                        [&](const Track& x) { return x.sid == track_sid; });
  if (t == r->tracks.end()) return;
  auto p = r->participants.find(t->publisher);
  if (t->ready && p != r->participants.end()) {
    tell([&](RoomEvents& e) { e.track_unpublished(*r, p->second, *t); });
  }
  r->tracks.erase(t);
}

std::vector<const Track*> Rooms::wanted(const std::string& name,
                                        const std::string& participant_sid) {
  std::vector<const Track*> out;
  Room* r = find(name);
  if (r == nullptr) return out;
  auto p = r->participants.find(participant_sid);
  for (const Track& t : r->tracks) {
    if (t.publisher == participant_sid) continue;
    if (p != r->participants.end() && p->second.unsubscribed.count(t.sid) != 0) continue;
    out.push_back(&t);
  }
  return out;
}

void Rooms::track_ready(const std::string& name, const std::string& track_sid, TrackRef ref) {
  Room* r = find(name);
  Track* t = track(name, track_sid);
  if (t == nullptr) return;
  const bool was_ready = t->ready;
  t->ref = ref;
  t->ready = true;
  auto p = r->participants.find(t->publisher);
  if (!was_ready && p != r->participants.end()) {
    tell([&](RoomEvents& e) { e.track_published(*r, p->second, *t); });
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
    const RoomSettings& own = it->second.settings;
    int64_t timeout = it->second.joined_once ? departure_timeout_us : empty_timeout_us;
    if (it->second.joined_once && own.departure_timeout_s != 0) {
      timeout = int64_t{own.departure_timeout_s} * 1000000;
    } else if (!it->second.joined_once && own.empty_timeout_s != 0) {
      timeout = int64_t{own.empty_timeout_s} * 1000000;
    }
    if (deserted(it->second) && it->second.empty_since_us != 0 &&
        now_us - it->second.empty_since_us >= timeout) {
      closed.push_back(it->first);
      while (!it->second.participants.empty()) {
        drop_participant(it->second, it->second.participants.begin()->first);
      }
      tell([&](RoomEvents& e) { e.room_finished(it->second); });
      it = rooms_.erase(it);
    } else {
      ++it;
    }
  }
  return closed;
}

}  // namespace edgesfu::sp::rooms
