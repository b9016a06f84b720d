// Reliable data channel messages for a participant whose channel is not
// open yet: its transport is still coming up, or the client has not opened
// the channel (LiveKit's SDKs open `_reliable` just after DTLS). Others see
// a participant in the room before that, and what they send it then is held
// here, in order, and handed over when the channel opens. Bounded in bytes,
// in messages and in age: what does not fit, or waits too long, is dropped
// and counted. Pure: the caller gives the time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgesfu::sp::session {

class DataBacklog {
 public:
  struct Limits {
    std::size_t max_bytes = 256 * 1024;
    std::size_t max_messages = 1024;
    int64_t max_age_ms = 10000;
  };
  struct Counters {
    uint64_t held = 0;      // messages taken in
    uint64_t released = 0;  // handed over when their channel opened
    uint64_t expired = 0;   // waited longer than max_age_ms
    uint64_t overflow = 0;  // refused: the backlog was full
  };
  using ReleaseFn = std::function<void(bool binary, std::span<const uint8_t> msg)>;

  explicit DataBacklog(const Limits& l) : limits_(l) {}
  DataBacklog(const DataBacklog&) = delete;
  DataBacklog& operator=(const DataBacklog&) = delete;

  // Holds `msg` for the channel labelled `label`; false (counted) when it
  // does not fit. Drops what has expired first.
  bool hold(std::string_view label, bool binary, std::span<const uint8_t> msg, int64_t now_ms);
  // Hands every message held for `label` that has not expired to `f`, in the
  // order they came, and forgets them.
  void release(std::string_view label, int64_t now_ms, const ReleaseFn& f);

  std::size_t messages() const { return held_.size(); }
  std::size_t bytes() const { return bytes_; }
  const Counters& counters() const { return counters_; }

 private:
  struct Held {
    std::string label;
    bool binary = false;
    std::vector<uint8_t> msg;
    int64_t at_ms = 0;
  };
  void expire(int64_t now_ms);

  Limits limits_;
  std::deque<Held> held_;  // in arrival order, so oldest first
  std::size_t bytes_ = 0;
  Counters counters_;
};

}  // namespace edgesfu::sp::session
