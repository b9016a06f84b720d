#include "tools/loadgen/media_lcore.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>

#include "dataplane/pkt/byte_order.hpp"
#include "dataplane/pkt/demux.hpp"
#include "dataplane/pkt/rtp.hpp"
#include "tools/loadgen/marker.hpp"
#include "tools/loadgen/peer.hpp"
#include "tools/loadgen/rtp_build.hpp"

namespace edgesfu::loadgen {

namespace {

constexpr std::size_t kHdr = dp::pkt::HeaderTemplate::kV4Len;
constexpr uint32_t kUnknownPublisher = 0xffffffffu;

uint32_t clock_rate_of(const LcoreSession& s, uint8_t pt) {
  for (const auto& [p, r] : s.spec.clock_rates) {
    if (p == pt) return r;
  }
  return 0;
}

}  // namespace

MediaLcore::MediaLcore(const LcoreParams& p) : p_(p), by_port_(65536, -1) {
  rate_.store(std::max<uint32_t>(1, p.packet_rate), std::memory_order_relaxed);
  sessions_.reserve(4096);
  macs_.reserve(16);
}

MediaLcore::~MediaLcore() {
  // Commands the lcore never took (it stopped first).
  void* obj = nullptr;
  while (p_.commands != nullptr && rte_ring_dequeue(p_.commands, &obj) == 0) {
    auto* cmd = static_cast<LcoreCommand*>(obj);
    delete cmd->install;
    delete cmd;
  }
}

int MediaLcore::main(void* self) { return static_cast<MediaLcore*>(self)->run(); }

int MediaLcore::run() {
  if (!p_.engine->prepare_thread()) return -1;
  uint64_t t0 = rte_rdtsc();
  unsigned idle_loops = 0;
  while (!stop_.load(std::memory_order_acquire)) {
    const uint64_t now = now_ns();
    if (const uint32_t r = rate_.load(std::memory_order_relaxed); r != cur_rate_) {
      // A new rate starts now, with no burst to catch up.
      cur_rate_ = r;
      audio_gap_ns_ = 1'000'000'000ull / std::max<uint32_t>(1, r);
      video_gap_ns_ = audio_gap_ns_ * 50 / 30;  // 30 frames/s at the default 50
      for (LcoreSession* s : publishers_) {
        for (auto& t : s->tracks) {
          t.next_ns = now + (t.t.ssrc % 1024) * (t.t.video ? video_gap_ns_ : audio_gap_ns_) / 1024;
        }
      }
    }
    const uint64_t before = work();
    take_commands();
    if (report_req_.load(std::memory_order_acquire) != report_done_.load(std::memory_order_relaxed))
      answer_report();
    for (uint16_t q = 0; q < p_.queues; ++q) receive(q, now);
    forward_kernel();
    send_due(now);
    const uint64_t t1 = rte_rdtsc();
    c_.cycles += t1 - t0;
    if (work() != before) {
      c_.busy_cycles += t1 - t0;
      idle_loops = 0;
    } else if (p_.idle_sleep_us != 0 && ++idle_loops >= 64) {
      rte_delay_us_sleep(p_.idle_sleep_us);  // the first packet after it waits that long
      const uint64_t t2 = rte_rdtsc();
      c_.cycles += t2 - t1;  // idle
      t0 = t2;
      continue;
    }
    t0 = t1;
  }
  // A report asked for while stopping is still answered.
  if (report_req_.load(std::memory_order_acquire) != report_done_.load(std::memory_order_relaxed))
    answer_report();
  return 0;
}

void MediaLcore::take_commands() {
  void* objs[16];
  const unsigned n = rte_ring_dequeue_burst(p_.commands, objs, 16, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    std::unique_ptr<LcoreCommand> cmd(static_cast<LcoreCommand*>(objs[i]));
    if (cmd->kind == LcoreCommand::Kind::kInstall) {
      std::unique_ptr<LcoreSession> s(cmd->install);
      cmd->install = nullptr;
      const uint64_t now = now_ns();
      // Spread publishers' packets over one gap so they do not all leave at once.
      for (auto& t : s->tracks) {
        t.next_ns = now + (t.t.ssrc % 1024) * (t.t.video ? video_gap_ns_ : audio_gap_ns_) / 1024;
      }
      ready_path(*s);
      s->queue = queue_of(s->spec.local_port, s->spec.remote_port, p_.queues);
      if (s->spec.publisher) publishers_.push_back(s.get());
      by_port_[s->spec.local_port] = static_cast<int32_t>(sessions_.size());
      sessions_.push_back(std::move(s));
      continue;
    }
    for (std::size_t k = 0; k < sessions_.size(); ++k) {
      LcoreSession& s = *sessions_[k];
      if (s.spec.session != cmd->session || !s.active) continue;
      s.active = false;
      if (by_port_[s.spec.local_port] == static_cast<int32_t>(k)) by_port_[s.spec.local_port] = -1;
      std::erase(publishers_, &s);
    }
  }
}

void MediaLcore::learn(const dp::pkt::IpAddr& ip, const dp::pkt::Mac& mac) {
  for (auto& l : macs_) {
    if (l.ip == ip) {
      l.mac = mac;
      return;
    }
  }
  if (macs_.size() < macs_.capacity()) macs_.push_back({ip, mac});
}

bool MediaLcore::ready_path(LcoreSession& s) {
  if (s.path_ready) return true;
  for (const auto& l : macs_) {
    if (!(l.ip == s.spec.remote)) continue;
    s.path.src_mac = p_.our_mac;
    s.path.dst_mac = l.mac;
    s.path.src = s.spec.local;
    s.path.dst = s.spec.remote;
    s.path.src_port = s.spec.local_port;
    s.path.dst_port = s.spec.remote_port;
    s.tpl.build(s.path);
    s.path_ready = true;
    return true;
  }
  return false;
}

LcoreStream& MediaLcore::stream_for(LcoreSession& s, uint32_t ssrc, bool verified) {
  if (s.last_stream < s.streams.size() && s.streams[s.last_stream].ssrc == ssrc)
    return s.streams[s.last_stream];
  for (std::size_t i = 0; i < s.streams.size(); ++i) {
    if (s.streams[i].ssrc == ssrc) {
      s.last_stream = i;
      return s.streams[i];
    }
  }
  s.streams.push_back({});
  s.last_stream = s.streams.size() - 1;
  LcoreStream& st = s.streams.back();
  st.ssrc = ssrc;
  st.verified = verified;
  if (!verified) st.st.set_publisher(kUnknownPublisher);
  return st;
}

void MediaLcore::receive(uint16_t queue, uint64_t now) {
  rte_mbuf* rx[kBurst];
  const uint16_t n = rte_eth_rx_burst(p_.wire_port, queue, rx, kBurst);
  if (n == 0) return;
  rte_mbuf* kernel[kBurst];
  rte_mbuf* done[kBurst];
  dp::srtp::Op ops[kBurst];
  RxMeta meta[kBurst];
  uint16_t nk = 0, nd = 0, no = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = rx[i];
    if (m->nb_segs != 1) {
      kernel[nk++] = m;
      continue;
    }
    uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
    dp::pkt::UdpFrame f;
    if (dp::pkt::parse_udp_frame({frame, m->data_len}, f) != dp::pkt::FrameKind::kUdp ||
        f.src.family != 4) {
      kernel[nk++] = m;
      continue;
    }
    const int32_t idx = by_port_[f.dst_port];
    LcoreSession* s = idx >= 0 ? sessions_[static_cast<std::size_t>(idx)].get() : nullptr;
    if (s == nullptr || !(f.src == s->spec.remote) || f.src_port != s->spec.remote_port) {
      learn(f.src, f.src_mac);
      kernel[nk++] = m;
      continue;
    }
    uint8_t* payload = frame + f.payload_offset;
    const std::span<const uint8_t> pl{payload, f.payload_len};
    switch (dp::pkt::classify_udp_payload(pl)) {
      case dp::pkt::UdpClass::kRtp:
        if (s->spec.publisher) {
          ++c_.bad_packets;  // an SFU sends a publisher no RTP
          done[nd++] = m;
        } else if (s->spec.verify) {
          ops[no] = {payload, f.payload_len, f.payload_len, s->rx, dp::srtp::Status::kError};
          meta[no++] = {m, s};
        } else {
          count_unverified(*s, payload, f.payload_len, now);
          done[nd++] = m;
        }
        break;
      case dp::pkt::UdpClass::kRtcp:
        ++c_.rtcp_pkts;
        done[nd++] = m;
        break;
      default: kernel[nk++] = m;  // STUN (consent), DTLS: the kernel's
    }
  }
  if (no > 0) {
    p_.engine->unprotect_rtp({ops, no});
    for (uint16_t i = 0; i < no; ++i) {
      if (ops[i].status == dp::srtp::Status::kOk) {
        on_verified(*meta[i].s, ops[i].data, ops[i].len, now);
      } else {
        ++c_.srtp_errors;
      }
      done[nd++] = meta[i].m;
    }
  }
  if (nd > 0) rte_pktmbuf_free_bulk(done, nd);
  if (nk > 0) {
    const uint16_t sent = rte_eth_tx_burst(p_.tap_port, 0, kernel, nk);
    c_.to_kernel += sent;
    if (sent < nk) {
      c_.kernel_drops += nk - sent;
      rte_pktmbuf_free_bulk(kernel + sent, nk - sent);
    }
  }
}

void MediaLcore::count_unverified(LcoreSession& s, const uint8_t* rtp, std::size_t len,
                                  uint64_t now) {
  if (len < kRtpHeader) {
    ++c_.bad_packets;
    return;
  }
  const uint16_t seq = dp::pkt::load_be16(rtp + 2);
  const uint32_t ts = dp::pkt::load_be32(rtp + 4);
  LcoreStream& st = stream_for(s, dp::pkt::load_be32(rtp + 8), false);
  const uint32_t ext = st.seq.extend(seq);
  st.st.on_packet(ext, ts, clock_rate_of(s, rtp[1] & 0x7f), now);
  if (s.first_rx_ns == 0) s.first_rx_ns = now;
  ++c_.recv_pkts;
  c_.recv_bytes += len;
}

void MediaLcore::on_verified(LcoreSession& s, const uint8_t* rtp, std::size_t len, uint64_t now) {
  dp::pkt::RtpHeader h;
  if (dp::pkt::parse_rtp({rtp, len}, h) != dp::pkt::RtpError::kOk) {
    ++c_.bad_packets;
    return;
  }
  const auto mk = read_marker({rtp + h.header_len, h.payload_len});
  if (!mk) {
    ++c_.bad_packets;
    return;
  }
  const uint64_t lat = now > mk->send_ns ? now - mk->send_ns : 0;
  latency_.record(lat);
  latency_interval_.record(lat);
  LcoreStream& st = stream_for(s, h.ssrc, true);
  st.st.set_publisher(mk->publisher);
  st.st.on_packet(mk->number, h.timestamp, clock_rate_of(s, h.payload_type), now);
  if (s.first_rx_ns == 0) s.first_rx_ns = now;
  ++c_.recv_pkts;
  ++c_.verified_pkts;
  c_.recv_bytes += len;
}

void MediaLcore::forward_kernel() {
  rte_mbuf* pkts[kBurst];
  const uint16_t n = rte_eth_rx_burst(p_.tap_port, 0, pkts, kBurst);
  if (n == 0) return;
  const uint16_t sent = rte_eth_tx_burst(p_.wire_port, 0, pkts, n);
  c_.from_kernel += sent;
  if (sent < n) {
    c_.kernel_drops += n - sent;
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  }
}

void MediaLcore::send_due(uint64_t now) {
  rte_mbuf* mbufs[kBurst];
  dp::srtp::Op ops[kBurst];
  LcoreSession* owner[kBurst];
  uint16_t n = 0;
  auto flush = [&] {
    if (n == 0) return;
    p_.engine->protect_rtp({ops, n});
    for (uint16_t i = 0; i < n; ++i) {
      if (ops[i].status != dp::srtp::Status::kOk) {
        ++c_.send_errors;
        rte_pktmbuf_free(mbufs[i]);
        mbufs[i] = nullptr;
        continue;
      }
      uint8_t* frame = rte_pktmbuf_mtod(mbufs[i], uint8_t*);
      owner[i]->tpl.write(frame, owner[i]->path, static_cast<uint16_t>(ops[i].len));
      mbufs[i]->data_len = static_cast<uint16_t>(kHdr + ops[i].len);
      mbufs[i]->pkt_len = mbufs[i]->data_len;
    }
    // Each queue's share of the burst, in order.
    for (uint16_t q = 0; q < p_.queues; ++q) {
      rte_mbuf* tx[kBurst];
      uint16_t nt = 0;
      for (uint16_t i = 0; i < n; ++i) {
        if (mbufs[i] != nullptr && owner[i]->queue == q) tx[nt++] = mbufs[i];
      }
      if (nt == 0) continue;
      const uint16_t sent = rte_eth_tx_burst(p_.wire_port, q, tx, nt);
      for (uint16_t i = 0; i < sent; ++i) c_.sent_bytes += tx[i]->pkt_len;
      c_.sent_pkts += sent;
      if (sent < nt) {
        c_.wire_drops += nt - sent;
        rte_pktmbuf_free_bulk(tx + sent, nt - sent);
      }
    }
    n = 0;
  };
  // Appends one packet of `t` to the burst: RTP header, payload, marker.
  // `video`: the packet's index in its frame, or -1 for audio.
  auto add = [&](LcoreSession& s, LcoreTrack& t, int video, uint32_t ts) {
    rte_mbuf* m = rte_pktmbuf_alloc(p_.pool);
    if (m == nullptr) {
      ++c_.send_errors;
      return;
    }
    uint8_t* rtp = rte_pktmbuf_mtod(m, uint8_t*) + kHdr;
    const std::size_t room = rte_pktmbuf_tailroom(m) - kHdr;
    const auto vi = static_cast<std::size_t>(video);
    const bool last_of_frame = video >= 0 && vi + 1 == s.video_sizes.size();
    write_rtp_header(rtp, last_of_frame, t.t.pt, t.t.seq++, ts, t.t.ssrc);
    std::size_t len = 0;
    if (video < 0) {
      const auto f = p_.opus->frame(t.frame + s.spec.publisher_id * 37);
      std::memcpy(rtp + kRtpHeader, f.data(), f.size());
      const int w = opus_with_marker({rtp + kRtpHeader, room - kRtpHeader - dp::srtp::kMaxTrailer},
                                     static_cast<int>(f.size()),
                                     Marker{s.spec.publisher_id, t.number++, now});
      if (w < 0) {
        ++c_.send_errors;
        rte_pktmbuf_free(m);
        return;
      }
      len = kRtpHeader + static_cast<std::size_t>(w);
    } else {
      const std::size_t sz = std::min(std::max(s.video_sizes[vi], kMarkerSize + kRtpHeader),
                                      room - kRtpHeader - dp::srtp::kMaxTrailer);
      vp8_payload({rtp + kRtpHeader, sz}, vi == 0, (t.frame % 60) == 0,
                  static_cast<uint32_t>(t.frame));
      write_marker({rtp + kRtpHeader, sz}, Marker{s.spec.publisher_id, t.number++, now});
      len = kRtpHeader + sz;
    }
    ops[n] = {rtp, static_cast<uint32_t>(len), static_cast<uint32_t>(room), t.tx,
              dp::srtp::Status::kError};
    mbufs[n] = m;
    owner[n] = &s;
    if (++n == kBurst) flush();
  };
  for (LcoreSession* sp : publishers_) {
    LcoreSession& s = *sp;
    if (!ready_path(s)) continue;
    for (auto& t : s.tracks) {
      const uint64_t gap = t.t.video ? video_gap_ns_ : audio_gap_ns_;
      // Catch up after a stall, but by no more than 5 packets' (frames') time.
      if (now > t.next_ns + 5 * gap) t.next_ns = now;
      while (now >= t.next_ns) {
        if (t.t.video) {
          const auto ts = t.t.ts0 + static_cast<uint32_t>(t.frame * 3000);  // 90 kHz / 30
          for (std::size_t i = 0; i < s.video_sizes.size(); ++i) add(s, t, static_cast<int>(i), ts);
        } else {
          add(s, t, -1, t.t.ts0 + static_cast<uint32_t>(t.frame * OpusLoop::kSamplesPerFrame));
        }
        ++t.frame;
        t.next_ns += gap;
      }
    }
  }
  flush();
}

void MediaLcore::answer_report() {
  const uint64_t seq = report_req_.load(std::memory_order_acquire);
  MediaReport& r = report_;
  r.c = c_;
  r.expected = r.unique = r.duplicates = r.streams = 0;
  r.jitter_sum_ms = 0;
  r.first_media.clear();
  r.detail.clear();
  for (auto& sp : sessions_) {
    LcoreSession& s = *sp;
    if (!s.active) continue;
    if (s.first_rx_ns != 0 && !s.first_reported) {
      s.first_reported = true;
      r.first_media.emplace_back(s.spec.session, s.first_rx_ns);
    }
    for (const auto& st : s.streams) {
      r.expected += st.st.expected();
      r.unique += st.st.unique();
      r.duplicates += st.st.duplicates();
      r.jitter_sum_ms += st.st.jitter_ms();
      ++r.streams;
      if (want_full_) r.detail.push_back({s.spec.session, st.ssrc, st.verified, st.st});
    }
  }
  r.latency_interval = latency_interval_;
  latency_interval_.clear();
  if (want_clear_) latency_.clear();
  r.latency = latency_;
  report_done_.store(seq, std::memory_order_release);
}

const MediaReport* MediaLcore::report(bool full, bool clear_total) {
  want_full_ = full;
  want_clear_ = clear_total;
  const uint64_t seq = report_req_.load(std::memory_order_relaxed) + 1;
  report_req_.store(seq, std::memory_order_release);
  const uint64_t deadline = now_ns() + 2'000'000'000ull;
  while (report_done_.load(std::memory_order_acquire) != seq) {
    if (now_ns() > deadline) return nullptr;
    rte_delay_us_sleep(20);
  }
  return &report_;
}

}  // namespace edgesfu::loadgen
