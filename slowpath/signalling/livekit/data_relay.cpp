#include "slowpath/signalling/livekit/data_relay.hpp"

#include <algorithm>
#include <string>

#include "livekit_models.pb.h"

namespace edgesfu::sp::livekit {

const char* to_string(DataDrop d) {
  switch (d) {
    case DataDrop::kNone: return "none";
    case DataDrop::kNotAllowed: return "not_allowed";
    case DataDrop::kMalformed: return "malformed";
    case DataDrop::kDuplicate: return "duplicate";
    case DataDrop::kTranscriptionNotAgent: return "transcription_not_agent";
    case DataDrop::kMetrics: return "metrics";
    case DataDrop::kCount: break;
  }
  return "?";
}

namespace {

template <typename Repeated>
void add_unique(std::vector<std::string>& out, const Repeated& from) {
  for (const std::string& s : from) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
}

}  // namespace

DataRoute route_data(std::span<const uint8_t> bytes, DataKind kind, const DataSender& sender,
                     DataSenderState& state) {
  DataRoute r;
  if (!sender.can_publish_data) {
    r.drop = DataDrop::kNotAllowed;
    return r;
  }
  ::livekit::DataPacket dp;
  if (!dp.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    r.drop = DataDrop::kMalformed;
    return r;
  }
  if (kind == DataKind::kReliable && dp.sequence() > 0) {
    if (dp.sequence() <= state.last_reliable_seq) {
      r.drop = DataDrop::kDuplicate;
      return r;
    }
    state.last_reliable_seq = dp.sequence();
  }
  if (dp.value_case() == ::livekit::DataPacket::kTranscription && !sender.agent) {
    r.drop = DataDrop::kTranscriptionNotAgent;
    return r;
  }
  if (dp.value_case() == ::livekit::DataPacket::kMetrics) {
    r.drop = DataDrop::kMetrics;
    return r;
  }
  dp.set_kind(kind == DataKind::kReliable ? ::livekit::DataPacket::RELIABLE
                                          : ::livekit::DataPacket::LOSSY);
  const std::string identity = sender.hidden ? std::string() : sender.identity;
  dp.set_participant_sid(sender.sid);
  dp.set_participant_identity(identity);
  add_unique(r.to_identities, dp.destination_identities());
  if (dp.has_user()) {
    ::livekit::UserPacket* u = dp.mutable_user();
    u->set_participant_sid(sender.hidden ? std::string() : sender.sid);
    u->set_participant_identity(identity);
    add_unique(r.to_identities, u->destination_identities());
    add_unique(r.to_sids, u->destination_sids());
    // Both places carry the destinations, whichever the sender used.
    if (u->destination_identities_size() == 0) {
      *u->mutable_destination_identities() = dp.destination_identities();
    }
    if (dp.destination_identities_size() == 0) {
      *dp.mutable_destination_identities() = u->destination_identities();
    }
  }
  r.packet = dp.SerializeAsString();
  return r;
}

DataRoute wrap_unlabeled(std::span<const uint8_t> bytes, const DataSender& sender) {
  DataRoute r;
  if (!sender.can_publish_data) {
    r.drop = DataDrop::kNotAllowed;
    return r;
  }
  ::livekit::DataPacket dp;
  const std::string identity = sender.hidden ? std::string() : sender.identity;
  dp.set_participant_sid(sender.sid);
  dp.set_participant_identity(identity);
  ::livekit::UserPacket* u = dp.mutable_user();
  u->set_participant_sid(sender.hidden ? std::string() : sender.sid);
  u->set_participant_identity(identity);
  u->set_payload(bytes.data(), bytes.size());
  r.packet = dp.SerializeAsString();
  return r;
}

DataCounters& DataCounters::operator+=(const DataCounters& o) {
  for (std::size_t k = 0; k < 2; ++k) {
    in[k].messages += o.in[k].messages;
    in[k].bytes += o.in[k].bytes;
    out[k].messages += o.out[k].messages;
    out[k].bytes += o.out[k].bytes;
    slow_receiver[k] += o.slow_receiver[k];
  }
  for (std::size_t d = 0; d < static_cast<std::size_t>(DataDrop::kCount); ++d)
    drops[d] += o.drops[d];
  rate_limited += o.rate_limited;
  no_channel += o.no_channel;
  held += o.held;
  send_failed += o.send_failed;
  data_track += o.data_track;
  return *this;
}

std::string to_string(const DataCounters& c) {
  auto flow = [](const DataCounters::Flow* f) {
    return std::to_string(f[0].messages) + " reliable (" + std::to_string(f[0].bytes) + " B), " +
           std::to_string(f[1].messages) + " lossy (" + std::to_string(f[1].bytes) + " B)";
  };
  std::string s = "in " + flow(c.in) + "; out " + flow(c.out) + "; dropped:";
  bool any = false;
  auto add = [&](const char* what, uint64_t n) {
    if (n == 0) return;
    s += std::string(" ") + what + " " + std::to_string(n);
    any = true;
  };
  for (std::size_t d = 1; d < static_cast<std::size_t>(DataDrop::kCount); ++d) {
    add(to_string(static_cast<DataDrop>(d)), c.drops[d]);
  }
  add("rate_limited", c.rate_limited);
  add("slow_receiver_reliable", c.slow_receiver[0]);
  add("slow_receiver_lossy", c.slow_receiver[1]);
  add("no_channel", c.no_channel);
  add("send_failed", c.send_failed);
  add("data_track", c.data_track);
  if (!any) s += " none";
  if (c.held != 0) s += "; held until the channel opened " + std::to_string(c.held);
  return s;
}

bool is_recipient(const DataRoute& r, const std::string& sid, const std::string& identity) {
  if (r.to_identities.empty() && r.to_sids.empty()) return true;
  return std::find(r.to_identities.begin(), r.to_identities.end(), identity) !=
             r.to_identities.end() ||
         std::find(r.to_sids.begin(), r.to_sids.end(), sid) != r.to_sids.end();
}

}  // namespace edgesfu::sp::livekit
