#include "slowpath/session/admission.hpp"

namespace edgesfu::sp::session {

Admission::Ticket& Admission::Ticket::operator=(Ticket&& o) noexcept {
  if (this != &o) {
    release();
    a_ = o.a_;
    identity_ = std::move(o.identity_);
    o.a_ = nullptr;
  }
  return *this;
}

void Admission::Ticket::release() {
  if (a_ == nullptr) return;
  a_->give_back(identity_);
  a_ = nullptr;
}

Result<Admission::Ticket> Admission::admit(const std::string& identity, std::size_t in_room) {
  auto refuse = [this](std::string why) {
    ++refused_;
    return make_error(ErrorCode::kUnavailable, std::move(why));
  };
  if (limits_.room_max_participants != 0 && in_room >= limits_.room_max_participants) {
    return refuse("the room is full (room.max_participants " +
                  std::to_string(limits_.room_max_participants) + ")");
  }
  if (pending_ >= limits_.max_pending) {
    return refuse("too many sessions connecting (" + std::to_string(pending_) +
                  "): retry in a few seconds");
  }
  if (pending(identity) >= limits_.max_pending_per_identity) {
    return refuse("this identity has " + std::to_string(pending(identity)) +
                  " sessions connecting already: finish or delete them first");
  }
  ++pending_;
  ++by_identity_[identity];
  return Ticket(this, identity);
}

void Admission::give_back(const std::string& identity) {
  if (pending_ != 0) --pending_;
  auto it = by_identity_.find(identity);
  if (it != by_identity_.end() && --it->second == 0) by_identity_.erase(it);
}

}  // namespace edgesfu::sp::session
