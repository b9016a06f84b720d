// One WebRTC session of the load client, as a browser would run it: a full
// ICE agent (libnice; controlling when it made the offer), DTLS-SRTP
// (OpenSSL; client or server as the SDP's a=setup says), SRTP and SRTCP with
// libsrtp2. A publisher sends Opus (and optionally VP8-sized video) with the
// send-time marker; a subscriber receives, checks and measures every packet.
// Everything runs on one GMainContext; the owner calls tick() every few ms.
#pragma once

#include <glib.h>
#include <srtp2/srtp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "slowpath/dtls/dtls.hpp"
#include "slowpath/ice/ice_agent.hpp"
#include "slowpath/sdp/sdp.hpp"
#include "tools/loadgen/media_path.hpp"
#include "tools/loadgen/media_source.hpp"
#include "tools/loadgen/splitmix.hpp"
#include "tools/loadgen/stats.hpp"

namespace edgesfu::loadgen {

// Shared by every peer of a run (one thread): what was sent and received.
struct Totals {
  uint64_t sent_pkts = 0, sent_bytes = 0;
  uint64_t recv_pkts = 0, recv_bytes = 0;  // RTP packets that decrypted
  uint64_t rtcp_pkts = 0;                  // SRTCP packets that decrypted
  uint64_t srtp_errors = 0;                // unprotect refused (auth, replay)
  uint64_t bad_packets = 0;                // not RTP, or no marker
  uint64_t send_errors = 0;
  uint64_t garbage_sent = 0;  // --garbage-pps: packets a publisher sent to be dropped
  LatencyHistogram latency, latency_interval;
};

struct PeerParams {
  GMainContext* context = nullptr;
  std::string local_address;
  std::shared_ptr<sp::dtls::Certificate> cert;
  uint32_t publisher_id = 0;  // marker id of a publisher's packets
  const OpusLoop* opus = nullptr;
  int video_kbps = 0;   // publisher: 0 = audio only
  int garbage_pps = 0;  // publisher: garbage packets a second on its own flow (garbage.hpp)
  Totals* totals = nullptr;
  uint64_t seed = 1;  // SSRCs and start offsets
  // --dpdk: once DTLS is done the session's media goes through this path
  // (keys and pair installed there) instead of libsrtp2 and the ICE socket.
  MediaPath* media = nullptr;
  uint64_t session_id = 0;
  bool verify = true;  // a subscriber's packets decrypted and checked there
};

class Peer {
 public:
  static Result<std::unique_ptr<Peer>> create(const PeerParams& p);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Our offer: a publisher's (sendonly audio, and video when video_kbps > 0),
  // or a subscriber's (n_audio then n_video recvonly m-lines, WHEP).
  Result<std::string> publish_offer();
  Result<std::string> subscribe_offer(int n_audio, int n_video);
  // The SFU's answer to our offer.
  Status apply_answer(const std::string& sdp);
  // An SFU's offer (Janus' subscriber offer): we answer recvonly.
  Result<std::string> answer_offer(const std::string& sdp);
  // Candidates the SFU trickled ("candidate:..." lines).
  Status add_remote_candidates(const std::vector<std::string>& lines);

  // DTLS retransmission, the connect deadline, and a publisher's media.
  void tick(uint64_t now_ns);

  bool up() const { return keys_up_; }
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  uint64_t up_ns() const { return up_ns_; }  // when SRTP keys arrived
  uint64_t first_media_ns() const {
    return first_media_ns_;
  }  // first packet in (subscriber) or out
  // Streams the SFU sends us (subscriber): answered m-lines with media.
  int offered_streams() const { return offered_streams_; }
  // The DTLS-SRTP profile negotiated (RFC 5764 name), once up.
  const char* srtp_profile() const { return profile_; }
  const std::vector<std::pair<uint32_t, StreamReceive>>& streams() const { return streams_; }
  // --dpdk: the media path saw the session's first packet.
  void set_first_media(uint64_t ns) {
    if (first_media_ns_ == 0) first_media_ns_ = ns;
  }
  void reset_silence(uint64_t now_ns) {
    for (auto& [ssrc, st] : streams_) st.reset_silence(now_ns);
  }
  uint32_t publisher_id() const { return p_.publisher_id; }

 private:
  struct SendTrack {
    bool video = false;
    std::string mid;
    uint32_t ssrc = 0;
    uint8_t pt = 0;
    uint16_t seq = 0;
    uint32_t ts0 = 0;
    uint32_t number = 0;   // marker packet number
    uint64_t next_ns = 0;  // next frame due
    uint64_t frame = 0;
  };

  Peer() = default;
  Status make_agent(bool controlling);
  void fill_transport(sp::sdp::Session& s, sp::sdp::Media& m, const std::string& setup) const;
  Status start_dtls(const sp::sdp::Session& remote, const std::string& our_setup);
  void on_data(std::span<const uint8_t> d);
  void on_media(std::span<const uint8_t> d, bool rtcp);
  void on_dtls_connected();
  Status install_media(const sp::dtls::SrtpMaterial& mat);
  void fail(const std::string& why);
  void send_audio(SendTrack& t, uint64_t now_ns);
  void send_video(SendTrack& t, uint64_t now_ns);
  void send_rtp(std::span<uint8_t> buf, std::size_t len);
  void send_garbage(uint64_t now_ns);

  PeerParams p_;
  std::unique_ptr<sp::ice::Agent> ice_;
  std::unique_ptr<sp::dtls::Transport> dtls_;
  bool dtls_client_ = false;
  bool dtls_started_ = false;  // a client's ClientHello went out (once)
  Status start_dtls_client();
  srtp_t srtp_tx_ = nullptr, srtp_rx_ = nullptr;
  bool keys_up_ = false;
  bool installed_ = false;  // in p_.media
  std::vector<SendTrack> send_;
  std::vector<std::pair<uint8_t, uint32_t>> clock_rates_;    // PT -> clock rate
  std::vector<std::pair<uint32_t, StreamReceive>> streams_;  // by SSRC
  int offered_streams_ = 0;
  const char* profile_ = "";
  uint64_t created_ns_ = 0, up_ns_ = 0, first_media_ns_ = 0;
  std::string failure_;
  std::string remote_ufrag_, remote_pwd_;
  uint64_t rng_ = 1;
  uint64_t garbage_n_ = 0, next_garbage_ns_ = 0;
  std::vector<uint8_t> last_sent_;  // the last protected RTP packet, for kReplayedRtp
};

uint64_t now_ns();  // CLOCK_MONOTONIC

}  // namespace edgesfu::loadgen
