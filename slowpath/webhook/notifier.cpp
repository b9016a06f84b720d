#include "slowpath/webhook/notifier.hpp"

#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/log.hpp"
#include "slowpath/rooms/rooms.hpp"
#include "slowpath/webhook/payload.hpp"

namespace edgesfu::sp::webhook {

// One POST in flight. `owner` is cleared when the notifier goes first; the
// callback then only frees it.
struct Notifier::Request {
  Notifier* owner = nullptr;
  std::size_t target = 0;
  uint64_t id = 0;
  std::string event;
  SoupMessage* msg = nullptr;
  GCancellable* cancel = nullptr;
  GSource* deadline = nullptr;
  bool timed_out = false;
};

namespace {

void stop_deadline(GSource*& s) {
  if (s != nullptr) {
    g_source_destroy(s);
    g_source_unref(s);
    s = nullptr;
  }
}

}  // namespace

Result<std::unique_ptr<Notifier>> Notifier::start(const config::WebhookConfig& cfg,
                                                  const std::string& secret, OutboxLimits limits) {
  std::unique_ptr<Notifier> n(new Notifier());
  n->api_key_ = cfg.api_key;
  n->secret_ = secret;
  n->timeout_ms_ = cfg.request_timeout_ms;
  for (const std::string& url : cfg.urls) {
    GUri* uri = g_uri_parse(url.c_str(), static_cast<GUriFlags>(SOUP_HTTP_URI_FLAGS), nullptr);
    if (uri == nullptr || g_uri_get_host(uri) == nullptr || *g_uri_get_host(uri) == '\0') {
      if (uri != nullptr) g_uri_unref(uri);
      return make_error("webhook: '" + url + "' is not a URL libsoup can POST to");
    }
    g_uri_unref(uri);
    n->targets_.push_back(Target{url, Outbox(limits)});
  }
  // As many connections as POSTs may be in flight, so that none waits in
  // libsoup's queue while its deadline runs.
  const auto per_host = static_cast<int>(limits.max_in_flight);
  n->session_ = soup_session_new_with_options(
      "user-agent", kUserAgent, "max-conns-per-host", per_host, "max-conns",
      per_host * static_cast<int>(std::max<std::size_t>(1, n->targets_.size())), nullptr);
  if (n->session_ == nullptr) return make_error("webhook: no HTTP client session");
  n->tick_ = g_timeout_source_new(250);
  g_source_set_callback(n->tick_, &Notifier::on_tick, n.get(), nullptr);
  g_source_attach(n->tick_, g_main_context_get_thread_default());
  logger(LogComponent::kWebhook)
      .info("webhook: {} URL(s), signed with key {}, {} ms per POST", n->targets_.size(),
            n->api_key_, n->timeout_ms_);
  return n;
}

Notifier::~Notifier() {
  if (tick_ != nullptr) {
    g_source_destroy(tick_);
    g_source_unref(tick_);
  }
  for (Request* r : live_) {
    r->owner = nullptr;
    stop_deadline(r->deadline);
    g_cancellable_cancel(r->cancel);
  }
  const OutboxCounters t = totals();
  if (t.queued != 0) {
    logger(LogComponent::kWebhook)
        .info(
            "webhook: {} queued, {} delivered, {} retries, dropped: {} full, {} expired, {} "
            "failed, "
            "{} refused; {} still queued at stop",
            t.queued, t.delivered, t.retries, t.dropped_full, t.dropped_expired, t.dropped_failed,
            t.dropped_refused, depth());
  }
  if (session_ != nullptr) g_object_unref(session_);
}

void Notifier::notify(::livekit::WebhookEvent ev) {
  ev.set_id(rooms::new_id("EV_"));
  ev.set_created_at(g_get_real_time() / 1000000);
  const std::string body = event_body(ev);
  const std::string key = ev.room().name();
  if (body.empty()) {
    ++unencodable_;
    logger(LogComponent::kWebhook)
        .warn("webhook: {} of room {} dropped: it did not encode as JSON", ev.event(), key);
    return;
  }
  const int64_t now = g_get_monotonic_time();
  for (Target& t : targets_) {
    if (!t.outbox.push(key, ev.event(), body, now)) {
      logger(LogComponent::kWebhook)
          .warn("webhook: {} of room {} dropped for {}: its queue is full", ev.event(), key, t.url);
    }
  }
  pump();
}

OutboxCounters Notifier::totals() const {
  OutboxCounters sum;
  for (const Target& t : targets_) {
    const OutboxCounters& c = t.outbox.counters();
    sum.queued += c.queued;
    sum.delivered += c.delivered;
    sum.retries += c.retries;
    sum.dropped_full += c.dropped_full;
    sum.dropped_expired += c.dropped_expired;
    sum.dropped_failed += c.dropped_failed;
    sum.dropped_refused += c.dropped_refused;
  }
  return sum;
}

std::size_t Notifier::depth() const {
  std::size_t n = 0;
  for (const Target& t : targets_) n += t.outbox.depth();
  return n;
}

void Notifier::pump() {
  const int64_t now = g_get_monotonic_time();
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    const uint64_t expired = targets_[i].outbox.counters().dropped_expired;
    while (const Delivery* d = targets_[i].outbox.start(now)) send(i, *d);
    const uint64_t late = targets_[i].outbox.counters().dropped_expired - expired;
    if (late != 0) {
      logger(LogComponent::kWebhook)
          .warn("webhook: {} event(s) for {} dropped: queued longer than 30 s", late,
                targets_[i].url);
    }
  }
}

void Notifier::send(std::size_t target, const Delivery& d) {
  auto* r = new Request();
  r->owner = this;
  r->target = target;
  r->id = d.id;
  r->event = d.event;
  r->msg = soup_message_new("POST", targets_[target].url.c_str());
  if (r->msg == nullptr) {  // checked at start; a refusal here, never a crash
    logger(LogComponent::kWebhook)
        .warn("webhook: {} dropped for {}: the URL is not usable", d.event, targets_[target].url);
    targets_[target].outbox.finish(d.id, Outcome::kRefused, g_get_monotonic_time());
    delete r;
    return;
  }
  GBytes* body = g_bytes_new(d.body.data(), d.body.size());
  soup_message_set_request_body_from_bytes(r->msg, kContentType, body);
  g_bytes_unref(body);
  const std::string auth = authorization(d.body, api_key_, secret_, g_get_real_time() / 1000000);
  soup_message_headers_replace(soup_message_get_request_headers(r->msg), "Authorization",
                               auth.c_str());
  r->cancel = g_cancellable_new();
  r->deadline = g_timeout_source_new(timeout_ms_);
  g_source_set_callback(r->deadline, &Notifier::on_deadline, r, nullptr);
  g_source_attach(r->deadline, g_main_context_get_thread_default());
  live_.insert(r);
  soup_session_send_and_read_async(session_, r->msg, G_PRIORITY_DEFAULT, r->cancel,
                                   &Notifier::on_sent, r);
}

gboolean Notifier::on_deadline(gpointer data) {
  auto* r = static_cast<Request*>(data);
  r->timed_out = true;
  g_cancellable_cancel(r->cancel);
  g_source_unref(r->deadline);
  r->deadline = nullptr;
  return G_SOURCE_REMOVE;
}

void Notifier::on_sent(GObject* source, GAsyncResult* res, gpointer data) {
  auto* r = static_cast<Request*>(data);
  GError* err = nullptr;
  GBytes* reply = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &err);
  if (reply != nullptr) g_bytes_unref(reply);
  int status = 0;
  std::string why;
  if (err != nullptr) {
    why = r->timed_out ? "no answer in time" : err->message;
    g_error_free(err);
  } else {
    status = static_cast<int>(soup_message_get_status(r->msg));
  }
  if (r->owner == nullptr) {  // the notifier is gone
    g_object_unref(r->msg);
    g_object_unref(r->cancel);
    delete r;
    return;
  }
  r->owner->done(r, status, why);
}

void Notifier::done(Request* r, int status, const std::string& why) {
  live_.erase(r);
  stop_deadline(r->deadline);
  Target& t = targets_[r->target];
  const Outcome o = classify(status);
  const OutboxCounters before = t.outbox.counters();
  t.outbox.finish(r->id, o, g_get_monotonic_time());
  const OutboxCounters& after = t.outbox.counters();
  const std::string what = status == 0 ? why : "HTTP " + std::to_string(status);
  if (o == Outcome::kDelivered) {
    logger(LogComponent::kWebhook).debug("webhook: {} delivered to {}", r->event, t.url);
  } else if (after.dropped_failed != before.dropped_failed) {
    logger(LogComponent::kWebhook)
        .warn("webhook: {} dropped for {}: {} (no try delivered)", r->event, t.url, what);
  } else if (after.dropped_refused != before.dropped_refused) {
    logger(LogComponent::kWebhook)
        .warn("webhook: {} dropped for {}: the receiver answered {}", r->event, t.url, what);
  } else {
    logger(LogComponent::kWebhook)
        .info("webhook: {} to {} will be retried: {}", r->event, t.url, what);
  }
  if (r->msg != nullptr) g_object_unref(r->msg);
  if (r->cancel != nullptr) g_object_unref(r->cancel);
  delete r;
  pump();
}

gboolean Notifier::on_tick(gpointer self) {
  static_cast<Notifier*>(self)->pump();
  return G_SOURCE_CONTINUE;
}

}  // namespace edgesfu::sp::webhook
