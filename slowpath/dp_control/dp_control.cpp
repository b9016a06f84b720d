#include "slowpath/dp_control/dp_control.hpp"

#include <rte_ring_elem.h>

#include <algorithm>
#include <cstring>

#include "dataplane/control/ring_count.hpp"

namespace edgesfu::sp {

using dp::control::Command;
using dp::control::CommandType;

DpControl::DpControl(dp::WorkerSet& workers, dp::srtp::Engine& engine,
                     const dp::fanout::FastpathLimits& limits)
    : workers_(workers),
      engine_(engine),
      limits_(limits),
      tables_(workers.size()),
      backlog_(workers.size()) {
  for (auto& t : tables_) {
    t.participants.resize(limits.max_participants);
    t.tracks.resize(limits.max_tracks);
    t.downtracks.resize(limits.max_downtracks);
    // Free lists hand out low slots first (pop from the back).
    for (uint32_t i = limits.max_participants; i-- > 0;)
      t.free_participants.push_back(static_cast<uint16_t>(i));
    for (uint32_t i = limits.max_tracks; i-- > 0;)
      t.free_tracks.push_back(static_cast<uint16_t>(i));
    for (uint32_t i = limits.max_downtracks; i-- > 0;) t.free_downtracks.push_back(i);
  }
}

std::size_t DpControl::flows() const {
  std::size_t n = 0;
  for (const auto& t : tables_) n += t.live_participants;
  return n;
}
std::size_t DpControl::tracks() const {
  std::size_t n = 0;
  for (const auto& t : tables_) n += t.live_tracks;
  return n;
}
std::size_t DpControl::downtracks() const {
  std::size_t n = 0;
  for (const auto& t : tables_) n += t.live_downtracks;
  return n;
}

const DpControl::ParticipantSlot* DpControl::live_participant(const ParticipantRef& p) const {
  if (p.worker >= tables_.size() || p.slot >= tables_[p.worker].participants.size()) return nullptr;
  const ParticipantSlot& s = tables_[p.worker].participants[p.slot];
  return s.live && s.generation == p.generation ? &s : nullptr;
}

bool DpControl::live_track(const TrackRef& t) const {
  if (t.worker >= tables_.size() || t.slot >= tables_[t.worker].tracks.size()) return false;
  const TrackSlot& s = tables_[t.worker].tracks[t.slot];
  return s.live && s.generation == t.generation;
}

bool DpControl::live_downtrack(const DowntrackRef& d) const {
  if (d.worker >= tables_.size() || d.slot >= tables_[d.worker].downtracks.size()) return false;
  const DowntrackSlot& s = tables_[d.worker].downtracks[d.slot];
  return s.live && s.generation == d.generation;
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
    if (rte_ring_sp_enqueue_elem(workers_.commands(worker), &q.front(), sizeof(Command)) != 0)
      return;
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

std::size_t DpControl::commands_in_rings() const {
  std::size_t n = 0;
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    n += dp::control::ring_count(workers_.commands(w));
  }
  return n;
}

std::size_t DpControl::pending_commands() const {
  std::size_t n = 0;
  for (const auto& q : backlog_) n += q.size();
  return n;
}

uint16_t DpControl::worker_for_room(uint64_t room) {
  auto it = rooms_.find(room);
  if (it != rooms_.end()) return it->second.first;
  // A new room goes to the worker with the fewest participants, counting
  // those on the way (reserved at their answer): rooms that fill up at once,
  // before anyone connected, still spread.
  auto load = [](const SlotTable& t) { return t.live_participants + t.reserved_participants; };
  uint16_t best = 0;
  for (uint16_t i = 1; i < tables_.size(); ++i) {
    if (load(tables_[i]) < load(tables_[best])) best = i;
  }
  return best;
}

unsigned DpControl::poll_events() {
  unsigned handled = 0;
  for (uint16_t i = 0; i < workers_.size(); ++i) flush(i);
  for (uint16_t i = 0; i < workers_.size(); ++i) {
    dp::control::Event ev[64];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst_elem(workers_.events(i), ev, sizeof ev[0], 64,
                                               nullptr)) != 0) {
      for (unsigned k = 0; k < n; ++k) {
        if (ev[k].type == dp::control::EventType::kSessionReleased) {
          destroy(ev[k].session);
        } else if (ev[k].type == dp::control::EventType::kFlowIdle &&
                   live_participant(ParticipantRef{i, ev[k].slot, ev[k].generation}) != nullptr) {
          // A copy: a handler may remove itself (its front door stopping).
          const auto handlers = idle_handlers_;
          for (const auto& [id, f] : handlers) f(ParticipantRef{i, ev[k].slot, ev[k].generation});
        } else if (ev[k].type == dp::control::EventType::kAudioLevel && level_handler_ &&
                   ev[k].slot < tables_[i].tracks.size() && tables_[i].tracks[ev[k].slot].live &&
                   tables_[i].tracks[ev[k].slot].id == ev[k].id) {
          // A window may arrive after its track went (the slot reused since
          // holds another id: dropped).
          level_handler_(TrackRef{i, ev[k].slot, tables_[i].tracks[ev[k].slot].generation},
                         AudioLevelReport{ev[k].level, ev[k].active_ms, ev[k].observed_ms});
        } else if (ev[k].type == dp::control::EventType::kQuality && quality_handler_) {
          if (const ParticipantSlot* p =
                  live_participant(ParticipantRef{i, ev[k].slot, ev[k].generation})) {
            quality_handler_(
                p->room, ev[k].id,
                QualityFigures{ev[k].loss_in, ev[k].loss_out, ev[k].jitter_ms, ev[k].rtt_ms});
          }
        }
      }
      handled += n;
    }
  }
  return handled;
}

Result<ParticipantRef> DpControl::add_participant(const ParticipantParams& p) {
  if (p.remote.family != 4 && p.remote.family != 6) {
    return make_error(ErrorCode::kInvalidArgument, "participant: remote address family");
  }
  const uint16_t w = worker_for_room(p.room);
  SlotTable& t = tables_[w];
  if (p.reserved && (rooms_.count(p.room) == 0 || t.reserved_participants == 0)) {
    return make_error(ErrorCode::kInternal, "dataplane: no reservation for this participant");
  }
  // Slots reserved for others are not free for this one.
  const uint32_t others = t.reserved_participants - (p.reserved ? 1u : 0u);
  if (t.free_participants.size() <= others) {
    return make_error(ErrorCode::kUnavailable,
                      "dataplane: no participant slot left on worker " + std::to_string(w));
  }
  const dp::flow::FlowKey key = dp::flow::FlowKey::make(p.remote, p.remote_port, p.local_port);
  auto rx = session(p.rx_keys, dp::srtp::Direction::kInbound, 0);
  if (!rx) return rx.error();
  auto tx = session(p.tx_keys, dp::srtp::Direction::kOutbound, p.feedback_ssrc);
  if (!tx) {
    destroy(rx.value());
    return tx.error();
  }
  const uint16_t slot = t.free_participants.back();
  ParticipantSlot& ps = t.participants[slot];
  const uint32_t gen = ++ps.generation;
  Command c;
  c.type = CommandType::kAddParticipant;
  c.add_participant = dp::control::AddParticipant{
      slot,       gen,       p.id, p.local_port, p.remote, p.remote_port, p.feedback_ssrc,
      rx.value(), tx.value()};
  // The command is queued before the flow is inserted; a packet that matches
  // the flow before the lcore applied it finds no participant in the slot
  // (or an older generation) and is dropped as stale.
  send(w, c);
  if (auto s = workers_.flows()->insert(key, dp::flow::FlowRef{w, slot, gen}); !s) {
    Command rm;
    rm.type = CommandType::kRemoveParticipant;
    rm.remove_participant = {slot};
    send(w, rm);  // the lcore releases the sessions (events)
    return make_error(ErrorCode::kConflict, s.error().message);
  }
  t.free_participants.pop_back();
  ++t.live_participants;
  ps.live = true;
  ps.room = p.room;
  ps.flow = key;
  ps.tx_keys = p.tx_keys;
  auto& room = rooms_[p.room];
  room.first = w;
  if (p.reserved) {
    --t.reserved_participants;  // the reservation becomes the participant
  } else {
    ++room.second;
  }
  return ParticipantRef{w, slot, gen};
}

Status DpControl::reserve_participant(uint64_t room) {
  const uint16_t w = worker_for_room(room);
  SlotTable& t = tables_[w];
  if (t.free_participants.size() <= t.reserved_participants) {
    return make_error(ErrorCode::kUnavailable,
                      "no capacity: all " + std::to_string(t.participants.size()) +
                          " participant slots of the room's worker are in use or reserved");
  }
  ++t.reserved_participants;
  auto& r = rooms_[room];
  r.first = w;
  ++r.second;
  return ok_status();
}

void DpControl::release_participant(uint64_t room) {
  auto r = rooms_.find(room);
  if (r == rooms_.end()) return;
  SlotTable& t = tables_[r->second.first];
  if (t.reserved_participants != 0) --t.reserved_participants;
  if (--r->second.second == 0) rooms_.erase(r);
}

Status DpControl::remove_participant(const ParticipantRef& p) {
  if (live_participant(p) == nullptr)
    return make_error(ErrorCode::kNotFound, "participant: no such participant");
  SlotTable& t = tables_[p.worker];
  ParticipantSlot& ps = t.participants[p.slot];
  // Flow first: no new packet can reach the participant once it is gone.
  (void)workers_.flows()->remove(ps.flow);
  Command c;
  c.type = CommandType::kRemoveParticipant;
  c.remove_participant = {p.slot};
  send(p.worker, c);
  ps.live = false;
  t.free_participants.push_back(p.slot);
  --t.live_participants;
  auto room = rooms_.find(ps.room);
  if (room != rooms_.end() && --room->second.second == 0) rooms_.erase(room);
  // The lcore drops the participant's tracks (with their downtracks) and its
  // own downtracks with it: their slots are free again.
  for (uint16_t i = 0; i < t.tracks.size(); ++i) {
    if (t.tracks[i].live && t.tracks[i].publisher == p.slot) forget_track(p.worker, i);
  }
  for (uint32_t i = 0; i < t.downtracks.size(); ++i) {
    if (t.downtracks[i].live && t.downtracks[i].subscriber == p.slot) forget_downtrack(p.worker, i);
  }
  return ok_status();
}

Result<TrackRef> DpControl::add_track(const ParticipantRef& pub, const TrackParams& tp) {
  if (live_participant(pub) == nullptr)
    return make_error(ErrorCode::kNotFound, "track: no such publisher");
  SlotTable& t = tables_[pub.worker];
  if (t.free_tracks.empty())
    return make_error(ErrorCode::kUnavailable, "dataplane: no track slot left");
  if ((!tp.rids.empty() && tp.mid.size() > dp::control::kMaxMid) ||
      tp.rids.size() > dp::control::kMaxLayers ||
      std::any_of(tp.rids.begin(), tp.rids.end(), [](const std::string& r) {
        return r.empty() || r.size() > dp::control::kMaxRid;
      })) {
    return make_error(ErrorCode::kInvalidArgument,
                      "track: at most 3 simulcast layers, RIDs of 1-8 and a MID of 16 bytes");
  }
  if (!tp.rids.empty() && (tp.mid.empty() || tp.mid_ext == 0 || tp.rid_ext == 0)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "track: simulcast layers need the MID and RID header extensions");
  }
  const uint16_t slot = t.free_tracks.back();
  Command c;
  c.type = CommandType::kAddTrack;
  dp::control::AddTrack& a = c.add_track;
  a = dp::control::AddTrack{};
  a.slot = slot;
  a.participant = pub.slot;
  a.id = tp.id;
  a.ssrc = tp.ssrc;
  a.rtx_ssrc = tp.rtx_ssrc;
  a.clock_rate = tp.clock_rate;
  a.kind = tp.kind;
  a.codec = tp.codec;
  a.twcc_ext = tp.twcc_ext;
  a.mid_ext = tp.mid_ext;
  a.rid_ext = tp.rid_ext;
  a.rrid_ext = tp.rrid_ext;
  a.audio_level_ext = tp.audio_level_ext;
  a.nlayers = static_cast<uint8_t>(tp.rids.size());
  // Only layers are matched by MID (checked above); a longer one is not needed.
  std::memcpy(a.mid, tp.mid.data(), std::min(tp.mid.size(), sizeof a.mid));
  for (std::size_t i = 0; i < tp.rids.size(); ++i) {
    std::memcpy(a.rids[i], tp.rids[i].data(), tp.rids[i].size());
  }
  send(pub.worker, c);
  t.free_tracks.pop_back();
  TrackSlot& ts = t.tracks[slot];
  ts = TrackSlot{true, ts.generation + 1, pub.slot, tp.id};
  ++t.live_tracks;
  return TrackRef{pub.worker, slot, ts.generation};
}

void DpControl::forget_track(uint16_t worker, uint16_t track) {
  SlotTable& t = tables_[worker];
  if (!t.tracks[track].live) return;
  t.tracks[track].live = false;
  t.free_tracks.push_back(track);
  --t.live_tracks;
  for (uint32_t i = 0; i < t.downtracks.size(); ++i) {
    if (t.downtracks[i].live && t.downtracks[i].track == track) forget_downtrack(worker, i);
  }
}

void DpControl::forget_downtrack(uint16_t worker, uint32_t slot) {
  SlotTable& t = tables_[worker];
  if (!t.downtracks[slot].live) return;
  t.downtracks[slot].live = false;
  t.free_downtracks.push_back(slot);
  --t.live_downtracks;
}

Status DpControl::remove_track(const TrackRef& tr) {
  if (!live_track(tr)) return make_error(ErrorCode::kNotFound, "track: no such track");
  Command c;
  c.type = CommandType::kRemoveTrack;
  c.remove_track = {tr.slot};
  send(tr.worker, c);
  forget_track(tr.worker, tr.slot);
  return ok_status();
}

Result<DowntrackRef> DpControl::add_downtrack(const TrackRef& track, const ParticipantRef& sub,
                                              const DowntrackParams& d) {
  if (!live_track(track)) return make_error(ErrorCode::kNotFound, "downtrack: no such track");
  if (track.worker != sub.worker) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "downtrack: publisher and subscriber are on different workers (rooms live on one)");
  }
  const ParticipantSlot* ps = live_participant(sub);
  if (ps == nullptr) return make_error(ErrorCode::kNotFound, "downtrack: no such subscriber");
  if (d.pt_map.size() > dp::control::kMaxPtMap || d.ext_map.size() > dp::control::kMaxExtMap) {
    return make_error(ErrorCode::kInvalidArgument,
                      "downtrack: too many payload-type or extension mappings");
  }
  SlotTable& t = tables_[sub.worker];
  if (t.free_downtracks.empty())
    return make_error(ErrorCode::kUnavailable, "dataplane: no downtrack slot left");
  auto tx = session(ps->tx_keys, dp::srtp::Direction::kOutbound, d.ssrc);
  if (!tx) return tx.error();
  dp::srtp::Session* rtx = nullptr;
  if (d.rtx_ssrc != 0) {
    auto r = session(ps->tx_keys, dp::srtp::Direction::kOutbound, d.rtx_ssrc);
    if (!r) {
      destroy(tx.value());
      return r.error();
    }
    rtx = r.value();
  }
  const uint32_t slot = t.free_downtracks.back();
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
  a.ext_passthrough = d.ext_passthrough;
  a.next = static_cast<uint8_t>(d.ext_map.size());
  for (std::size_t i = 0; i < d.ext_map.size(); ++i) {
    a.ext_from[i] = d.ext_map[i].first;
    a.ext_to[i] = d.ext_map[i].second;
  }
  a.tx = tx.value();
  a.tx_rtx = rtx;
  send(sub.worker, c);
  t.free_downtracks.pop_back();
  DowntrackSlot& ds = t.downtracks[slot];
  ds = DowntrackSlot{true, ds.generation + 1, track.slot, sub.slot};
  ++t.live_downtracks;
  return DowntrackRef{sub.worker, slot, ds.generation};
}

Status DpControl::remove_downtrack(const DowntrackRef& d) {
  if (!live_downtrack(d)) return make_error(ErrorCode::kNotFound, "downtrack: no such downtrack");
  Command c;
  c.type = CommandType::kRemoveDowntrack;
  c.remove_downtrack = {d.slot};
  send(d.worker, c);
  forget_downtrack(d.worker, d.slot);
  return ok_status();
}

Status DpControl::pause_downtrack(const DowntrackRef& d, bool paused) {
  if (!live_downtrack(d)) return make_error(ErrorCode::kNotFound, "downtrack: no such downtrack");
  Command c;
  c.type = CommandType::kPauseDowntrack;
  c.pause_downtrack = {d.slot, static_cast<uint8_t>(paused ? 1 : 0)};
  send(d.worker, c);
  return ok_status();
}

Status DpControl::request_keyframe(const TrackRef& t) {
  if (!live_track(t)) return make_error(ErrorCode::kNotFound, "track: no such track");
  Command c;
  c.type = CommandType::kRequestKeyframe;
  c.request_keyframe = {t.slot};
  send(t.worker, c);
  return ok_status();
}

void DpControl::open_port(uint16_t port, std::string_view ufrag) {
  if (auto* g = workers_.guard()) g->open(port, ufrag);
}

void DpControl::port_validated(uint16_t port, const dp::pkt::IpAddr& ip, uint16_t rport) {
  if (auto* g = workers_.guard()) g->validate(port, ip, rport);
}

void DpControl::close_port(uint16_t port) {
  if (auto* g = workers_.guard()) g->close(port);
}

}  // namespace edgesfu::sp
