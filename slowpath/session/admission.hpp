// Admission of new participant sessions (issue 12 #7), for every front door:
// before a session is answered, a room at room.max_participants, too many
// sessions that have not connected yet (in all, or of one identity) refuse it
// with kUnavailable (503) and the reason. A session holds its place with a
// Ticket until it connects (ICE and DTLS done) or ends. Slow-path thread
// only; pure bookkeeping, unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/result.hpp"

namespace edgesfu::sp::session {

struct AdmissionLimits {
  uint32_t max_pending = 256;             // sessions answered, not connected, in all
  uint32_t max_pending_per_identity = 4;  // of one identity
  uint32_t room_max_participants = 0;     // room.max_participants; 0: no limit
  // From the answer to the first valid ICE check; a session without one is
  // ended then (it holds a port and a slot for nothing).
  uint32_t first_check_timeout_ms = 10000;
};

class Admission {
 public:
  explicit Admission(const AdmissionLimits& l) : limits_(l) {}
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // A place for one pending session: released when it connects or goes.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& o) noexcept : a_(o.a_), identity_(std::move(o.identity_)) { o.a_ = nullptr; }
    Ticket& operator=(Ticket&& o) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }
    // The session connected (or ended): it no longer counts as pending.
    void release();
    bool held() const { return a_ != nullptr; }

   private:
    friend class Admission;
    Ticket(Admission* a, std::string identity) : a_(a), identity_(std::move(identity)) {}
    Admission* a_ = nullptr;
    std::string identity_;
  };

  // Admits a session of `identity` into a room that has `in_room`
  // participants now (the session not among them).
  Result<Ticket> admit(const std::string& identity, std::size_t in_room);

  const AdmissionLimits& limits() const { return limits_; }
  uint32_t pending() const { return pending_; }
  uint32_t pending(const std::string& identity) const {
    auto it = by_identity_.find(identity);
    return it == by_identity_.end() ? 0 : it->second;
  }
  uint64_t refused() const { return refused_; }

 private:
  void give_back(const std::string& identity);

  AdmissionLimits limits_;
  uint32_t pending_ = 0;
  std::map<std::string, uint32_t> by_identity_;
  uint64_t refused_ = 0;
};

}  // namespace edgesfu::sp::session
