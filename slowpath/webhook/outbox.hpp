// The delivery queue of one webhook URL, as LiveKit's server keeps it
// (protocol/webhook/resource_url_notifier.go): events of one key (the room's
// name) go out in order, one at a time; keys do not wait for each other. An
// event that waited longer than max_age before its first try is dropped, as
// is one pushed onto a key already holding max_per_key. A failed POST is
// retried with backoff (1, 2, 4, 8 s) when the failure may pass (no answer,
// 429, 5xx but 501), up to max_attempts. Pure: the caller sends and reports
// the outcome, and brings the clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace edgesfu::sp::webhook {

struct OutboxLimits {
  std::size_t max_per_key = 200;        // LiveKit's MaxDepth
  std::size_t max_total = 10000;        // all keys (memory bound)
  std::size_t max_bytes = 64 << 20;     // their bodies, all keys
  int64_t max_age_us = 30 * 1000000LL;  // LiveKit's MaxAge, queued -> first try
  uint32_t max_attempts = 5;            // first try + retryablehttp's RetryMax 4
  std::size_t max_in_flight = 16;       // POSTs at once (keys in parallel)
};

// What one try came to, from its HTTP status (0: no answer: refused
// connection, timeout, TLS failure).
enum class Outcome { kDelivered, kRetry, kRefused };
Outcome classify(int http_status);
// The wait before retry number `retry` (1-based): 1 s * 2^(retry-1), at most 30 s.
int64_t backoff_us(uint32_t retry);

struct Delivery {
  uint64_t id = 0;
  std::string key;
  std::string event;  // "room_started", ... (for logs)
  std::string body;
  int64_t queued_us = 0;
  uint32_t attempts = 0;  // tries made so far
  int64_t due_us = 0;     // not tried again before this
};

struct OutboxCounters {
  uint64_t queued = 0;
  uint64_t delivered = 0;
  uint64_t retries = 0;
  uint64_t dropped_full = 0;     // its key (or the whole outbox) was full
  uint64_t dropped_expired = 0;  // waited past max_age before its first try
  uint64_t dropped_failed = 0;   // max_attempts tries, none delivered
  uint64_t dropped_refused = 0;  // the receiver answered a status not worth retrying
  uint64_t dropped() const {
    return dropped_full + dropped_expired + dropped_failed + dropped_refused;
  }
};

class Outbox {
 public:
  explicit Outbox(OutboxLimits limits = {}) : limits_(limits) {}

  // Queues an event behind the key's others; false (counted) when full.
  bool push(const std::string& key, std::string event, std::string body, int64_t now_us);
  // The next delivery to try now, marked in flight (null: none is due, or
  // max_in_flight are out). Heads that expired are dropped on the way.
  const Delivery* start(int64_t now_us);
  // The outcome of the try `id` started; the delivery is done, or waits
  // for its retry, or is dropped. Unknown ids are ignored.
  void finish(uint64_t id, Outcome outcome, int64_t now_us);
  // When start() may next return something (INT64_MAX: nothing queued or
  // everything in flight).
  int64_t next_due_us() const;

  std::size_t depth() const { return total_; }
  std::size_t bytes() const { return bytes_; }
  std::size_t in_flight() const { return in_flight_.size(); }
  const OutboxCounters& counters() const { return counters_; }

 private:
  void pop(std::map<std::string, std::deque<Delivery>>::iterator q);

  OutboxLimits limits_;
  std::map<std::string, std::deque<Delivery>> queues_;  // by key; none empty
  std::map<uint64_t, std::string> in_flight_;           // delivery id -> key
  std::size_t total_ = 0;
  std::size_t bytes_ = 0;  // bodies queued
  uint64_t next_id_ = 1;
  OutboxCounters counters_;
};

}  // namespace edgesfu::sp::webhook
