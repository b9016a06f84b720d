// One WebRTC session of a WHIP publisher or a WHEP subscriber: its ICE agent,
// its DTLS transport, and — once the browser's nominated pair and the DTLS keys
// are known — its participant, tracks and downtracks in the dataplane
// (DESIGN.md §1, the hand-over). Slow-path thread only.
#pragma once

#include <glib.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "slowpath/dp_control/dp_control.hpp"
#include "slowpath/dtls/dtls.hpp"
#include "slowpath/ice/lite_agent.hpp"
#include "slowpath/rooms/rooms.hpp"
#include "slowpath/sdp/negotiate.hpp"

namespace edgesfu::sp::signalling {

struct SessionDeps {
  GMainContext* context = nullptr;
  DpControl* dp = nullptr;
  rooms::Rooms* rooms = nullptr;
  std::shared_ptr<dtls::Certificate> cert;
  std::string local_address;      // the appliance IP
  std::string advertised_address; // rtc.node_ip
  uint16_t port_min = 0, port_max = 0;
  // Called when a publisher's tracks entered the dataplane in `room`, so
  // that subscribers waiting for them can attach.
  std::function<void(const std::string& room)> on_tracks_ready;
};

class MediaSession {
 public:
  enum class Kind { kPublish, kSubscribe };
  // Called once when the session ends by itself (ICE or DTLS failure, or the
  // handshake timing out): the owner drops it (not from inside the callback).
  using OnEnded = std::function<void(const std::string& id, const std::string& why)>;

  // Negotiates against `offer` and starts ICE and DTLS. `answer` receives the
  // SDP to return; `err` the HTTP status and reason when it fails.
  static std::unique_ptr<MediaSession> create(Kind kind, const std::string& room,
                                              const std::string& identity, const sdp::Session& offer,
                                              const SessionDeps& deps, OnEnded on_ended,
                                              std::string& answer, sdp::NegotiationError& err);
  ~MediaSession();  // removes everything from the room and the dataplane

  const std::string& id() const { return participant_sid_; }
  // Subscriber: adds downtracks for answered tracks whose publisher is now in
  // the dataplane.
  void attach_ready_tracks();
  const std::string& room() const { return room_; }
  bool installed() const { return installed_; }
  // Its participant in the dataplane (valid once installed()).
  const ParticipantRef& participant() const { return participant_; }
  // Ends the session from outside (consent lost); the owner drops it later.
  void expire(const std::string& why) { end(why); }

 private:
  MediaSession() = default;
  void on_ice_data(std::span<const uint8_t> d);
  void maybe_install();
  void end(const std::string& why);
  static gboolean on_timer(gpointer self);

  Kind kind_ = Kind::kPublish;
  std::string room_;
  std::string participant_sid_;
  SessionDeps deps_;
  OnEnded on_ended_;
  std::unique_ptr<ice::LiteAgent> ice_;
  std::unique_ptr<dtls::Transport> dtls_;
  std::vector<sdp::PublishedTrack> published_;    // kPublish
  std::vector<sdp::SubscribedTrack> subscribed_;  // kSubscribe
  std::vector<std::string> sources_;               // kSubscribe: track sids, by SubscribedTrack::source
  std::vector<bool> attached_;                    // kSubscribe: per subscribed track
  std::vector<std::string> track_sids_;           // kPublish: per published track
  GSource* timer_ = nullptr;
  int64_t started_us_ = 0;
  bool installed_ = false;
  bool ended_ = false;
  ParticipantRef participant_;
  std::vector<TrackRef> tracks_;
  std::vector<DowntrackRef> downtracks_;
};

}  // namespace edgesfu::sp::signalling
