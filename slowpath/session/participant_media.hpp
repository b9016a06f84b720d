// The media side of one participant (DESIGN.md §4): one ICE+DTLS transport
// whose m-lines, published tracks and subscriptions change while it lives.
// Every negotiation, whoever offers, goes through here:
//
//   * answer_offer(): a remote offer, the first or any later one, answered
//     against the current state (JSEP, RFC 8829 §5.3): m-lines added, kept,
//     rejected, recycled (a new mid on an m-line rejected before), direction
//     changes; what the participant sends becomes publications, what it can
//     receive is filled from the tracks the room says it should get.
//   * create_offer() / apply_answer(): the server's own offer (a subscriber
//     connection, a new track for a live participant): tracks no longer wanted
//     leave their m-lines, new ones take an inactive m-line of their kind, a
//     rejected one (recycled), or a new one.
//
// The result of each step is a set of changes (tracks published or gone,
// subscriptions added or removed) that the session applies to the room and
// the dataplane; the transport is never touched. Pure: no sockets, no clock,
// no dataplane; unit-tested with sequences of offers and answers. Slow path.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "slowpath/sdp/negotiate.hpp"

namespace edgesfu::sp::session {

// A track in the room that this participant may receive.
struct SourceTrack {
  std::string sid;     // the room's track id (TR_...)
  std::string stream;  // the msid stream the receiver sees (the publisher's PA_... id)
  sdp::PublishedTrack desc;
};

// A track this participant publishes, on the m-line `mid`.
struct Publication {
  std::string mid;
  sdp::PublishedTrack track;
};

// A room track this participant receives, on the m-line `mid`: the downtrack's
// parameters (our SSRCs toward it, payload type and extension ID maps).
struct Subscription {
  std::string mid;
  std::string source;  // SourceTrack::sid
  sdp::SubscribedTrack track;
};

// What one negotiation step changed.
struct Changes {
  std::vector<Publication> published, unpublished;
  std::vector<Subscription> subscribed, unsubscribed;
  // Why m-lines the participant wanted to use were refused (codec we cannot
  // forward, ...), for the front door's error when nothing was usable.
  std::vector<std::string> refused;
  // Our offer was waiting when the remote offer came (glare): the server is
  // the polite side (RFC 8829 §4.1.8.2 rollback) and its offer is dropped.
  bool rolled_back = false;
  // The data section (m=application, SCTP) was accepted for the first time,
  // or is gone (rejected by a later offer or answer).
  bool data_opened = false;
  bool data_closed = false;
  bool empty() const {
    return published.empty() && unpublished.empty() && subscribed.empty() && unsubscribed.empty();
  }
};

// One m-line of the connection, as last negotiated.
struct MLine {
  std::string mid;
  std::string kind;                              // audio, video, application (data)
  bool rejected = false;                         // port 0: its index may be recycled with a new mid
  std::optional<sdp::PublishedTrack> published;  // what the participant sends on it
  std::optional<Subscription> sending;           // what we send on it
  // The track of ours it carries or last carried (a room track sid; empty:
  // none yet). Another track may take it only once an answer has sent
  // nothing on it (`quiet`): libwebrtc reports a new remote track on an
  // m-line only when our side goes from not sending to sending (JSEP's
  // fired direction); a new msid on a live m-line goes unnoticed. So an
  // m-line is reused as LiveKit reuses transceivers, and a participant's
  // SDP does not grow by one m-line for every track that came and went.
  std::string carried;
  bool quiet = false;  // the last answer sent nothing of ours on it
};

class ParticipantMedia {
 public:
  // `ssrcs` hands out our SSRCs toward this participant (random, non-zero).
  explicit ParticipantMedia(std::function<uint32_t()> ssrcs) : ssrcs_(std::move(ssrcs)) {}

  // Whether an offered data section (m=application, SCTP data channels) is
  // accepted, advertising `max_message` bytes as the largest message we take;
  // 0 (the default): data sections are answered rejected. One per connection.
  void accept_data_channels(uint64_t max_message) { data_max_message_ = max_message; }

  // Answers `offer`; `wanted` are the tracks the room says this participant
  // should receive, in order of preference (each lands on at most one m-line
  // that can receive it). On error nothing changes.
  Result<sdp::Session> answer_offer(const sdp::Session& offer, const sdp::LocalTransport& local,
                                    const std::vector<SourceTrack>& wanted, Changes& changes);

  // The server's offer: `wanted` on m-lines (existing, reused or new); what
  // is no longer wanted is in `changes.unsubscribed` at once (we stop sending
  // it now), what is new becomes a subscription when the answer accepts it.
  // Error (kConflict) while an offer of ours waits for its answer.
  Result<sdp::Session> create_offer(const sdp::LocalTransport& local,
                                    const std::vector<SourceTrack>& wanted, Changes& changes);
  // The participant's answer to our pending offer.
  Status apply_answer(const sdp::Session& answer, Changes& changes);

  bool offer_pending() const { return pending_.has_value(); }
  const std::vector<MLine>& mlines() const { return mlines_; }
  std::vector<Publication> publications() const;
  std::vector<Subscription> subscriptions() const;
  // The accepted data section, as the participant described it.
  const std::optional<sdp::DataSection>& data() const { return data_; }

 private:
  // The connection's numbering: inside one BUNDLE an extension ID means one
  // URI (RFC 8285 §6) and a payload type one codec (RFC 8843 §9.1), whoever
  // chose them. Learned from the participant's offers and answers, extended
  // by ours (and then committed only when the answer comes).
  struct Numbering {
    std::map<std::string, uint8_t> ext_ids;  // URI -> ID
    std::map<std::string, uint8_t> pts;      // codec key -> payload type
    void learn(const sdp::Session& s);
    uint8_t ext_id(const std::string& uri);  // 0 when all 14 are taken
    // The payload type for `c` on this connection (`wish` if free), or -1.
    int pt(const std::string& key, int wish);
  };
  std::string new_mid(const std::vector<MLine>& in_use);
  sdp::Media offer_media(const MLine& ml, const sdp::LocalTransport& local,
                         const std::vector<SourceTrack>& wanted, Numbering& numbering) const;

  std::function<uint32_t()> ssrcs_;
  std::vector<MLine> mlines_;
  Numbering numbering_;
  // Our offer until its answer: its m-lines and its numbering.
  std::optional<std::vector<MLine>> pending_;
  Numbering pending_numbering_;
  uint32_t next_mid_ = 0;
  uint64_t data_max_message_ = 0;
  std::optional<sdp::DataSection> data_;
};

}  // namespace edgesfu::sp::session
