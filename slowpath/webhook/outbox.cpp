#include "slowpath/webhook/outbox.hpp"

#include <algorithm>
#include <climits>

namespace edgesfu::sp::webhook {

Outcome classify(int http_status) {
  if (http_status >= 200 && http_status < 300) return Outcome::kDelivered;
  // retryablehttp's DefaultRetryPolicy: no answer, 429, 5xx but 501.
  if (http_status == 0 || http_status == 429 || (http_status >= 500 && http_status != 501)) {
    return Outcome::kRetry;
  }
  return Outcome::kRefused;
}

int64_t backoff_us(uint32_t retry) {
  constexpr int64_t kMin = 1000000, kMax = 30 * kMin;
  if (retry == 0) return 0;
  if (retry > 6) return kMax;
  return std::min(kMax, kMin << (retry - 1));
}

bool Outbox::push(const std::string& key, std::string event, std::string body, int64_t now_us) {
  auto& q = queues_[key];
  if (q.size() >= limits_.max_per_key || total_ >= limits_.max_total ||
      bytes_ + body.size() > limits_.max_bytes) {
    if (q.empty()) queues_.erase(key);
    ++counters_.dropped_full;
    return false;
  }
  Delivery d;
  d.id = next_id_++;
  d.key = key;
  d.event = std::move(event);
  d.body = std::move(body);
  d.queued_us = now_us;
  d.due_us = now_us;
  bytes_ += d.body.size();
  q.push_back(std::move(d));
  ++total_;
  ++counters_.queued;
  return true;
}

void Outbox::pop(std::map<std::string, std::deque<Delivery>>::iterator q) {
  bytes_ -= q->second.front().body.size();
  q->second.pop_front();
  --total_;
  if (q->second.empty()) queues_.erase(q);
}

const Delivery* Outbox::start(int64_t now_us) {
  if (in_flight_.size() >= limits_.max_in_flight) return nullptr;
  // The due head queued first, so that keys are served in the order their
  // events happened.
  std::map<std::string, std::deque<Delivery>>::iterator best = queues_.end();
  for (auto q = queues_.begin(); q != queues_.end();) {
    Delivery& head = q->second.front();
    if (in_flight_.count(head.id) != 0) {
      ++q;
      continue;
    }
    if (head.attempts == 0 && now_us - head.queued_us > limits_.max_age_us) {
      ++counters_.dropped_expired;
      auto next = std::next(q);
      const bool last = q->second.size() == 1;
      pop(q);
      if (last) {
        q = next;
      }
      continue;  // the key's next event is its head now
    }
    if (head.due_us <= now_us && (best == queues_.end() || head.id < best->second.front().id)) {
      best = q;
    }
    ++q;
  }
  if (best == queues_.end()) return nullptr;
  Delivery& d = best->second.front();
  in_flight_[d.id] = best->first;
  return &d;
}

void Outbox::finish(uint64_t id, Outcome outcome, int64_t now_us) {
  auto f = in_flight_.find(id);
  if (f == in_flight_.end()) return;
  auto q = queues_.find(f->second);
  in_flight_.erase(f);
  if (q == queues_.end() || q->second.front().id != id) return;
  Delivery& d = q->second.front();
  ++d.attempts;
  switch (outcome) {
    case Outcome::kDelivered:
      ++counters_.delivered;
      pop(q);
      return;
    case Outcome::kRefused:
      ++counters_.dropped_refused;
      pop(q);
      return;
    case Outcome::kRetry:
      if (d.attempts >= limits_.max_attempts) {
        ++counters_.dropped_failed;
        pop(q);
        return;
      }
      ++counters_.retries;
      d.due_us = now_us + backoff_us(d.attempts);
      return;
  }
}

int64_t Outbox::next_due_us() const {
  int64_t due = INT64_MAX;
  if (in_flight_.size() >= limits_.max_in_flight) return due;
  for (const auto& [key, q] : queues_) {
    const Delivery& head = q.front();
    if (in_flight_.count(head.id) == 0) due = std::min(due, head.due_us);
  }
  return due;
}

}  // namespace edgesfu::sp::webhook
