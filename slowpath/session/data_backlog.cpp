#include "slowpath/session/data_backlog.hpp"

namespace edgesfu::sp::session {

void DataBacklog::expire(int64_t now_ms) {
  while (!held_.empty() && now_ms - held_.front().at_ms > limits_.max_age_ms) {
    bytes_ -= held_.front().msg.size();
    held_.pop_front();
    ++counters_.expired;
  }
}

bool DataBacklog::hold(std::string_view label, bool binary, std::span<const uint8_t> msg,
                       int64_t now_ms) {
  expire(now_ms);
  if (held_.size() >= limits_.max_messages || msg.size() > limits_.max_bytes - bytes_) {
    ++counters_.overflow;
    return false;
  }
  held_.push_back(Held{std::string(label), binary, {msg.begin(), msg.end()}, now_ms});
  bytes_ += msg.size();
  ++counters_.held;
  return true;
}

void DataBacklog::release(std::string_view label, int64_t now_ms, const ReleaseFn& f) {
  expire(now_ms);
  std::deque<Held> kept;
  std::vector<Held> out;
  for (Held& h : held_) {
    if (h.label == label) {
      bytes_ -= h.msg.size();
      out.push_back(std::move(h));
    } else {
      kept.push_back(std::move(h));
    }
  }
  held_ = std::move(kept);
  // `f` may send, and a send may hold again: the backlog is consistent first.
  for (const Held& h : out) {
    ++counters_.released;
    f(h.binary, h.msg);
  }
}

}  // namespace edgesfu::sp::session
