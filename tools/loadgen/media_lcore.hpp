// The media lcore of `loadgen --dpdk`: every session's RTP and RTCP on one
// DPDK port, run to completion. Each loop it
//  - receives a burst from each queue of the wire port (net_memif here): the
//    media of installed sessions is unprotected in a burst with the
//    project's SRTP engine, its marker read and counted as the kernel-socket
//    mode counts it (stats.hpp); a subscriber that is not verified has its
//    packets counted by their RTP sequence numbers instead. Everything else
//    (ARP, ICE, DTLS, TCP, media of sessions not installed yet) goes to the
//    TAP, where the kernel and the slow path's sockets are;
//  - forwards what the kernel sent on the TAP to the wire;
//  - builds the publishers' packets that are due, protects them in a burst
//    and sends them, each session's on its queue (queue_of, media_path.hpp).
// The GLib thread talks to it through a ring of commands (install, remove)
// and a report handshake (two atomics); nothing else is shared.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/pkt/net.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "tools/loadgen/media_path.hpp"
#include "tools/loadgen/media_source.hpp"
#include "tools/loadgen/stats.hpp"

namespace edgesfu::loadgen {

struct MediaCounters {
  uint64_t sent_pkts = 0, sent_bytes = 0;
  uint64_t send_errors = 0;  // protect refused, or no mbuf
  uint64_t wire_drops = 0;   // the wire port's TX queue was full (offered load not sent)
  uint64_t recv_pkts = 0, recv_bytes = 0;  // subscribers' RTP: verified and counted
  uint64_t verified_pkts = 0;              // of those, decrypted and marker read
  uint64_t rtcp_pkts = 0;                  // SRTCP from the SFU (counted, not decrypted)
  uint64_t srtp_errors = 0, bad_packets = 0;
  uint64_t to_kernel = 0, from_kernel = 0, kernel_drops = 0;
  uint64_t cycles = 0, busy_cycles = 0;  // TSC: the loop's, and of the loops that did work
};

struct ReportStream {
  uint64_t session = 0;
  uint32_t ssrc = 0;
  bool verified = false;
  StreamReceive st;
};

struct MediaReport {
  MediaCounters c;
  // Over the streams of sessions still installed.
  uint64_t expected = 0, unique = 0, duplicates = 0, streams = 0;
  double jitter_sum_ms = 0;
  LatencyHistogram latency;           // since the last clear_total
  LatencyHistogram latency_interval;  // since the previous report
  // Sessions whose first media arrived since the previous report: id, when.
  std::vector<std::pair<uint64_t, uint64_t>> first_media;
  std::vector<ReportStream> detail;  // full reports only
};

// Built on the GLib thread (it allocates), adopted by the lcore.
struct LcoreTrack {
  dp::srtp::Session* tx = nullptr;
  TrackSpec t;
  uint32_t number = 0;  // marker packet number
  uint64_t next_ns = 0, frame = 0;
};

struct LcoreStream {
  uint32_t ssrc = 0;
  SeqExtender seq;  // streams not verified
  bool verified = false;
  StreamReceive st;
};

struct LcoreSession {
  MediaSpec spec;
  dp::srtp::Session* rx = nullptr;
  std::vector<LcoreTrack> tracks;
  std::vector<std::size_t> video_sizes;  // payload sizes of one video frame
  std::vector<LcoreStream> streams;
  std::size_t last_stream = 0;
  bool active = true;
  bool path_ready = false;
  uint16_t queue = 0;  // the wire queue it sends on
  dp::pkt::UdpPath path;
  dp::pkt::HeaderTemplate tpl;
  uint64_t first_rx_ns = 0;
  bool first_reported = false;
};

struct LcoreCommand {
  enum class Kind : uint8_t { kInstall, kRemove } kind = Kind::kInstall;
  uint64_t session = 0;
  LcoreSession* install = nullptr;  // owned by the command until adopted
};

struct LcoreParams {
  uint16_t wire_port = 0, tap_port = 0;
  uint16_t queues = 1;         // the wire port's queue pairs
  uint32_t idle_sleep_us = 0;  // after 64 loops without work; 0: busy-poll
  rte_mempool* pool = nullptr;
  rte_ring* commands = nullptr;
  dp::srtp::Engine* engine = nullptr;
  const OpusLoop* opus = nullptr;
  uint32_t packet_rate = 50;  // audio packets a second per publisher, until set_packet_rate
  dp::pkt::Mac our_mac{};
};

class MediaLcore {
 public:
  explicit MediaLcore(const LcoreParams& p);
  ~MediaLcore();
  MediaLcore(const MediaLcore&) = delete;
  MediaLcore& operator=(const MediaLcore&) = delete;

  // The lcore's loop, until stop(). rte_eal_remote_launch's shape.
  static int main(void* self);
  void stop() { stop_.store(true, std::memory_order_release); }
  // Any thread: publishers' audio packets a second from now on; video frames
  // a second scale with it (30 at the default 50).
  void set_packet_rate(uint32_t r) { rate_.store(r, std::memory_order_relaxed); }

  // GLib thread: asks for a report and waits for it (the lcore answers
  // within one loop). nullptr after 2 s without an answer.
  const MediaReport* report(bool full, bool clear_total);

 private:
  static constexpr uint16_t kBurst = 64;
  struct RxMeta {
    rte_mbuf* m;
    LcoreSession* s;
  };

  int run();
  void take_commands();
  void answer_report();
  void receive(uint16_t queue, uint64_t now);
  void count_unverified(LcoreSession& s, const uint8_t* rtp, std::size_t len, uint64_t now);
  void on_verified(LcoreSession& s, const uint8_t* rtp, std::size_t len, uint64_t now);
  void forward_kernel();
  void send_due(uint64_t now);
  bool ready_path(LcoreSession& s);
  void learn(const dp::pkt::IpAddr& ip, const dp::pkt::Mac& mac);
  // Packets the loop moved or counted so far: a loop that changed it did work.
  uint64_t work() const {
    return c_.recv_pkts + c_.rtcp_pkts + c_.to_kernel + c_.from_kernel + c_.sent_pkts +
           c_.srtp_errors + c_.bad_packets;
  }
  LcoreStream& stream_for(LcoreSession& s, uint32_t ssrc, bool verified);
  rte_mbuf* build_audio(LcoreSession& s, LcoreTrack& t, uint64_t now, uint8_t*& rtp, uint32_t& len);

  LcoreParams p_;
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> rate_{50};
  uint32_t cur_rate_ = 0;
  // The report handshake: the GLib thread writes want_full_/want_clear_, then
  // report_req_; the lcore answers and stores report_done_ = report_req_.
  std::atomic<uint64_t> report_req_{0}, report_done_{0};
  bool want_full_ = false, want_clear_ = false;
  MediaReport report_;

  MediaCounters c_;
  LatencyHistogram latency_, latency_interval_;
  std::vector<std::unique_ptr<LcoreSession>> sessions_;
  std::vector<LcoreSession*> publishers_;  // the active ones, which send_due walks
  std::vector<int32_t> by_port_;           // local UDP port -> index in sessions_, -1
  struct Learned {
    dp::pkt::IpAddr ip;
    dp::pkt::Mac mac;
  };
  std::vector<Learned> macs_;
  uint64_t audio_gap_ns_ = 20'000'000;
  uint64_t video_gap_ns_ = 33'333'333;  // frames; the rate scales it as it scales audio
};

}  // namespace edgesfu::loadgen
