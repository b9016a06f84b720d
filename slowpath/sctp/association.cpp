#include "slowpath/sctp/association.hpp"

#include <usrsctp.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace edgesfu::sp::sctp {

namespace {

// Path MTU for SCTP inside DTLS inside UDP: what every WebRTC stack uses so
// that a packet never needs IP fragmentation (RFC 8831 §5).
constexpr uint32_t kPathMtu = 1200;
constexpr uint16_t kStreams = 1024;
constexpr std::size_t kRecvChunk = 64 * 1024;

// Associations usrsctp may still name in a callback: a pointer is used only
// while it is in here (usrsctp can send an ABORT from inside usrsctp_close).
std::set<Association*>& live() {
  static std::set<Association*> s;
  return s;
}

int conn_output(void* addr, void* buffer, size_t length, uint8_t /*tos*/, uint8_t /*set_df*/) {
  auto* a = static_cast<Association*>(addr);
  if (live().count(a) == 0) return 0;
  a->output({static_cast<const uint8_t*>(buffer), length});
  return 0;
}

uint64_t& last_tick_ms() {
  static uint64_t t = 0;
  return t;
}

void init_once() {
  static bool done = false;
  if (done) return;
  done = true;
  usrsctp_init_nothreads(0, conn_output, nullptr);
  // No ECN (there is no IP header of ours to carry it), no blackholing of
  // unexpected packets; a dead peer is declared after a bounded time.
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  usrsctp_sysctl_set_sctp_blackhole(2);
  usrsctp_sysctl_set_sctp_init_rto_max_default(10000);
  usrsctp_sysctl_set_sctp_rto_max_default(10000);
  usrsctp_sysctl_set_sctp_assoc_rtx_max_default(10);
  usrsctp_sysctl_set_sctp_path_rtx_max_default(10);
  usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
}

template <typename T>
bool set_opt(struct ::socket* s, int level, int name, const T& v) {
  return usrsctp_setsockopt(s, level, name, &v, sizeof(v)) == 0;
}

sockaddr_conn conn_address(uint16_t port, void* self) {
  sockaddr_conn a{};
  a.sconn_family = AF_CONN;
  a.sconn_port = htons(port);
  a.sconn_addr = self;
  return a;
}

}  // namespace

void Stack::tick(uint64_t now_ms) {
  init_once();
  uint64_t& last = last_tick_ms();
  if (last == 0) last = now_ms;
  if (now_ms > last) {
    usrsctp_handle_timers(static_cast<uint32_t>(now_ms - last));
    last = now_ms;
  }
  // A copy: a delivery may end an association and its owner delete it.
  const std::set<Association*> all = live();
  for (Association* a : all) {
    if (live().count(a) != 0) a->drain();
  }
}

Stack::Stats Stack::stats() {
  init_once();
  sctpstat s{};
  usrsctp_get_stat(&s);
  Stats o;
  o.packets_in = s.sctps_recvpackets;
  o.packets_out = s.sctps_outpackets;
  o.data_chunks_out = s.sctps_senddata;
  o.retransmitted = s.sctps_sendretransdata;
  o.fast_retransmitted = s.sctps_sendfastretrans;
  o.t3_timeouts = s.sctps_timodata;
  o.marked_for_retransmission = s.sctps_markedretrans;
  o.heartbeat_timeouts = s.sctps_timoheartbeat;
  o.sack_timeouts = s.sctps_timosack;
  o.duplicate_data_in = s.sctps_recvdupdata;
  o.window_probes = s.sctps_windowprobed;
  return o;
}

Result<std::unique_ptr<Association>> Association::create(const AssociationOptions& o, OutputFn out,
                                                         Events events) {
  init_once();
  std::unique_ptr<Association> a(new Association());
  a->opt_ = o;
  a->out_ = std::move(out);
  a->events_ = std::move(events);
  a->recv_buf_.resize(kRecvChunk);
  live().insert(a.get());
  usrsctp_register_address(a.get());
  a->sock_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr);
  if (a->sock_ == nullptr) return make_error(std::string("sctp: socket: ") + std::strerror(errno));
  struct ::socket* s = a->sock_;
  linger no_linger{1, 0};
  sctp_assoc_value reset{SCTP_ALL_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ};
  sctp_initmsg init{};
  init.sinit_num_ostreams = kStreams;
  init.sinit_max_instreams = kStreams;
  const int on = 1;
  const auto sndbuf = static_cast<int>(o.send_buffer);
  const auto rcvbuf = static_cast<int>(std::max<uint32_t>(o.max_message * 2, 256 * 1024));
  bool ok = usrsctp_set_non_blocking(s, 1) == 0 && set_opt(s, SOL_SOCKET, SO_LINGER, no_linger) &&
            set_opt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, reset) &&
            set_opt(s, IPPROTO_SCTP, SCTP_NODELAY, on) &&
            set_opt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, on) &&
            set_opt(s, IPPROTO_SCTP, SCTP_INITMSG, init) &&
            set_opt(s, SOL_SOCKET, SO_SNDBUF, sndbuf) && set_opt(s, SOL_SOCKET, SO_RCVBUF, rcvbuf);
  for (int type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT}) {
    sctp_event ev{};
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_type = static_cast<uint16_t>(type);
    ev.se_on = 1;
    ok = ok && set_opt(s, IPPROTO_SCTP, SCTP_EVENT, ev);
  }
  if (!ok) return make_error(std::string("sctp: socket options: ") + std::strerror(errno));
  sockaddr_conn local = conn_address(o.local_port, a.get());
  if (usrsctp_bind(s, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return make_error(std::string("sctp: bind: ") + std::strerror(errno));
  }
  // Both ends connect (RFC 8841 §9.3: simultaneous open is fine); on a
  // non-blocking socket this starts the INIT and returns at once.
  sockaddr_conn remote = conn_address(o.remote_port, a.get());
  if (usrsctp_connect(s, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0 &&
      errno != EINPROGRESS) {
    return make_error(std::string("sctp: connect: ") + std::strerror(errno));
  }
  // The path MTU, once the association exists.
  sctp_paddrparams pmtu{};
  std::memcpy(&pmtu.spp_address, &remote, sizeof(remote));
  pmtu.spp_flags = SPP_PMTUD_DISABLE;
  pmtu.spp_pathmtu = kPathMtu;
  if (!set_opt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, pmtu)) {
    return make_error(std::string("sctp: path MTU: ") + std::strerror(errno));
  }
  return a;
}

Association::~Association() {
  if (sock_ != nullptr) usrsctp_close(sock_);
  usrsctp_deregister_address(this);
  live().erase(this);
}

void Association::output(std::span<const uint8_t> packet) {
  if (out_) out_(packet);
}

void Association::input(std::span<const uint8_t> packet) {
  usrsctp_conninput(this, packet.data(), packet.size(), 0);
  drain();
}

void Association::drain() {
  if (draining_ || sock_ == nullptr) return;
  draining_ = true;
  for (;;) {
    sctp_rcvinfo info{};
    socklen_t info_len = sizeof(info);
    unsigned int info_type = 0;
    int flags = 0;
    sockaddr_conn from{};
    socklen_t from_len = sizeof(from);
    const ssize_t n =
        usrsctp_recvv(sock_, recv_buf_.data(), recv_buf_.size(), reinterpret_cast<sockaddr*>(&from),
                      &from_len, &info, &info_len, &info_type, &flags);
    if (n < 0) break;  // EWOULDBLOCK: nothing more for now
    if (n == 0 && (flags & MSG_NOTIFICATION) == 0) break;
    const std::span<const uint8_t> bytes(recv_buf_.data(), static_cast<std::size_t>(n));
    if ((flags & MSG_NOTIFICATION) != 0) {
      notification(bytes);
      continue;
    }
    if (info_type != SCTP_RECVV_RCVINFO) continue;
    const uint16_t stream = info.rcv_sid;
    const uint32_t ppid = ntohl(info.rcv_ppid);
    Partial& p = partial_[stream];
    if (p.bytes.empty()) p.ppid = ppid;
    if (!p.oversized && p.bytes.size() + bytes.size() <= opt_.max_message) {
      p.bytes.insert(p.bytes.end(), bytes.begin(), bytes.end());
    } else {
      p.oversized = true;
      p.bytes.clear();
    }
    if ((flags & MSG_EOR) == 0) continue;
    Partial done = std::move(p);
    partial_.erase(stream);
    if (done.oversized) {
      ++counters_.dropped_too_large_in;
      continue;
    }
    ++counters_.messages_in;
    counters_.bytes_in += done.bytes.size();
    if (events_.on_message) events_.on_message(stream, done.ppid, done.bytes);
    if (live().count(this) == 0) return;  // the owner ended us from the callback
  }
  draining_ = false;
}

void Association::notification(std::span<const uint8_t> n) {
  using Header = decltype(sctp_notification::sn_header);
  if (n.size() < sizeof(Header)) return;
  Header h{};
  std::memcpy(&h, n.data(), sizeof(h));
  if (h.sn_type == SCTP_ASSOC_CHANGE && n.size() >= sizeof(sctp_assoc_change)) {
    sctp_assoc_change c{};
    std::memcpy(&c, n.data(), sizeof(c));
    const bool was = up_;
    if (c.sac_state == SCTP_COMM_UP || c.sac_state == SCTP_RESTART) up_ = true;
    if (c.sac_state == SCTP_COMM_LOST || c.sac_state == SCTP_SHUTDOWN_COMP ||
        c.sac_state == SCTP_CANT_STR_ASSOC) {
      up_ = false;
    }
    if (up_ != was && events_.on_state) events_.on_state(up_);
  } else if (h.sn_type == SCTP_STREAM_RESET_EVENT && n.size() >= sizeof(sctp_stream_reset_event)) {
    sctp_stream_reset_event e{};
    std::memcpy(&e, n.data(), sizeof(e));
    if ((e.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) == 0) return;
    if ((e.strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) != 0) return;
    const std::size_t count =
        (std::min<std::size_t>(e.strreset_length, n.size()) - sizeof(sctp_stream_reset_event)) /
        sizeof(uint16_t);
    for (std::size_t i = 0; i < count; ++i) {
      uint16_t stream = 0;
      std::memcpy(&stream, n.data() + sizeof(sctp_stream_reset_event) + i * sizeof(uint16_t),
                  sizeof(stream));
      partial_.erase(stream);
      if (events_.on_stream_reset) events_.on_stream_reset(stream);
    }
  }
}

SendResult Association::send(uint16_t stream, uint32_t ppid, std::span<const uint8_t> msg,
                             const Reliability& r) {
  if (!up_) return SendResult::kNotConnected;
  sctp_sendv_spa spa{};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = r.ordered ? 0 : SCTP_UNORDERED;
  if (r.max_retransmits) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
    spa.sendv_prinfo.pr_value = *r.max_retransmits;
  } else if (r.max_lifetime_ms) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
    spa.sendv_prinfo.pr_value = *r.max_lifetime_ms;
  }
  // An empty message is one zero byte with the "empty" PPID (RFC 8831 §6.6).
  static constexpr uint8_t kZero = 0;
  const void* data = msg.data();
  std::size_t len = msg.size();
  if (len == 0) {
    data = &kZero;
    len = 1;
    if (ppid == static_cast<uint32_t>(Ppid::kString)) {
      spa.sendv_sndinfo.snd_ppid = htonl(static_cast<uint32_t>(Ppid::kStringEmpty));
    } else if (ppid == static_cast<uint32_t>(Ppid::kBinary)) {
      spa.sendv_sndinfo.snd_ppid = htonl(static_cast<uint32_t>(Ppid::kBinaryEmpty));
    }
  }
  const ssize_t n =
      usrsctp_sendv(sock_, data, len, nullptr, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0);
  if (n < 0) {
    if (errno == EWOULDBLOCK || errno == EAGAIN) return SendResult::kBufferFull;
    if (errno == EMSGSIZE) return SendResult::kTooLarge;
    return SendResult::kFailed;
  }
  ++counters_.messages_out;
  counters_.bytes_out += msg.size();
  return SendResult::kSent;
}

Association::Status Association::status() const {
  Status st;
  if (sock_ == nullptr || !up_) return st;
  sctp_status s{};
  s.sstat_assoc_id = SCTP_FUTURE_ASSOC;
  socklen_t len = sizeof(s);
  if (usrsctp_getsockopt(sock_, IPPROTO_SCTP, SCTP_STATUS, &s, &len) != 0) return st;
  st.ok = true;
  st.peer_rwnd = s.sstat_rwnd;
  st.unacked_chunks = s.sstat_unackdata;
  st.cwnd = s.sstat_primary.spinfo_cwnd;
  st.srtt_ms = s.sstat_primary.spinfo_srtt;
  st.rto_ms = s.sstat_primary.spinfo_rto;
  return st;
}

void Association::reset_stream(uint16_t stream) {
  if (!up_) return;
  std::vector<uint8_t> buf(sizeof(sctp_reset_streams) + sizeof(uint16_t));
  sctp_reset_streams head{};
  head.srs_assoc_id = SCTP_ALL_ASSOC;
  head.srs_flags = SCTP_STREAM_RESET_OUTGOING;
  head.srs_number_streams = 1;
  std::memcpy(buf.data(), &head, sizeof(head));
  std::memcpy(buf.data() + sizeof(head), &stream, sizeof(stream));
  // A refused reset (one already pending) leaves the stream open: the
  // channel is gone from our table either way.
  (void)usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RESET_STREAMS, buf.data(),
                           static_cast<socklen_t>(buf.size()));
}

}  // namespace edgesfu::sp::sctp
