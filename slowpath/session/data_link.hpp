// The data channels of one participant (RFC 8831): an SCTP association over
// its DTLS transport and the table of its channels. Channels the participant
// opens are adopted by label (DCEP, acknowledged); messages arrive whole,
// with their channel; messages go out on a channel named by label, with its
// reliability. A bounded send buffer: what does not fit is refused and
// counted, never queued without end. Slow-path thread only.
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "base/result.hpp"
#include "slowpath/sctp/association.hpp"
#include "slowpath/sctp/data_channels.hpp"

namespace edgesfu::sp::session {

struct DataLinkOptions {
  uint16_t remote_port = 5000;  // the peer's a=sctp-port
  bool dtls_server = true;      // our DTLS role: our channels take odd streams
  uint32_t send_buffer = 1024 * 1024;
  uint32_t max_message = 65536;  // what we advertise (a=max-message-size)
  std::size_t max_channels = 16;
};

class DataLink {
 public:
  using OutputFn = sctp::Association::OutputFn;
  using MessageFn =
      std::function<void(const sctp::Channel& c, bool binary, std::span<const uint8_t> msg)>;
  using OpenFn = std::function<void(const sctp::Channel& c)>;
  struct Counters {
    uint64_t messages_in = 0, bytes_in = 0, messages_out = 0, bytes_out = 0;
    uint64_t channels_opened = 0, channels_closed = 0;
    // Dropped on the way in, by reason.
    uint64_t drop_dcep_malformed = 0, drop_channel_refused = 0, drop_unknown_stream = 0,
             drop_unknown_ppid = 0, drop_too_large = 0;
    // Refused on the way out, by reason.
    uint64_t send_buffer_full = 0, send_no_channel = 0, send_failed = 0;
  };

  // `out` carries SCTP packets to the peer (DTLS application data) and must
  // outlive the link; `context`: where usrsctp's timers run; `on_open`: a
  // channel the peer opened is ready for send().
  static Result<std::unique_ptr<DataLink>> create(const DataLinkOptions& o, GMainContext* context,
                                                  OutputFn out, MessageFn on_message,
                                                  OpenFn on_open);
  ~DataLink();
  DataLink(const DataLink&) = delete;
  DataLink& operator=(const DataLink&) = delete;

  // One SCTP packet from the peer.
  void input(std::span<const uint8_t> packet) { assoc_->input(packet); }
  // One message on the channel labelled `label` (the first such, if several).
  sctp::SendResult send(const std::string& label, bool binary, std::span<const uint8_t> msg);

  bool up() const { return assoc_->up(); }
  sctp::Association::Status status() const { return assoc_->status(); }
  const Counters& counters() const { return counters_; }
  const sctp::DataChannels& channels() const { return channels_; }

 private:
  DataLink(const DataLinkOptions& o, MessageFn on_message, OpenFn on_open);
  void on_sctp_message(uint16_t stream, uint32_t ppid, std::span<const uint8_t> msg);
  void on_stream_reset(uint16_t stream);

  MessageFn on_message_;
  OpenFn on_open_;
  sctp::DataChannels channels_;
  std::unique_ptr<sctp::Association> assoc_;
  std::shared_ptr<void> clock_;  // usrsctp's timers, while any link lives
  Counters counters_;
};

}  // namespace edgesfu::sp::session
