#include "slowpath/sctp/data_channels.hpp"

namespace edgesfu::sp::sctp {

DataChannels::DataChannels(bool dtls_server, std::size_t max_channels)
    : dtls_server_(dtls_server), max_channels_(max_channels) {}

DataChannels::Incoming DataChannels::on_message(uint16_t stream, uint32_t ppid,
                                                std::span<const uint8_t> msg) {
  Incoming in;
  switch (static_cast<Ppid>(ppid)) {
    case Ppid::kDcep: {
      if (is_ack(msg)) return in;  // our OPEN was taken: nothing to do
      std::optional<OpenMessage> open = parse_open(msg);
      if (!open) {
        in.drop = Drop::kDcepMalformed;
        return in;
      }
      if (ours_parity(stream) || stream > kMaxStream) {
        in.drop = Drop::kDcepWrongParity;
        in.reset_stream = true;
        return in;
      }
      auto it = by_stream_.find(stream);
      if (it == by_stream_.end() && by_stream_.size() >= max_channels_) {
        in.drop = Drop::kTooManyChannels;
        in.reset_stream = true;
        return in;
      }
      // An OPEN on a stream already open replaces it (the peer reopened it).
      Channel& c = by_stream_[stream];
      c = Channel{stream, std::move(open->label), std::move(open->protocol), open->reliability,
                  false};
      in.reply = build_ack();
      in.opened = &c;
      return in;
    }
    case Ppid::kString:
    case Ppid::kBinary:
    case Ppid::kStringEmpty:
    case Ppid::kBinaryEmpty: break;
    default: in.drop = Drop::kUnknownPpid; return in;
  }
  auto it = by_stream_.find(stream);
  if (it == by_stream_.end()) {
    in.drop = Drop::kUnknownStream;
    return in;
  }
  const auto p = static_cast<Ppid>(ppid);
  in.channel = &it->second;
  in.binary = p == Ppid::kBinary || p == Ppid::kBinaryEmpty;
  if (p == Ppid::kString || p == Ppid::kBinary) in.payload = msg;
  return in;
}

Result<DataChannels::Opening> DataChannels::open(const std::string& label, const Reliability& r) {
  if (by_stream_.size() >= max_channels_) {
    return make_error(ErrorCode::kUnavailable, "data channels: the table is full");
  }
  for (uint16_t s = dtls_server_ ? 1 : 0; s <= kMaxStream; s = static_cast<uint16_t>(s + 2)) {
    if (by_stream_.count(s) != 0) continue;
    Channel& c = by_stream_[s];
    c = Channel{s, label, "", r, true};
    return Opening{c, build_open(OpenMessage{r, 0, label, ""})};
  }
  return make_error(ErrorCode::kUnavailable, "data channels: no stream free");
}

std::optional<Channel> DataChannels::on_stream_reset(uint16_t stream) {
  auto it = by_stream_.find(stream);
  if (it == by_stream_.end()) return std::nullopt;
  Channel c = std::move(it->second);
  by_stream_.erase(it);
  return c;
}

const Channel* DataChannels::find(const std::string& label) const {
  for (const auto& [stream, c] : by_stream_) {
    if (c.label == label) return &c;
  }
  return nullptr;
}

const Channel* DataChannels::at(uint16_t stream) const {
  auto it = by_stream_.find(stream);
  return it == by_stream_.end() ? nullptr : &it->second;
}

}  // namespace edgesfu::sp::sctp
