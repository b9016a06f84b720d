// Janus (1.x) through its HTTP transport and the videoroom plugin: one Janus
// session for the whole run, one plugin handle per WebRTC session, events
// from one long poll. Publishers "joinandconfigure" with their offer;
// subscribers "join" with the feeds of the publishers up now (multistream)
// and answer Janus' offer with "start". Candidates go in the SDP (trickle
// false); Janus' trickled ones are handed to the runner.
#include <nlohmann/json.hpp>

#include <random>

#include "tools/loadgen/target.hpp"

namespace edgesfu::loadgen {

namespace {

using json = nlohmann::json;  // NOLINT(readability-identifier-naming): the library's spelling

// j[a][b] when both are there, else an empty object (never throws, never inserts).
const json& member(const json& j, const char* a, const char* b) {
  static const json kEmpty = json::object();
  if (!j.is_object() || !j.contains(a) || !j[a].is_object() || !j[a].contains(b)) return kEmpty;
  return j[a][b];
}

class JanusTarget final : public Target {
 public:
  JanusTarget(JanusParams p, HttpClient& http)
      : p_(std::move(p)), http_(http), rng_(std::random_device{}()) {}

  void open(StatusDone done) override {
    call(p_.url, {{"janus", "create"}}, [this, done](Result<json> r) {
      if (!r) return done(r.error());
      const json& id = member(r.value(), "data", "id");
      if (!id.is_number_unsigned()) return done(make_error("Janus: create: no session id"));
      session_ = id.get<uint64_t>();
      poll();
      attach([this, done](Result<uint64_t> h) {
        if (!h) return done(h.error());
        admin_ = h.value();
        json body = {{"request", "create"},
                     {"room", p_.room},
                     {"publishers", p_.max_publishers},
                     {"audiocodec", "opus"},
                     {"videocodec", "vp8"},
                     {"bitrate", 4000000},
                     {"notify_joining", false},
                     {"description", "edgesfu loadgen"}};
        message(admin_, body, json(), [done](Result<json> m) {
          if (!m) {
            // 427: the room exists already (a rerun with the same number).
            if (m.error().message.find("error 427") != std::string::npos) return done(ok_status());
            return done(m.error());
          }
          const json& pd = member(m.value(), "plugindata", "data");
          if (pd.contains("videoroom") && pd["videoroom"] == "created") return done(ok_status());
          done(make_error("Janus: create room: " + pd.dump()));
        });
      });
    });
  }

  void publish(uint64_t sid, const std::string&, const std::string& identity,
               const std::string& offer, SdpDone done) override {
    attach([=, this](Result<uint64_t> h) {
      if (!h) return done(h.error());
      bind(sid, h.value());
      Handle& st = handles_[h.value()];
      st.publisher = true;
      st.on_jsep = done;
      json body = {{"request", "joinandconfigure"}, {"room", p_.room}, {"ptype", "publisher"},
                   {"display", identity},           {"audio", true},   {"video", true}};
      json jsep = {{"type", "offer"}, {"sdp", offer}, {"trickle", false}};
      message(h.value(), body, jsep, [this, hid = h.value()](Result<json> m) {
        if (!m) fail_handle(hid, m.error().message);
      });
    });
  }

  bool sfu_offers() const override { return true; }

  void subscribe(uint64_t, const std::string&, const std::string&, const std::string&,
                 SdpDone done) override {
    done(make_error("Janus: the videoroom makes the subscriber's offer"));
  }

  void subscribe_request(uint64_t sid, const std::string&, const std::string&,
                         SdpDone on_offer) override {
    if (feeds_.empty()) return on_offer(make_error("Janus: no publisher in the room"));
    attach([=, this](Result<uint64_t> h) {
      if (!h) return on_offer(h.error());
      bind(sid, h.value());
      handles_[h.value()].on_jsep = on_offer;
      json streams = json::array();
      for (const auto& [handle, feed] : feeds_) streams.push_back({{"feed", feed}});
      json body = {
          {"request", "join"}, {"room", p_.room}, {"ptype", "subscriber"}, {"streams", streams}};
      message(h.value(), body, json(), [this, hid = h.value()](Result<json> m) {
        if (!m) fail_handle(hid, m.error().message);
      });
    });
  }

  void subscribe_answer(uint64_t sid, const std::string& answer, StatusDone done) override {
    auto it = by_sid_.find(sid);
    if (it == by_sid_.end()) return done(make_error("Janus: no handle for this session"));
    json jsep = {{"type", "answer"}, {"sdp", answer}, {"trickle", false}};
    message(it->second, {{"request", "start"}}, jsep, [done](Result<json> m) {
      if (!m) return done(m.error());
      done(ok_status());
    });
  }

  void leave(uint64_t sid) override {
    auto it = by_sid_.find(sid);
    if (it == by_sid_.end()) return;
    const uint64_t h = it->second;
    by_sid_.erase(it);
    handles_.erase(h);
    feeds_.erase(h);
    call(handle_url(h), {{"janus", "detach"}}, [](Result<json>) {});
  }

  void close(std::function<void()> done) override {
    while (!by_sid_.empty()) leave(by_sid_.begin()->first);
    if (session_ == 0) return done();
    closing_ = true;
    auto destroy = [this, done] {
      call(session_url(), {{"janus", "destroy"}}, [done](Result<json>) { done(); });
    };
    if (admin_ == 0) return destroy();
    message(admin_, {{"request", "destroy"}, {"room", p_.room}}, json(),
            [destroy](Result<json>) { destroy(); });
  }

  std::size_t requests_in_flight() const override { return http_.in_flight(); }

 private:
  struct Handle {
    uint64_t sid = 0;
    bool publisher = false;
    SdpDone on_jsep;  // the answer (publisher) or Janus' offer (subscriber), once
  };

  std::string session_url() const { return p_.url + "/" + std::to_string(session_); }
  std::string handle_url(uint64_t h) const { return session_url() + "/" + std::to_string(h); }

  std::string transaction() {
    static const char* a = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string t(12, 'x');
    for (auto& c : t) c = a[rng_() % 36];
    return t;
  }

  // A request whose synchronous reply is all we want ("success" or "ack").
  void call(const std::string& url, json req, std::function<void(Result<json>)> done) {
    req["transaction"] = transaction();
    http_.request("POST", url, "application/json", req.dump(), {}, [done](const HttpResponse& r) {
      if (r.status != 200) {
        return done(make_error(r.status == 0 ? "Janus HTTP: " + r.error
                                             : "Janus HTTP " + std::to_string(r.status) + ": " +
                                                   r.body.substr(0, 200)));
      }
      json j = json::parse(r.body, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        return done(make_error("Janus: a reply that is not JSON"));
      const json* kind = j.contains("janus") ? &j["janus"] : nullptr;
      if (kind == nullptr || !kind->is_string())
        return done(make_error("Janus: a reply without \"janus\""));
      if (*kind == "error")
        return done(make_error("Janus: " + (j.contains("error") ? j["error"].dump() : "error")));
      const json& pd = member(j, "plugindata", "data");
      if (pd.is_object() && pd.contains("error")) {
        const std::string code = pd.contains("error_code") ? pd["error_code"].dump() : "?";
        return done(make_error("Janus: error " + code + ": " + pd["error"].dump()));
      }
      done(std::move(j));
    });
  }

  void attach(std::function<void(Result<uint64_t>)> done) {
    call(session_url(), {{"janus", "attach"}, {"plugin", "janus.plugin.videoroom"}},
         [done](Result<json> r) {
           if (!r) return done(r.error());
           const json& id = member(r.value(), "data", "id");
           if (!id.is_number_unsigned()) return done(make_error("Janus: attach: no handle id"));
           done(id.get<uint64_t>());
         });
  }

  void message(uint64_t h, const json& body, const json& jsep,
               std::function<void(Result<json>)> done) {
    json req = {{"janus", "message"}, {"body", body}};
    if (!jsep.is_null()) req["jsep"] = jsep;
    call(handle_url(h), req, std::move(done));
  }

  void bind(uint64_t sid, uint64_t h) {
    by_sid_[sid] = h;
    handles_[h].sid = sid;
  }

  void fail_handle(uint64_t h, const std::string& why) {
    auto it = handles_.find(h);
    if (it == handles_.end()) return;
    if (it->second.on_jsep) {
      auto f = std::move(it->second.on_jsep);
      it->second.on_jsep = nullptr;
      f(make_error(why));
    } else if (on_ended_) {
      on_ended_(it->second.sid, why);
    }
  }

  void poll() {
    if (closing_ || session_ == 0) return;
    http_.request("GET", session_url() + "?maxev=64", "", "", {}, [this](const HttpResponse& r) {
      if (r.status == 200) {
        json j = json::parse(r.body, nullptr, false);
        if (j.is_array()) {
          for (const auto& e : j) on_event(e);
        } else if (j.is_object()) {
          on_event(j);
        }
        poll();
      } else if (!closing_) {
        // Janus restarted or the session timed out: nothing more will come.
        if (r.status == 0 && ++poll_errors_ < 20) {
          g_timeout_add(
              100,
              [](gpointer self) {
                static_cast<JanusTarget*>(self)->poll();
                return G_SOURCE_REMOVE;
              },
              this);
        }
      }
    });
  }

  void on_event(const json& e) {
    if (!e.is_object() || !e.contains("sender") || !e["sender"].is_number_unsigned()) return;
    const uint64_t h = e["sender"].get<uint64_t>();
    auto it = handles_.find(h);
    if (it == handles_.end()) return;
    Handle& st = it->second;
    const std::string kind =
        e.contains("janus") && e["janus"].is_string() ? e["janus"].get<std::string>() : "";
    if (kind == "event") {
      const json& data = member(e, "plugindata", "data");
      if (data.contains("error")) return fail_handle(h, "Janus: " + data["error"].dump());
      const json& feed = data.contains("id") ? data["id"] : json();
      if (st.publisher && data.contains("videoroom") && data["videoroom"] == "joined" &&
          feed.is_number_unsigned()) {
        feeds_[h] = feed.get<uint64_t>();
      }
      const json& sdp = member(e, "jsep", "sdp");
      if (sdp.is_string() && st.on_jsep) {
        auto f = std::move(st.on_jsep);
        st.on_jsep = nullptr;
        f(sdp.get<std::string>());
      }
    } else if (kind == "trickle") {
      const json& c = e.contains("candidate") ? e["candidate"] : json();
      if (c.is_object() && c.contains("candidate") && c["candidate"].is_string() &&
          on_candidates_) {
        std::string line = c["candidate"].get<std::string>();
        if (line.rfind("candidate:", 0) == 0) line.erase(0, 10);
        on_candidates_(st.sid, {line});
      }
    } else if (kind == "hangup" || kind == "detached") {
      feeds_.erase(h);
      const std::string why =
          e.contains("reason") && e["reason"].is_string() ? e["reason"].get<std::string>() : "";
      if (on_ended_) on_ended_(st.sid, "Janus: " + kind + " (" + why + ")");
    }
  }

  JanusParams p_;
  HttpClient& http_;
  std::mt19937_64 rng_;
  uint64_t session_ = 0, admin_ = 0;
  bool closing_ = false;
  int poll_errors_ = 0;
  std::map<uint64_t, Handle> handles_;   // by Janus handle id
  std::map<uint64_t, uint64_t> by_sid_;  // runner's id -> handle
  std::map<uint64_t, uint64_t> feeds_;   // publisher handle -> its feed id
};

}  // namespace

std::unique_ptr<Target> make_janus_target(const JanusParams& p, HttpClient& http) {
  return std::make_unique<JanusTarget>(p, http);
}

}  // namespace edgesfu::loadgen
