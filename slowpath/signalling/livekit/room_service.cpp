#include "slowpath/signalling/livekit/room_service.hpp"

#include <glib.h>
#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "base/log.hpp"
#include "slowpath/signalling/http_reply.hpp"
#include "slowpath/signalling/livekit/agent_server.hpp"
#include "slowpath/signalling/livekit/lk_connection.hpp"
#include "slowpath/signalling/livekit/lk_info.hpp"
#include "slowpath/signalling/livekit/rtc_server.hpp"

namespace edgesfu::sp::livekit {

namespace {

constexpr const char* kPath = "/twirp";
constexpr const char* kService = "livekit.RoomService";
constexpr const char* kDispatchService = "livekit.AgentDispatchService";

Error not_found(const char* what) { return make_error(ErrorCode::kNotFound, what); }
Error bad(std::string what) { return make_error(ErrorCode::kInvalidArgument, std::move(what)); }

void twirp_error(SoupServerMessage* msg, twirp::Code c, const std::string& text) {
  // The SDK reads code and msg only when the type is exactly application/json.
  signalling::respond(msg, twirp::http_status(c), twirp::error_body(c, text), "application/json");
}

std::size_t attributes_size(const google::protobuf::Map<std::string, std::string>& a) {
  std::size_t n = 0;
  for (const auto& [k, v] : a) n += k.size() + v.size();
  return n;
}

}  // namespace

std::unique_ptr<RoomService> RoomService::start(SoupServer* server, RtcServer& rtc,
                                                rooms::Rooms& rooms, const config::Config& cfg) {
  std::unique_ptr<RoomService> s(new RoomService(server, rtc, rooms, cfg));
  soup_server_add_handler(server, kPath, &RoomService::on_http, s.get(), nullptr);
  return s;
}

RoomService::~RoomService() {
  if (server_ != nullptr) soup_server_remove_handler(server_, kPath);
}

void RoomService::on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                          gpointer self) {
  static_cast<RoomService*>(self)->handle(msg, path != nullptr ? path : "");
}

void RoomService::handle(SoupServerMessage* msg, const std::string& path) {
  ++calls_;
  auto refuse = [&](twirp::Code c, const std::string& text) {
    ++refused_;
    logger(LogComponent::kLivekit)
        .info("roomservice: {} refused: {} {}", path, twirp::to_string(c), text);
    twirp_error(msg, c, text);
  };
  twirp::Route route;
  RoomMethod method{};
  const bool known = twirp::parse_path(path, route) &&
                     ((route.service == kService && room_method(route.method, method)) ||
                      (route.service == kDispatchService && dispatch_method(route.method, method)));
  if (!known) {
    refuse(twirp::Code::kBadRoute, "no handler for path \"" + path + "\"");
    return;
  }
  if (std::string(soup_server_message_get_method(msg)) != "POST") {
    refuse(twirp::Code::kBadRoute, "unsupported method (only POST is allowed)");
    return;
  }
  SoupMessageHeaders* h = soup_server_message_get_request_headers(msg);
  const char* ctype = soup_message_headers_get_one(h, "Content-Type");
  twirp::Encoding enc{};
  if (ctype == nullptr || !twirp::encoding_of(ctype, enc)) {
    refuse(twirp::Code::kBadRoute,
           std::string("unexpected Content-Type: \"") + (ctype ? ctype : "") + "\"");
    return;
  }
  const char* authz = soup_message_headers_get_one(h, "Authorization");
  const std::string bearer = authz != nullptr ? authz : "";
  if (bearer.rfind("Bearer ", 0) != 0) {
    refuse(twirp::Code::kUnauthenticated, "no token (Authorization: Bearer)");
    return;
  }
  const auth::TokenResult t =
      auth::verify(bearer.substr(7), cfg_.keys, static_cast<int64_t>(std::time(nullptr)));
  if (!t.ok) {
    refuse(twirp::Code::kUnauthenticated,
           std::string("invalid token: ") + auth::to_string(t.error) + ": " + t.detail);
    return;
  }
  SoupMessageBody* b = soup_server_message_get_request_body(msg);
  GBytes* bytes = soup_message_body_flatten(b);
  gsize len = 0;
  const auto* data = static_cast<const char*>(g_bytes_get_data(bytes, &len));
  const std::string body(data != nullptr ? data : "", len);
  g_bytes_unref(bytes);
  std::string out;
  const Status st = call(method, body, enc, out, t.claims.video);
  if (!st) {
    refuse(twirp::code_of(st.error().code), st.error().message);
    return;
  }
  signalling::respond(msg, 200, out, twirp::content_type(enc));
}

Status RoomService::call(RoomMethod m, const std::string& body, twirp::Encoding enc,
                         std::string& out, const auth::VideoGrant& grant) {
  // Each request names its room in field 1; the grant is checked on it.
  auto run = [&](auto req, auto&& fn) -> Status {
    if (auto s = twirp::decode(body, enc, req); !s) return s;
    std::string room;
    if constexpr (requires { req.room(); }) room = req.room();
    if (auto s = room_method_allowed(m, grant, room); !s) return s;
    return fn(req);
  };
  auto answer = [&](const google::protobuf::Message& resp) {
    out = twirp::encode(resp, enc);
    return ok_status();
  };
  switch (m) {
    case RoomMethod::kCreateRoom:
      return run(::livekit::CreateRoomRequest(), [&](const auto& req) -> Status {
        ::livekit::Room r;
        if (auto s = create_room(req, r); !s) return s;
        return answer(r);
      });
    case RoomMethod::kListRooms:
      return run(::livekit::ListRoomsRequest(), [&](const auto& req) -> Status {
        ::livekit::ListRoomsResponse resp;
        const std::set<std::string> names(req.names().begin(), req.names().end());
        for (const auto& [name, r] : rooms_.all()) {
          if (names.empty() || names.count(name) != 0) *resp.add_rooms() = room_info(r, cfg_);
        }
        return answer(resp);
      });
    case RoomMethod::kDeleteRoom:
      return run(::livekit::DeleteRoomRequest(), [&](const auto& req) -> Status {
        if (auto s = delete_room(req); !s) return s;
        return answer(::livekit::DeleteRoomResponse());
      });
    case RoomMethod::kUpdateRoomMetadata:
      return run(::livekit::UpdateRoomMetadataRequest(), [&](const auto& req) -> Status {
        ::livekit::Room r;
        if (auto s = update_room_metadata(req, r); !s) return s;
        return answer(r);
      });
    case RoomMethod::kListParticipants:
      return run(::livekit::ListParticipantsRequest(), [&](const auto& req) -> Status {
        ::livekit::ListParticipantsResponse resp;
        for (auto& p : rtc_.participants(req.room())) *resp.add_participants() = std::move(p);
        return answer(resp);
      });
    case RoomMethod::kGetParticipant:
      return run(::livekit::RoomParticipantIdentity(), [&](const auto& req) -> Status {
        ::livekit::ParticipantInfo p;
        if (auto s = get_participant(req, p); !s) return s;
        return answer(p);
      });
    case RoomMethod::kRemoveParticipant:
      return run(::livekit::RoomParticipantIdentity(), [&](const auto& req) -> Status {
        if (auto s = remove_participant(req); !s) return s;
        return answer(::livekit::RemoveParticipantResponse());
      });
    case RoomMethod::kMutePublishedTrack:
      return run(::livekit::MuteRoomTrackRequest(), [&](const auto& req) -> Status {
        ::livekit::MuteRoomTrackResponse resp;
        if (auto s = mute_track(req, resp); !s) return s;
        return answer(resp);
      });
    case RoomMethod::kUpdateParticipant:
      return run(::livekit::UpdateParticipantRequest(), [&](const auto& req) -> Status {
        ::livekit::ParticipantInfo p;
        if (auto s = update_participant(req, p); !s) return s;
        return answer(p);
      });
    case RoomMethod::kUpdateSubscriptions:
      return run(::livekit::UpdateSubscriptionsRequest(), [&](const auto& req) -> Status {
        if (auto s = update_subscriptions(req); !s) return s;
        return answer(::livekit::UpdateSubscriptionsResponse());
      });
    case RoomMethod::kSendData:
      return run(::livekit::SendDataRequest(), [&](const auto& req) -> Status {
        if (auto s = send_data(req); !s) return s;
        return answer(::livekit::SendDataResponse());
      });
    case RoomMethod::kForwardParticipant:
      return run(::livekit::ForwardParticipantRequest(), [&](const auto&) -> Status {
        return make_error(ErrorCode::kUnsupported,
                          "ForwardParticipant needs several nodes (LiveKit Cloud's)");
      });
    case RoomMethod::kMoveParticipant:
      return run(::livekit::MoveParticipantRequest(), [&](const auto&) -> Status {
        return make_error(ErrorCode::kUnsupported,
                          "MoveParticipant needs several nodes (LiveKit Cloud's)");
      });
    case RoomMethod::kCreateDispatch:
      return run(::livekit::CreateAgentDispatchRequest(), [&](const auto& req) -> Status {
        ::livekit::AgentDispatch d;
        if (auto s = rtc_.agents().create_dispatch(req, d); !s) return s;
        return answer(d);
      });
    case RoomMethod::kDeleteDispatch:
      return run(::livekit::DeleteAgentDispatchRequest(), [&](const auto& req) -> Status {
        ::livekit::AgentDispatch d;
        if (auto s = rtc_.agents().delete_dispatch(req, d); !s) return s;
        return answer(d);
      });
    case RoomMethod::kListDispatch:
      return run(::livekit::ListAgentDispatchRequest(), [&](const auto& req) -> Status {
        ::livekit::ListAgentDispatchResponse resp;
        if (auto s = rtc_.agents().list_dispatch(req, resp); !s) return s;
        return answer(resp);
      });
  }
  return make_error("unknown method");
}

Status RoomService::create_room(const ::livekit::CreateRoomRequest& req, ::livekit::Room& out) {
  if (req.name().empty()) return bad("a room needs a name");
  if (req.name().size() > kMaxRoomName) return bad("room name length exceeds limits");
  if (req.metadata().size() > kMaxMetadata) return bad("metadata size exceeds limits");
  rooms::RoomSettings s;
  s.empty_timeout_s = req.empty_timeout();
  s.departure_timeout_s = req.departure_timeout();
  s.max_participants = req.max_participants();
  s.metadata = req.metadata();
  if (req.agents_size() > 16) return bad("at most 16 agents per room");
  for (const auto& a : req.agents()) {
    if (a.metadata().size() > kMaxMetadata) return bad("agent metadata size exceeds limits");
    s.agents.push_back(rooms::AgentRequest{a.agent_name(), a.metadata()});
  }
  const auto [room, made] = rooms_.create(req.name(), s, g_get_monotonic_time());
  if (made)
    logger(LogComponent::kLivekit).info("roomservice: room {} ({}) created", room->name, room->sid);
  out = room_info(*room, cfg_);
  return ok_status();
}

Status RoomService::delete_room(const ::livekit::DeleteRoomRequest& req) {
  if (rooms_.find(req.room()) == nullptr) return not_found("requested room does not exist");
  const std::size_t others = rtc_.close_room(req.room());
  // Another door's participants keep the room until they leave; without
  // them it goes now.
  if (others == 0) rooms_.remove(req.room());
  logger(LogComponent::kLivekit)
      .info("roomservice: room {} deleted{}", req.room(),
            others == 0 ? "" : " (WHIP/WHEP sessions stay until they end)");
  return ok_status();
}

Status RoomService::update_room_metadata(const ::livekit::UpdateRoomMetadataRequest& req,
                                         ::livekit::Room& out) {
  if (req.metadata().size() > kMaxMetadata) return bad("metadata size exceeds limits");
  rooms::Room* r = rooms_.find(req.room());
  if (r == nullptr) return not_found("requested room does not exist");
  r->settings.metadata = req.metadata();
  rtc_.send_room_update(req.room());
  out = room_info(*r, cfg_);
  return ok_status();
}

Status RoomService::get_participant(const ::livekit::RoomParticipantIdentity& req,
                                    ::livekit::ParticipantInfo& out) {
  for (auto& p : rtc_.participants(req.room())) {
    if (p.identity() == req.identity()) {
      out = std::move(p);
      return ok_status();
    }
  }
  return not_found("participant does not exist");
}

Status RoomService::remove_participant(const ::livekit::RoomParticipantIdentity& req) {
  LkConnection* c = rtc_.connection(req.room(), req.identity());
  if (c == nullptr) return not_found("participant does not exist");
  rtc_.remove(*c, ::livekit::PARTICIPANT_REMOVED);
  return ok_status();
}

Status RoomService::mute_track(const ::livekit::MuteRoomTrackRequest& req,
                               ::livekit::MuteRoomTrackResponse& out) {
  // LiveKit's default (room.enable_remote_unmute off): an admin mutes, the
  // participant alone unmutes.
  if (!req.muted()) {
    return make_error(ErrorCode::kConflict, "remote unmute not enabled");
  }
  LkConnection* c = rtc_.connection(req.room(), req.identity());
  if (c == nullptr) return not_found("participant does not exist");
  // An unknown track is no error to LiveKit either: the answer has no track.
  if (const ::livekit::TrackInfo* t = c->admin_mute(req.track_sid(), req.muted())) {
    *out.mutable_track() = *t;
  }
  return ok_status();
}

Status RoomService::update_participant(const ::livekit::UpdateParticipantRequest& req,
                                       ::livekit::ParticipantInfo& out) {
  if (req.name().size() > kMaxParticipantName) return bad("name length exceeds limits");
  if (req.metadata().size() > kMaxMetadata) return bad("metadata size exceeds limits");
  if (attributes_size(req.attributes()) > kMaxAttributes) {
    return bad("attribute size exceeds limits");
  }
  LkConnection* c = rtc_.connection(req.room(), req.identity());
  if (c == nullptr) return not_found("participant does not exist");
  c->admin_update(req);
  out = c->info();
  return ok_status();
}

Status RoomService::update_subscriptions(const ::livekit::UpdateSubscriptionsRequest& req) {
  LkConnection* c = rtc_.connection(req.room(), req.identity());
  if (c == nullptr) return not_found("participant does not exist");
  std::size_t unknown = 0;
  auto apply = [&](const std::string& track) {
    if (!rooms_.set_subscribed(req.room(), c->sid(), track, req.subscribe())) ++unknown;
  };
  for (const std::string& t : req.track_sids()) apply(t);
  for (const auto& pt : req.participant_tracks()) {
    for (const std::string& t : pt.track_sids()) apply(t);
  }
  if (unknown != 0) {
    c->slog().info("roomservice: UpdateSubscriptions for {}: {} unknown track(s) ignored",
                   req.identity(), unknown);
  }
  c->room_changed();
  return ok_status();
}

Status RoomService::send_data(const ::livekit::SendDataRequest& req) {
  if (!req.nonce().empty() && req.nonce().size() != 16) {
    return bad("nonce should be 16-bytes or not present, got: " +
               std::to_string(req.nonce().size()) + " bytes");
  }
  if (req.data().size() > 65535) return bad("data over 65,535 bytes (a=max-message-size)");
  if (rooms_.find(req.room()) == nullptr) return not_found("requested room does not exist");
  rtc_.send_server_data(req);
  return ok_status();
}

}  // namespace edgesfu::sp::livekit
