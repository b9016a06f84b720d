#include "slowpath/dp_control/dp_control.hpp"

#include <rte_ring_elem.h>

#include <algorithm>
#include <cstring>

namespace edgesfu::sp {

using dp::control::Command;
using dp::control::CommandType;

DpControl::DpControl(dp::WorkerSet& workers, dp::srtp::Engine& engine,
                     const dp::fanout::FastpathLimits& limits)
    : workers_(workers), engine_(engine), limits_(limits), slots_(workers.size()), backlog_(workers.size()) {
  for (auto& w : slots_) {
    // Free lists hand out low slots first (pop from the back).
    for (uint32_t i = limits.max_participants; i-- > 0;) w.free_participants.push_back(static_cast<uint16_t>(i));
    for (uint32_t i = limits.max_tracks; i-- > 0;) w.free_tracks.push_back(static_cast<uint16_t>(i));
    for (uint32_t i = limits.max_downtracks; i-- > 0;) w.free_downtracks.push_back(i);
    w.generation.assign(limits.max_participants, 0);
  }
}

DpControl::~DpControl() {
  poll_events();
  for (dp::srtp::Session* s : sessions_) engine_.destroy_session(s);
}

Result<dp::srtp::Session*> DpControl::session(const dp::srtp::Keys& k, dp::srtp::Direction d,
                                              uint32_t ssrc) {
  dp::srtp::SessionParams p;
  p.keys = k;
  p.direction = d;
  p.ssrc = ssrc;
  auto s = engine_.create_session(p);
  if (!s) return s.error();
  sessions_.insert(s.value());
  return s.value();
}

void DpControl::destroy(dp::srtp::Session* s) {
  if (s == nullptr || sessions_.erase(s) == 0) return;
  engine_.destroy_session(s);
}

void DpControl::flush(uint16_t worker) {
  auto& q = backlog_[worker];
  while (!q.empty()) {
    // Single producer (this thread); the ring API takes a non-const pointer.
    if (rte_ring_sp_enqueue_elem(workers_.commands(worker), &q.front(), sizeof(Command)) != 0) return;
    q.pop_front();
  }
}

void DpControl::send(uint16_t worker, const Command& c) {
  flush(worker);
  Command copy = c;
  // Behind older deferred commands, or into the ring at once. A lost command
  // would leak slots and SRTP sessions (or leave a stale participant), so
  // none is ever dropped: the backlog is bounded by the slots it refers to.
  if (!backlog_[worker].empty() ||
      rte_ring_sp_enqueue_elem(workers_.commands(worker), &copy, sizeof copy) != 0) {
    backlog_[worker].push_back(copy);
    ++commands_deferred_;
  }
}

std::size_t DpControl::pending_commands() const {
  std::size_t n = 0;
  for (const auto& q : backlog_) n += q.size();
  return n;
}

uint16_t DpControl::worker_for_room(uint64_t room) {
  auto it = rooms_.find(room);
  if (it != rooms_.end()) return it->second.first;
  // A new room goes to the worker with the fewest participants.
  uint16_t best = 0;
  for (uint16_t i = 1; i < slots_.size(); ++i) {
    if (slots_[i].participants < slots_[best].participants) best = i;
  }
  return best;
}

unsigned DpControl::poll_events() {
  unsigned handled = 0;
  for (uint16_t i = 0; i < workers_.size(); ++i) flush(i);
  for (uint16_t i = 0; i < workers_.size(); ++i) {
    dp::control::Event ev[64];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst_elem(workers_.events(i), ev, sizeof ev[0], 64, nullptr)) != 0) {
      for (unsigned k = 0; k < n; ++k) {
        if (ev[k].type == dp::control::EventType::kSessionReleased) {
          destroy(ev[k].session);
        } else if (ev[k].type == dp::control::EventType::kFlowIdle && on_idle_ &&
                   ev[k].slot < slots_[i].generation.size() &&
                   slots_[i].generation[ev[k].slot] == ev[k].generation) {
          on_idle_(ParticipantRef{i, ev[k].slot, ev[k].generation});
        }
      }
      handled += n;
    }
  }
  return handled;
}

Result<ParticipantRef> DpControl::add_participant(const ParticipantParams& p) {
  if (p.remote.family != 4 && p.remote.family != 6) return make_error("participant: remote address family");
  const uint16_t w = worker_for_room(p.room);
  WorkerSlots& ws = slots_[w];
  if (ws.free_participants.empty()) return make_error("dataplane: no participant slot left on worker " + std::to_string(w));
  const dp::flow::FlowKey key = dp::flow::FlowKey::make(p.remote, p.remote_port, p.local_port);
  auto rx = session(p.rx_keys, dp::srtp::Direction::kInbound, 0);
  if (!rx) return rx.error();
  auto tx = session(p.tx_keys, dp::srtp::Direction::kOutbound, p.feedback_ssrc);
  if (!tx) {
    destroy(rx.value());
    return tx.error();
  }
  const uint16_t slot = ws.free_participants.back();
  const uint32_t gen = ++ws.generation[slot];
  Command c;
  c.type = CommandType::kAddParticipant;
  c.add_participant = dp::control::AddParticipant{slot, gen, p.id, p.local_port, p.remote, p.remote_port,
                                                  p.feedback_ssrc, rx.value(), tx.value()};
  // The command is queued before the flow is inserted; a packet that matches
  // the flow before the lcore applied it finds no participant in the slot
  // (or an older generation) and is dropped as stale.
  send(w, c);
  if (auto s = workers_.flows()->insert(key, dp::flow::FlowRef{w, slot, gen}); !s) {
    Command rm;
    rm.type = CommandType::kRemoveParticipant;
    rm.remove_participant = {slot};
    send(w, rm);  // the lcore releases the sessions (events)
    return s.error();
  }
  ws.free_participants.pop_back();
  ++ws.participants;
  auto& room = rooms_[p.room];
  room.first = w;
  ++room.second;
  participant_room_[{w, slot}] = p.room;
  flow_keys_[{w, slot}] = key;
  tx_keys_[{w, slot}] = p.tx_keys;
  return ParticipantRef{w, slot, gen};
}

Status DpControl::remove_participant(const ParticipantRef& p) {
  const auto k = std::make_pair(p.worker, p.slot);
  auto fk = flow_keys_.find(k);
  if (p.worker >= slots_.size() || fk == flow_keys_.end() || slots_[p.worker].generation[p.slot] != p.generation) {
    return make_error("participant: no such participant");
  }
  // Flow first: no new packet can reach the participant once it is gone.
  (void)workers_.flows()->remove(fk->second);
  Command c;
  c.type = CommandType::kRemoveParticipant;
  c.remove_participant = {p.slot};
  send(p.worker, c);
  flow_keys_.erase(fk);
  tx_keys_.erase(k);
  WorkerSlots& ws = slots_[p.worker];
  ws.free_participants.push_back(p.slot);
  --ws.participants;
  auto pr = participant_room_.find(k);
  if (pr != participant_room_.end()) {
    auto room = rooms_.find(pr->second);
    if (room != rooms_.end() && --room->second.second == 0) rooms_.erase(room);
    participant_room_.erase(pr);
  }
  // The lcore drops the participant's tracks (with their downtracks) and its
  // own downtracks with it: their slots are free again.
  std::vector<uint16_t> tracks;
  for (const auto& [tk, owner] : track_owner_) {
    if (tk.first == p.worker && owner == p.slot) tracks.push_back(tk.second);
  }
  for (uint16_t t : tracks) forget_track(p.worker, t);
  std::vector<uint32_t> dts;
  for (const auto& [dk, info] : downtracks_) {
    if (dk.first == p.worker && info.second == p.slot) dts.push_back(dk.second);
  }
  for (uint32_t d : dts) forget_downtrack(p.worker, d);
  return ok_status();
}

Result<TrackRef> DpControl::add_track(const ParticipantRef& pub, const TrackParams& t) {
  if (pub.worker >= slots_.size() || !flow_keys_.count({pub.worker, pub.slot}) ||
      slots_[pub.worker].generation[pub.slot] != pub.generation) {
    return make_error("track: no such publisher");
  }
  WorkerSlots& ws = slots_[pub.worker];
  if (ws.free_tracks.empty()) return make_error("dataplane: no track slot left");
  const uint16_t slot = ws.free_tracks.back();
  Command c;
  c.type = CommandType::kAddTrack;
  c.add_track = dp::control::AddTrack{slot, pub.slot, t.id, t.ssrc, t.clock_rate, t.kind};
  send(pub.worker, c);
  ws.free_tracks.pop_back();
  track_owner_[{pub.worker, slot}] = pub.slot;
  return TrackRef{pub.worker, slot};
}

void DpControl::forget_track(uint16_t worker, uint16_t track) {
  if (track_owner_.erase({worker, track}) == 0) return;
  slots_[worker].free_tracks.push_back(track);
  std::vector<uint32_t> dts;
  for (const auto& [dk, info] : downtracks_) {
    if (dk.first == worker && info.first == track) dts.push_back(dk.second);
  }
  for (uint32_t d : dts) forget_downtrack(worker, d);
}

void DpControl::forget_downtrack(uint16_t worker, uint32_t slot) {
  if (downtracks_.erase({worker, slot}) != 0) slots_[worker].free_downtracks.push_back(slot);
}

Status DpControl::remove_track(const TrackRef& t) {
  if (!track_owner_.count({t.worker, t.slot})) return make_error("track: no such track");
  Command c;
  c.type = CommandType::kRemoveTrack;
  c.remove_track = {t.slot};
  send(t.worker, c);
  forget_track(t.worker, t.slot);
  return ok_status();
}

Result<DowntrackRef> DpControl::add_downtrack(const TrackRef& track, const ParticipantRef& sub,
                                              const DowntrackParams& d) {
  if (!track_owner_.count({track.worker, track.slot})) return make_error("downtrack: no such track");
  if (track.worker != sub.worker) {
    return make_error("downtrack: publisher and subscriber are on different workers (rooms live on one)");
  }
  auto keys = tx_keys_.find({sub.worker, sub.slot});
  if (keys == tx_keys_.end()) return make_error("downtrack: no such subscriber");
  if (d.pt_map.size() > dp::control::kMaxPtMap || d.ext_map.size() > dp::control::kMaxExtMap) {
    return make_error("downtrack: too many payload-type or extension mappings");
  }
  WorkerSlots& ws = slots_[sub.worker];
  if (ws.free_downtracks.empty()) return make_error("dataplane: no downtrack slot left");
  auto tx = session(keys->second, dp::srtp::Direction::kOutbound, d.ssrc);
  if (!tx) return tx.error();
  dp::srtp::Session* rtx = nullptr;
  if (d.rtx_ssrc != 0) {
    auto r = session(keys->second, dp::srtp::Direction::kOutbound, d.rtx_ssrc);
    if (!r) {
      destroy(tx.value());
      return r.error();
    }
    rtx = r.value();
  }
  const uint32_t slot = ws.free_downtracks.back();
  Command c;
  c.type = CommandType::kAddDowntrack;
  auto& a = c.add_downtrack;
  std::memset(&a, 0, sizeof a);
  a.slot = slot;
  a.track = track.slot;
  a.subscriber = sub.slot;
  a.id = d.id;
  a.ssrc = d.ssrc;
  a.rtx_ssrc = d.rtx_ssrc;
  a.rtx_pt = d.rtx_pt;
  a.first_seq = d.first_seq;
  a.first_ts = d.first_ts;
  a.npt = static_cast<uint8_t>(d.pt_map.size());
  for (std::size_t i = 0; i < d.pt_map.size(); ++i) {
    a.pt_from[i] = d.pt_map[i].first;
    a.pt_to[i] = d.pt_map[i].second;
  }
  a.next = static_cast<uint8_t>(d.ext_map.size());
  for (std::size_t i = 0; i < d.ext_map.size(); ++i) {
    a.ext_from[i] = d.ext_map[i].first;
    a.ext_to[i] = d.ext_map[i].second;
  }
  a.tx = tx.value();
  a.tx_rtx = rtx;
  send(sub.worker, c);
  ws.free_downtracks.pop_back();
  downtracks_[{sub.worker, slot}] = {track.slot, sub.slot};
  return DowntrackRef{sub.worker, slot};
}

Status DpControl::remove_downtrack(const DowntrackRef& d) {
  if (!downtracks_.count({d.worker, d.slot})) return make_error("downtrack: no such downtrack");
  Command c;
  c.type = CommandType::kRemoveDowntrack;
  c.remove_downtrack = {d.slot};
  send(d.worker, c);
  forget_downtrack(d.worker, d.slot);
  return ok_status();
}

Status DpControl::request_keyframe(const TrackRef& t) {
  if (!track_owner_.count({t.worker, t.slot})) return make_error("track: no such track");
  Command c;
  c.type = CommandType::kRequestKeyframe;
  c.request_keyframe = {t.slot};
  send(t.worker, c);
  return ok_status();
}

}  // namespace edgesfu::sp
