// Fastpath: construction and the commands that change its state.
#include <rte_ring_elem.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "dataplane/fanout/fastpath.hpp"

namespace edgesfu::dp::fanout {

namespace {
// Map capacities: a track's stream or 3 layers, and RTX; a downtrack's SSRC and RTX SSRC.
uint32_t track_map_entries(const FastpathLimits& l) { return l.max_tracks * 4u; }
uint32_t downtrack_map_entries(const FastpathLimits& l) { return l.max_downtracks * 2u; }
}  // namespace

Fastpath::Fastpath(const FastpathLimits& l, srtp::Engine* e, rte_mempool* p, rte_ring* ev,
                   LcoreStats* s, Tables t)
    : limits_(l),
      engine_(e),
      pool_(p),
      events_(ev),
      stats_(s),
      tables_(std::move(t.arena)),
      participants_(t.participants),
      tracks_(t.tracks),
      downtracks_(t.downtracks),
      track_by_ssrc_(track_map_entries(l), t.track_keys, t.track_vals),
      downtrack_by_ssrc_(downtrack_map_entries(l), t.downtrack_keys, t.downtrack_vals),
      twcc_(t.twcc) {}

std::size_t Fastpath::table_bytes(const FastpathLimits& l) {
  using A = mem::NodeArena;
  const std::size_t slots = std::size_t{l.max_tracks} * RtxRingT::capacity_for(l.rtx_depth);
  const uint32_t tmap = SsrcMap::capacity_for(track_map_entries(l));
  const uint32_t dmap = SsrcMap::capacity_for(downtrack_map_entries(l));
  return A::bytes_for<Participant>(l.max_participants) + A::bytes_for<Track>(l.max_tracks) +
         A::bytes_for<Downtrack>(l.max_downtracks) +
         A::bytes_for<rtcp::TwccRecorder>(l.max_participants) +
         A::bytes_for<RtxRingT::Slot>(slots) + A::bytes_for<RtxRingT>(l.max_tracks) +
         A::bytes_for<uint64_t>(tmap) + A::bytes_for<uint32_t>(tmap) +
         A::bytes_for<uint64_t>(dmap) + A::bytes_for<uint32_t>(dmap);
}

Result<Fastpath::Tables> Fastpath::make_tables(const FastpathLimits& l, int node) {
  auto arena = mem::NodeArena::create(table_bytes(l), node);
  if (!arena) return arena.error();
  mem::NodeArena& a = *arena.value();
  Tables t{};
  t.participants = a.make<Participant>(l.max_participants);
  t.tracks = a.make<Track>(l.max_tracks);
  t.downtracks = a.make<Downtrack>(l.max_downtracks);
  t.twcc = a.make<rtcp::TwccRecorder>(l.max_participants);
  // The rings' slots, then the rings over them (destroyed first: they
  // release the mbufs their slots hold).
  const uint32_t cap = RtxRingT::capacity_for(l.rtx_depth);
  RtxRingT::Slot* slots = a.make<RtxRingT::Slot>(std::size_t{l.max_tracks} * cap);
  RtxRingT* rings = nullptr;
  if (slots != nullptr) {
    rings = a.make_each<RtxRingT>(l.max_tracks, [&](std::size_t i) {
      return RtxRingT(l.rtx_depth, RtxRelease{}, slots + i * cap);
    });
  }
  const uint32_t tmap = SsrcMap::capacity_for(track_map_entries(l));
  const uint32_t dmap = SsrcMap::capacity_for(downtrack_map_entries(l));
  t.track_keys = a.make<uint64_t>(tmap);
  t.track_vals = a.make<uint32_t>(tmap);
  t.downtrack_keys = a.make<uint64_t>(dmap);
  t.downtrack_vals = a.make<uint32_t>(dmap);
  if (t.participants == nullptr || t.tracks == nullptr || t.downtracks == nullptr ||
      t.twcc == nullptr || rings == nullptr || t.track_keys == nullptr || t.track_vals == nullptr ||
      t.downtrack_keys == nullptr || t.downtrack_vals == nullptr) {
    return make_error("fast path: its tables do not fit the " + std::to_string(a.size()) +
                      " bytes sized for them");
  }
  for (uint32_t i = 0; i < l.max_tracks; ++i) t.tracks[i].ring = &rings[i];
  t.arena = std::move(arena).value();
  return t;
}

Result<std::unique_ptr<Fastpath>> Fastpath::create(const FastpathLimits& limits,
                                                   srtp::Engine* engine, rte_mempool* pool,
                                                   rte_ring* events, LcoreStats* stats, int node) {
  if (limits.max_participants == 0 || limits.max_tracks == 0 || limits.max_downtracks == 0) {
    return make_error("fast path: limits must be non-zero");
  }
  auto tables = make_tables(limits, node);
  if (!tables) return tables.error();
  std::unique_ptr<Fastpath> f(
      new (node) Fastpath(limits, engine, pool, events, stats, std::move(tables).value()));
  if (f == nullptr) return make_error("fast path: cannot map its state");
  return f;
}

void* Fastpath::operator new(std::size_t bytes, int node) noexcept {
  auto mem = mem::map_on_node(bytes, node);
  return mem ? mem.value() : nullptr;
}

void Fastpath::operator delete(void* p, std::size_t bytes) noexcept { mem::unmap(p, bytes); }

Fastpath::~Fastpath() {
  // Control thread, after the worker stopped. The rings release their mbufs
  // when tables_ goes (after this body); the protect batch is always empty
  // between bursts.
  if (stash_next_ < stash_n_) {
    rte_pktmbuf_free_bulk(stash_ + stash_next_, static_cast<unsigned>(stash_n_ - stash_next_));
  }
}

void Fastpath::release_session(srtp::Session* s, uint32_t id) {
  if (s == nullptr) return;
  control::Event ev{};
  ev.type = control::EventType::kSessionReleased;
  ev.id = id;
  ev.session = s;
  // Single producer (this lcore), single consumer (the control thread).
  if (rte_ring_sp_enqueue_elem(events_, &ev, sizeof ev) != 0) {
    // The control thread will not hear of it: the session leaks, which is
    // better than freeing it under someone. Counted so it shows.
    stats_->media.events_lost.add(1);
  }
}

void Fastpath::apply(const control::Command& c, uint64_t now_us, TxStage& tx) {
  switch (c.type) {
    case control::CommandType::kAddParticipant: add_participant(c.add_participant); break;
    case control::CommandType::kRemoveParticipant:
      remove_participant(c.remove_participant.slot);
      break;
    case control::CommandType::kAddTrack: add_track(c.add_track); break;
    case control::CommandType::kRemoveTrack: remove_track(c.remove_track.slot); break;
    case control::CommandType::kAddDowntrack: add_downtrack(c.add_downtrack); break;
    case control::CommandType::kRemoveDowntrack: remove_downtrack(c.remove_downtrack.slot); break;
    case control::CommandType::kPauseDowntrack:
      if (c.pause_downtrack.slot < limits_.max_downtracks &&
          downtracks_[c.pause_downtrack.slot].used) {
        Downtrack& d = downtracks_[c.pause_downtrack.slot];
        const bool paused = c.pause_downtrack.paused != 0;
        // Resuming continues the numbers sent before the pause.
        if (d.paused && !paused) d.munger.restart_at_next();
        d.paused = paused;
      }
      break;
    case control::CommandType::kRequestKeyframe:
      if (c.request_keyframe.track < limits_.max_tracks && tracks_[c.request_keyframe.track].used) {
        request_keyframe(tracks_[c.request_keyframe.track], false, now_us, tx);
      }
      break;
  }
}

void Fastpath::add_participant(const control::AddParticipant& c) {
  if (c.slot >= limits_.max_participants) return;
  Participant& p = participants_[c.slot];
  if (p.used) remove_participant(c.slot);
  p = Participant{};
  p.used = true;
  p.generation = c.generation;
  p.id = c.id;
  p.feedback_ssrc = c.feedback_ssrc;
  p.rx = c.rx;
  p.tx_rtcp = c.tx_rtcp;
  twcc_[c.slot] = rtcp::TwccRecorder{};
  p.last_seen_us = 0;  // set by the first frame or the first timer tick
  // The remote side is known from ICE; the MACs are learned from its frames,
  // or — so that media can flow before it sends any — from the kernel's own
  // frames to that address (STUN responses, DTLS) through the exception port.
  p.path.dst = c.remote;
  p.path.dst_port = c.remote_port;
  p.path.src_port = c.local_port;
  const Neighbor& n = neighbors_[neighbor_slot(c.remote)];
  if (n.ip == c.remote && n.ip.family != 0) {
    p.path.src = n.our_ip;
    p.path.src_mac = n.ours;
    p.path.dst_mac = n.theirs;
    p.path_set();
  }
}

void Fastpath::remove_participant(uint16_t slot) {
  if (slot >= limits_.max_participants || !participants_[slot].used) return;
  // Its downtracks (as subscriber) and its tracks (with their downtracks).
  for (uint32_t d = 0; d < limits_.max_downtracks; ++d) {
    if (downtracks_[d].used && downtracks_[d].subscriber == slot) remove_downtrack(d);
  }
  for (uint16_t t = 0; t < limits_.max_tracks; ++t) {
    if (tracks_[t].used && tracks_[t].participant == slot) remove_track(t);
  }
  Participant& p = participants_[slot];
  release_session(p.rx, p.id);
  release_session(p.tx_rtcp, p.id);
  p.used = false;
  p.rx = p.tx_rtcp = nullptr;
}

void Fastpath::add_track(const control::AddTrack& c) {
  if (c.slot >= limits_.max_tracks || c.participant >= limits_.max_participants ||
      !participants_[c.participant].used) {
    return;
  }
  if (tracks_[c.slot].used) remove_track(c.slot);
  Track& t = tracks_[c.slot];
  t.ring->clear();
  t.used = true;
  t.have_sr = false;
  t.kind = c.kind;
  t.codec = c.codec;
  t.participant = c.participant;
  t.id = c.id;
  t.nlayers = c.nlayers > control::kMaxLayers ? control::kMaxLayers : c.nlayers;
  t.ssrc = t.nlayers == 0 ? c.ssrc : 0;
  t.rtx_ssrc = c.rtx_ssrc;
  t.nack_on = c.kind == control::MediaKind::kVideo;
  t.nack_ssrc = 0;
  t.media_pt = 0;
  t.nack.reset();
  t.layers.reset();
  t.level_ext = c.kind == control::MediaKind::kAudio ? c.audio_level_ext : 0;
  t.level = rtcp::AudioLevelWindow{};
  std::memcpy(t.mid, c.mid, sizeof t.mid);
  std::memcpy(t.rids, c.rids, sizeof t.rids);
  for (uint8_t i = 0; i < control::kMaxLayers; ++i) {
    t.layer_ssrc[i] = t.layer_rtx_ssrc[i] = 0;
    t.layer_keyframe_req_us[i] = 0;
  }
  t.clock_rate = c.clock_rate == 0 ? 90000 : c.clock_rate;
  t.first_downtrack = kNoIndex;
  t.last_keyframe_req_us = 0;
  t.stats = rtcp::ReceiveStats(t.clock_rate);
  if (t.ssrc != 0) track_by_ssrc_.insert(c.participant, t.ssrc, stream_value(c.slot, kRoleStream));
  if (t.rtx_ssrc != 0)
    track_by_ssrc_.insert(c.participant, t.rtx_ssrc, stream_value(c.slot, kRoleRtx));
  Participant& p = participants_[c.participant];
  if (c.twcc_ext != 0) p.twcc_ext = c.twcc_ext;
  if (c.mid_ext != 0) p.mid_ext = c.mid_ext;
  if (c.rid_ext != 0) p.rid_ext = c.rid_ext;
  if (c.rrid_ext != 0) p.rrid_ext = c.rrid_ext;
  if (t.nlayers != 0 && p.nsimulcast < Participant::kMaxSimulcastTracks) {
    p.simulcast[p.nsimulcast++] = c.slot;
  }
  ++live_tracks_;
  share_rtx_budget();
}

void Fastpath::share_rtx_budget() {
  // set_keep() holds it to the ring's capacity (rtx_depth rounded up).
  uint32_t keep = std::numeric_limits<uint32_t>::max();
  if (limits_.rtx_budget != 0 && live_tracks_ != 0) keep = limits_.rtx_budget / live_tracks_;
  for (uint32_t i = 0; i < limits_.max_tracks; ++i) {
    if (tracks_[i].used) tracks_[i].ring->set_keep(keep);
  }
}

void Fastpath::remove_track(uint16_t slot) {
  if (slot >= limits_.max_tracks || !tracks_[slot].used) return;
  Track& t = tracks_[slot];
  while (t.first_downtrack != kNoIndex) remove_downtrack(t.first_downtrack);
  if (t.nlayers == 0) track_by_ssrc_.erase(t.participant, t.ssrc);
  Participant& p = participants_[t.participant];
  for (uint8_t i = 0; i < p.nsimulcast; ++i) {
    if (p.simulcast[i] == slot) p.simulcast[i] = p.simulcast[--p.nsimulcast];
  }
  if (t.rtx_ssrc != 0) track_by_ssrc_.erase(t.participant, t.rtx_ssrc);
  // Layers and their RTX streams, as learned from packets.
  for (uint8_t i = 0; i < control::kMaxLayers; ++i) {
    if (t.layer_ssrc[i] != 0) track_by_ssrc_.erase(t.participant, t.layer_ssrc[i]);
    if (t.layer_rtx_ssrc[i] != 0) track_by_ssrc_.erase(t.participant, t.layer_rtx_ssrc[i]);
  }
  t.ring->clear();
  t.used = false;
  --live_tracks_;
  share_rtx_budget();
}

void Fastpath::add_downtrack(const control::AddDowntrack& c) {
  if (c.slot >= limits_.max_downtracks || c.track >= limits_.max_tracks || !tracks_[c.track].used ||
      c.subscriber >= limits_.max_participants || !participants_[c.subscriber].used) {
    return;
  }
  if (downtracks_[c.slot].used) remove_downtrack(c.slot);
  Downtrack& d = downtracks_[c.slot];
  d.used = true;
  d.track = c.track;
  d.subscriber = c.subscriber;
  d.id = c.id;
  d.ssrc = c.ssrc;
  d.rtx_ssrc = c.rtx_ssrc;
  d.rtx_pt = c.rtx_pt;
  d.rtx_seq = static_cast<uint16_t>(c.first_seq ^ 0x5a5a);
  d.packets = d.octets = 0;
  d.fraction_lost = 0;
  d.cumulative_lost = 0;
  d.jitter = d.rtt = 0;
  d.last_sr_ntp = d.last_sr_sent_us = 0;
  d.tx = c.tx;
  d.tx_rtx = c.tx_rtx;
  d.munger.reset(c.first_seq, c.first_ts);
  d.paused = false;  // the slot's last downtrack may have been paused
  for (uint8_t i = 0; i < 128; ++i) d.pt_map[i] = i;
  for (uint8_t i = 0; i < c.npt && i < control::kMaxPtMap; ++i) {
    d.pt_map[c.pt_from[i] & 0x7f] = c.pt_to[i] & 0x7f;
  }
  d.pt_in = 0xff;  // nothing mapped yet
  d.ext_identity = c.ext_passthrough;
  d.ext_map.fill(0);
  for (uint8_t i = 0; i < c.next && i < control::kMaxExtMap; ++i)
    d.ext_map[c.ext_from[i]] = c.ext_to[i];
  // Link at the head of the track's list.
  Track& t = tracks_[c.track];
  d.prev = kNoIndex;
  d.next = t.first_downtrack;
  if (t.first_downtrack != kNoIndex) downtracks_[t.first_downtrack].prev = c.slot;
  t.first_downtrack = c.slot;
  downtrack_by_ssrc_.insert(c.subscriber, c.ssrc, c.slot);
  if (c.rtx_ssrc != 0) downtrack_by_ssrc_.insert(c.subscriber, c.rtx_ssrc, c.slot);
}

void Fastpath::remove_downtrack(uint32_t slot) {
  if (slot >= limits_.max_downtracks || !downtracks_[slot].used) return;
  Downtrack& d = downtracks_[slot];
  Track& t = tracks_[d.track];
  if (d.prev != kNoIndex)
    downtracks_[d.prev].next = d.next;
  else
    t.first_downtrack = d.next;
  if (d.next != kNoIndex) downtracks_[d.next].prev = d.prev;
  downtrack_by_ssrc_.erase(d.subscriber, d.ssrc);
  if (d.rtx_ssrc != 0) downtrack_by_ssrc_.erase(d.subscriber, d.rtx_ssrc);
  release_session(d.tx, d.id);
  release_session(d.tx_rtx, d.id);
  d.tx = d.tx_rtx = nullptr;
  d.used = false;
}

}  // namespace edgesfu::dp::fanout
