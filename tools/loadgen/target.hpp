// How the load client joins the SFU under test: WHIP/WHEP (edgesfu, or any
// WHIP/WHEP server) or Janus' HTTP API with its videoroom plugin. Sessions
// are named by the runner's ids; every callback may arrive after the runner
// dropped that session, and the runner checks. One thread (GMainContext).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "tools/loadgen/http_client.hpp"

namespace edgesfu::loadgen {

class Target {
 public:
  using SdpDone = std::function<void(Result<std::string>)>;  // an answer or an offer
  using StatusDone = std::function<void(Status)>;
  using OnCandidates = std::function<void(uint64_t sid, const std::vector<std::string>& lines)>;
  using OnEnded = std::function<void(uint64_t sid, const std::string& why)>;

  virtual ~Target() = default;
  // Before any join (Janus: a session and the room).
  virtual void open(StatusDone done) = 0;
  // A publisher's offer -> the SFU's answer. `room`: WHIP/WHEP's room name
  // (--rooms); Janus has the one room it opened.
  virtual void publish(uint64_t sid, const std::string& room, const std::string& identity,
                       const std::string& offer, SdpDone done) = 0;
  // true: the SFU makes the subscriber's offer (subscribe_request, then
  // subscribe_answer); false: the subscriber offers (subscribe).
  virtual bool sfu_offers() const = 0;
  virtual void subscribe(uint64_t sid, const std::string& room, const std::string& identity,
                         const std::string& offer, SdpDone done) = 0;
  virtual void subscribe_request(uint64_t sid, const std::string& room, const std::string& identity,
                                 SdpDone on_offer) = 0;
  virtual void subscribe_answer(uint64_t sid, const std::string& answer, StatusDone done) = 0;
  // Ends a session at the SFU (DELETE, detach); fire and forget.
  virtual void leave(uint64_t sid) = 0;
  // After the run: ends what is left (Janus: the room and the session).
  virtual void close(std::function<void()> done) = 0;
  virtual std::size_t requests_in_flight() const = 0;

  void on_candidates(OnCandidates f) { on_candidates_ = std::move(f); }
  void on_ended(OnEnded f) { on_ended_ = std::move(f); }

 protected:
  OnCandidates on_candidates_;
  OnEnded on_ended_;
};

struct WhipParams {
  std::string url;                  // http://198.18.0.2:7880
  std::string api_key, api_secret;  // access tokens are minted per session
};
std::unique_ptr<Target> make_whip_target(const WhipParams& p, HttpClient& http);

struct JanusParams {
  std::string url;    // http://198.18.0.2:8088/janus
  uint64_t room = 0;  // made by open(), destroyed by close()
  int max_publishers = 0;
};
std::unique_ptr<Target> make_janus_target(const JanusParams& p, HttpClient& http);

}  // namespace edgesfu::loadgen
