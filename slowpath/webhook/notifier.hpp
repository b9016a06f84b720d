// LiveKit's webhooks on the wire: each event is queued for every configured
// URL (an Outbox per URL, keyed by room name: ordered per room) and POSTed
// with libsoup's asynchronous client on the slow path's main loop, so that a
// receiver that is slow, down or never answers costs a queue entry, never a
// wait. Each POST has its own deadline (webhook.request_timeout_ms); drops
// are counted and logged with their reason. Slow-path thread only; needs the
// thread-default GMainContext that the slow path runs.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gio/gio.h>

#include "base/result.hpp"
#include "config/config.hpp"
#include "livekit_webhook.pb.h"
#include "slowpath/webhook/outbox.hpp"

typedef struct _SoupSession SoupSession;

namespace edgesfu::sp::webhook {

class Notifier {
 public:
  // `secret`: the secret of cfg.api_key. An unusable URL is an error here.
  static Result<std::unique_ptr<Notifier>> start(const config::WebhookConfig& cfg,
                                                 const std::string& secret,
                                                 OutboxLimits limits = {});
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Stamps the event (id "EV_...", created_at) and queues it for every URL
  // behind the earlier events of its room.
  void notify(::livekit::WebhookEvent ev);
  // All URLs' counters added up.
  OutboxCounters totals() const;
  std::size_t depth() const;

 private:
  struct Target {
    std::string url;
    Outbox outbox;
  };
  struct Request;
  Notifier() = default;
  // Starts every delivery that is due, on every URL.
  void pump();
  void send(std::size_t target, const Delivery& d);
  void done(Request* r, int status, const std::string& why);
  static void on_sent(GObject* source, GAsyncResult* res, gpointer data);
  static gboolean on_deadline(gpointer data);
  static gboolean on_tick(gpointer self);

  std::string api_key_, secret_;
  uint32_t timeout_ms_ = 0;
  std::vector<Target> targets_;
  SoupSession* session_ = nullptr;
  GSource* tick_ = nullptr;
  std::set<Request*> live_;   // POSTs not finished yet
  uint64_t unencodable_ = 0;  // events that did not encode (dropped)
};

}  // namespace edgesfu::sp::webhook
