// LiveKit's webhook events from the rooms model's changes, whichever door
// a participant came through: room_started, participant_joined (when it
// becomes ACTIVE, as LiveKit), track_published, track_unpublished,
// participant_left (or participant_connection_aborted when it never became
// ACTIVE), room_finished; in that order per room, as they happen. Each event
// carries what LiveKit's carries (the Room; the ParticipantInfo, or only sid
// and identity on track events; the TrackInfo). Slow-path thread only.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "livekit_webhook.pb.h"
#include "slowpath/rooms/rooms.hpp"
#include "slowpath/webhook/notifier.hpp"

namespace edgesfu::sp::livekit {

class RoomWebhooks : public rooms::RoomEvents {
 public:
  // How the LiveKit door describes one of its participants (nullopt: not
  // one of its own; the rooms model's description is used).
  using Describe = std::function<std::optional<::livekit::ParticipantInfo>(const std::string& sid)>;
  RoomWebhooks(const config::Config& cfg, webhook::Notifier& out, Describe describe)
      : cfg_(cfg), out_(out), describe_(std::move(describe)) {}

  void room_started(const rooms::Room& r) override;
  void room_finished(const rooms::Room& r) override;
  void participant_active(const rooms::Room& r, const rooms::Participant& p) override;
  void participant_left(const rooms::Room& r, const rooms::Participant& p) override;
  void track_published(const rooms::Room& r, const rooms::Participant& p,
                       const rooms::Track& t) override;
  void track_unpublished(const rooms::Room& r, const rooms::Participant& p,
                         const rooms::Track& t) override;

 private:
  ::livekit::ParticipantInfo describe(const rooms::Room& r, const rooms::Participant& p) const;
  void send(const char* event, const rooms::Room& r, ::livekit::WebhookEvent ev);

  const config::Config& cfg_;
  webhook::Notifier& out_;
  Describe describe_;
  // As they were when announced: a participant or track that is going away
  // is described as it was (its door may be half gone by then).
  std::map<std::string, ::livekit::ParticipantInfo> joined_;  // by participant sid
  std::map<std::string, ::livekit::TrackInfo> published_;     // by track sid
};

}  // namespace edgesfu::sp::livekit
