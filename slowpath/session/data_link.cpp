#include "slowpath/session/data_link.hpp"

#include <spdlog/spdlog.h>

#include "base/log.hpp"

namespace edgesfu::sp::session {

namespace {

// usrsctp's timers (retransmissions, heartbeats, delayed SACKs) run every
// 10 ms on the slow path's main loop while any data link exists.
constexpr guint kTickMs = 10;

class Clock {
 public:
  explicit Clock(GMainContext* context) {
    source_ = g_timeout_source_new(kTickMs);
    g_source_set_callback(
        source_,
        [](gpointer) -> gboolean {
          sctp::Stack::tick(static_cast<uint64_t>(g_get_monotonic_time() / 1000));
          return G_SOURCE_CONTINUE;
        },
        nullptr, nullptr);
    g_source_attach(source_, context);
  }
  ~Clock() {
    g_source_destroy(source_);
    g_source_unref(source_);
  }
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

 private:
  GSource* source_ = nullptr;
};

std::shared_ptr<void> shared_clock(GMainContext* context) {
  static std::weak_ptr<Clock> current;
  std::shared_ptr<Clock> c = current.lock();
  if (!c) {
    c = std::make_shared<Clock>(context);
    current = c;
  }
  return c;
}

constexpr sctp::Reliability kDcepReliability{};  // DCEP goes reliable and ordered (RFC 8832 §6)

}  // namespace

DataLink::DataLink(const DataLinkOptions& o, MessageFn on_message, OpenFn on_open)
    : on_message_(std::move(on_message)),
      on_open_(std::move(on_open)),
      channels_(o.dtls_server, o.max_channels) {}

Result<std::unique_ptr<DataLink>> DataLink::create(const DataLinkOptions& o, GMainContext* context,
                                                   OutputFn out, MessageFn on_message,
                                                   OpenFn on_open) {
  std::unique_ptr<DataLink> link(new DataLink(o, std::move(on_message), std::move(on_open)));
  DataLink* self = link.get();
  sctp::AssociationOptions ao;
  ao.remote_port = o.remote_port;
  ao.send_buffer = o.send_buffer;
  ao.max_message = o.max_message;
  sctp::Association::Events ev;
  ev.on_message = [self](uint16_t stream, uint32_t ppid, std::span<const uint8_t> msg) {
    self->on_sctp_message(stream, ppid, msg);
  };
  ev.on_stream_reset = [self](uint16_t stream) { self->on_stream_reset(stream); };
  auto a = sctp::Association::create(ao, std::move(out), std::move(ev));
  if (!a) return a.error();
  link->assoc_ = std::move(a).value();
  link->clock_ = shared_clock(context);
  return link;
}

DataLink::~DataLink() = default;

void DataLink::on_sctp_message(uint16_t stream, uint32_t ppid, std::span<const uint8_t> msg) {
  using Drop = sctp::DataChannels::Drop;
  const sctp::DataChannels::Incoming in = channels_.on_message(stream, ppid, msg);
  switch (in.drop) {
    case Drop::kNone: break;
    case Drop::kDcepMalformed: ++counters_.drop_dcep_malformed; break;
    case Drop::kDcepWrongParity:
    case Drop::kTooManyChannels: ++counters_.drop_channel_refused; break;
    case Drop::kUnknownStream: ++counters_.drop_unknown_stream; break;
    case Drop::kUnknownPpid: ++counters_.drop_unknown_ppid; break;
  }
  if (in.reset_stream) assoc_->reset_stream(stream);
  if (!in.reply.empty()) {
    (void)assoc_->send(stream, static_cast<uint32_t>(sctp::Ppid::kDcep), in.reply,
                       kDcepReliability);
  }
  if (in.opened != nullptr) {
    ++counters_.channels_opened;
    logger(LogComponent::kSession)
        .debug("data channel '{}' opened on stream {}", in.opened->label, stream);
    // After the DCEP ACK: what the owner sends now follows it on the stream.
    if (on_open_) on_open_(*in.opened);
  }
  if (in.channel != nullptr) {
    ++counters_.messages_in;
    counters_.bytes_in += in.payload.size();
    if (on_message_) on_message_(*in.channel, in.binary, in.payload);
  }
}

void DataLink::on_stream_reset(uint16_t stream) {
  // The peer closed its side: the channel is gone, and ours closes too
  // (RFC 8831 §6.7).
  if (channels_.on_stream_reset(stream)) {
    ++counters_.channels_closed;
    assoc_->reset_stream(stream);
  }
}

sctp::SendResult DataLink::send(const std::string& label, bool binary,
                                std::span<const uint8_t> msg) {
  const sctp::Channel* c = channels_.find(label);
  if (c == nullptr) {
    ++counters_.send_no_channel;
    return sctp::SendResult::kNotConnected;
  }
  const auto ppid = static_cast<uint32_t>(binary ? sctp::Ppid::kBinary : sctp::Ppid::kString);
  const sctp::SendResult r = assoc_->send(c->stream, ppid, msg, c->reliability);
  switch (r) {
    case sctp::SendResult::kSent:
      ++counters_.messages_out;
      counters_.bytes_out += msg.size();
      break;
    case sctp::SendResult::kBufferFull: ++counters_.send_buffer_full; break;
    case sctp::SendResult::kNotConnected: ++counters_.send_no_channel; break;
    case sctp::SendResult::kHeld:  // not the association's
    case sctp::SendResult::kTooLarge:
    case sctp::SendResult::kFailed: ++counters_.send_failed; break;
  }
  return r;
}

}  // namespace edgesfu::sp::session
