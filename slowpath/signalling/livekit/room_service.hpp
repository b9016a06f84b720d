// LiveKit's RoomService on the HTTP server of the front doors (issue 15):
// POST /twirp/livekit.RoomService/<Method> with a token minted by the app's
// backend (livekit-server-sdk): CreateRoom, ListRooms, DeleteRoom,
// UpdateRoomMetadata, ListParticipants, GetParticipant, RemoveParticipant,
// MutePublishedTrack, UpdateParticipant, UpdateSubscriptions, SendData;
// ForwardParticipant and MoveParticipant are LiveKit Cloud's (answered
// unimplemented). Every effect reaches the participants over their
// signalling, as LiveKit's server does. Slow-path thread only.
#pragma once

#include <memory>
#include <string>

#include "base/result.hpp"
#include "config/config.hpp"
#include "livekit_room.pb.h"
#include "slowpath/rooms/rooms.hpp"
#include "slowpath/signalling/livekit/room_service_rules.hpp"
#include "slowpath/signalling/livekit/twirp.hpp"

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;
typedef struct _GHashTable GHashTable;
typedef void* gpointer;

namespace edgesfu::sp::livekit {

class RtcServer;

class RoomService {
 public:
  static std::unique_ptr<RoomService> start(SoupServer* server, RtcServer& rtc, rooms::Rooms& rooms,
                                            const config::Config& cfg);
  ~RoomService();
  RoomService(const RoomService&) = delete;
  RoomService& operator=(const RoomService&) = delete;

  uint64_t calls() const { return calls_; }
  uint64_t refused() const { return refused_; }

 private:
  RoomService(SoupServer* server, RtcServer& rtc, rooms::Rooms& rooms, const config::Config& cfg)
      : server_(server), rtc_(rtc), rooms_(rooms), cfg_(cfg) {}
  static void on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                      gpointer self);
  void handle(SoupServerMessage* msg, const std::string& path);
  // The method's answer (a message in `out`) or its error.
  Status call(RoomMethod m, const std::string& body, twirp::Encoding enc, std::string& out,
              const auth::VideoGrant& grant);

  Status create_room(const ::livekit::CreateRoomRequest& req, ::livekit::Room& out);
  Status delete_room(const ::livekit::DeleteRoomRequest& req);
  Status update_room_metadata(const ::livekit::UpdateRoomMetadataRequest& req,
                              ::livekit::Room& out);
  Status get_participant(const ::livekit::RoomParticipantIdentity& req,
                         ::livekit::ParticipantInfo& out);
  Status remove_participant(const ::livekit::RoomParticipantIdentity& req);
  Status mute_track(const ::livekit::MuteRoomTrackRequest& req,
                    ::livekit::MuteRoomTrackResponse& out);
  Status update_participant(const ::livekit::UpdateParticipantRequest& req,
                            ::livekit::ParticipantInfo& out);
  Status update_subscriptions(const ::livekit::UpdateSubscriptionsRequest& req);
  Status send_data(const ::livekit::SendDataRequest& req);

  SoupServer* server_;
  RtcServer& rtc_;
  rooms::Rooms& rooms_;
  const config::Config& cfg_;
  uint64_t calls_ = 0, refused_ = 0;
};

}  // namespace edgesfu::sp::livekit
