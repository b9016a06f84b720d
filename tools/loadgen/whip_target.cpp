// WHIP (RFC 9725) and WHEP against edgesfu: POST the offer with a bearer
// token (HS256, LiveKit claims), 201 with the answer and a Location to DELETE.
#include <ctime>

#include "slowpath/auth/token.hpp"
#include "tools/loadgen/target.hpp"

namespace edgesfu::loadgen {

namespace {

class WhipTarget final : public Target {
 public:
  WhipTarget(WhipParams p, HttpClient& http) : p_(std::move(p)), http_(http) {}

  void open(StatusDone done) override { done(ok_status()); }

  void publish(uint64_t sid, const std::string& room, const std::string& identity,
               const std::string& offer, SdpDone done) override {
    post(sid, "/whip/", room, identity, offer, std::move(done));
  }
  bool sfu_offers() const override { return false; }
  void subscribe(uint64_t sid, const std::string& room, const std::string& identity,
                 const std::string& offer, SdpDone done) override {
    post(sid, "/whep/", room, identity, offer, std::move(done));
  }
  void subscribe_request(uint64_t, const std::string&, const std::string&,
                         SdpDone on_offer) override {
    on_offer(make_error("WHEP: the subscriber makes the offer"));
  }
  void subscribe_answer(uint64_t, const std::string&, StatusDone done) override {
    done(make_error("WHEP: the subscriber makes the offer"));
  }

  void leave(uint64_t sid) override {
    auto it = locations_.find(sid);
    if (it == locations_.end()) return;
    http_.request("DELETE", resolve(it->second.location), "", "",
                  {{"Authorization", "Bearer " + token(it->first, it->second.room, "")}},
                  [](const HttpResponse&) {});
    locations_.erase(it);
  }

  void close(std::function<void()> done) override {
    while (!locations_.empty()) leave(locations_.begin()->first);
    done();
  }
  std::size_t requests_in_flight() const override { return http_.in_flight(); }

 private:
  std::string token(uint64_t sid, const std::string& room, const std::string& identity) const {
    sp::auth::Claims c;
    c.api_key = p_.api_key;
    c.identity = identity.empty() ? "loadgen-" + std::to_string(sid) : identity;
    c.expires = static_cast<int64_t>(std::time(nullptr)) + 3600 * 24;
    c.video.room = room;
    c.video.room_join = true;
    return sp::auth::mint(c, p_.api_secret);
  }

  std::string resolve(const std::string& location) const {
    if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
    return p_.url + location;
  }

  void post(uint64_t sid, const char* kind, const std::string& room, const std::string& identity,
            const std::string& offer, SdpDone done) {
    http_.request(
        "POST", p_.url + kind + room, "application/sdp", offer,
        {{"Authorization", "Bearer " + token(sid, room, identity)}},
        [this, sid, room, done = std::move(done)](const HttpResponse& r) {
          if (r.status != 201) {
            std::string body = r.body.substr(0, 200);
            while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
            done(make_error(r.status == 0 ? "HTTP: " + r.error
                                          : "HTTP " + std::to_string(r.status) + ": " + body));
            return;
          }
          if (!r.location.empty()) locations_[sid] = {r.location, room};
          done(r.body);
        });
  }

  WhipParams p_;
  HttpClient& http_;
  struct Resource {
    std::string location, room;
  };
  std::map<uint64_t, Resource> locations_;
};

}  // namespace

std::unique_ptr<Target> make_whip_target(const WhipParams& p, HttpClient& http) {
  return std::make_unique<WhipTarget>(p, http);
}

}  // namespace edgesfu::loadgen
