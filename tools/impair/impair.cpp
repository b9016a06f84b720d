// tools/impair: a userspace stand-in for `tc netem`, since this kernel has no sch_netem. It takes
// the packets that iptables sends to one NFQUEUE queue and drops, delays or reorders them, or
// cuts the link for a while, then hands the survivors back to the kernel. All its output (seed,
// "impair: ready queue=N" once bound, stats lines) goes to stderr.
//
//   impair --queue N [--loss PCT] [--delay MS] [--jitter MS] [--reorder PCT]
//          [--outage START_S:DURATION_S]... [--seed N] [--stats-every S]
//
//   e.g. iptables-legacy -A INPUT -p udp -j NFQUEUE --queue-num 3 --queue-bypass
//        impair --queue 3 --loss 5 --delay 30 --jitter 10
//
// Build: g++ -std=c++20 -O2 -o impair impair.cpp $(pkg-config --cflags --libs libnetfilter_queue)
#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr char kUsage[] =
    "usage: impair --queue N [--loss PCT] [--delay MS] [--jitter MS] [--reorder PCT]\n"
    "              [--outage START_S:DURATION_S]... [--seed N] [--stats-every S]\n"
    "  --loss PCT        drop each packet with this probability\n"
    "  --delay MS        hold each packet this long before accepting it\n"
    "  --jitter MS       add uniform [-MS, +MS] to the delay (clamped at 0; never reorders)\n"
    "  --reorder PCT     accept this share at once, overtaking the held ones (needs a\n"
    "                    --delay or --jitter: with neither there is nothing to overtake)\n"
    "  --outage S:D      drop everything from S to S+D seconds after start (repeatable);\n"
    "                    SIGUSR1 toggles a manual outage as well\n"
    "  --seed N          PRNG seed (default: from the clock; printed at start)\n"
    "  --stats-every S   print the counters every S seconds (default 0: only at exit)\n";
// Above the kernel's default of 1024 packets awaiting a verdict, and kept above our own bound
// on held packets, so that an overflow is ours and counted rather than a silent kernel drop.
constexpr std::size_t kMaxHeld = 100000;
constexpr std::uint32_t kKernelQueueMax = 131072;
constexpr int kRcvBuf = 8 << 20;
// Read at most this many messages per wakeup so held packets are released on time under flood.
constexpr int kMaxBatch = 256;

struct Outage {
  double start_s;
  double duration_s;
};

struct Options {
  int queue = -1;
  double loss_pct = 0, delay_ms = 0, jitter_ms = 0, reorder_pct = 0, stats_every_s = 0;
  std::vector<Outage> outages;
  std::optional<std::uint64_t> seed;
};

struct Held {
  std::uint32_t id;
  Clock::time_point release;
};

struct State {
  Options opt;
  nfq_q_handle* qh = nullptr;
  std::mt19937_64 rng;
  Clock::time_point start, last_release;
  bool manual_outage = false;
  // Release times of held packets never decrease (each is at least its predecessor's, and
  // reordered packets are never held), so a FIFO is already ordered by release time.
  std::deque<Held> held;
  std::uint64_t seen = 0, lost = 0, outage = 0, reordered = 0, delayed = 0, overflow = 0;
  std::uint64_t enobufs = 0, verdict_errors = 0;
  std::size_t maxq = 0;
};

template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  if constexpr (std::is_floating_point_v<T>) return std::isfinite(out);
  return true;
}

// Returns the exit code when the program should stop here (help or a bad argument).
std::optional<int> parse_args(int argc, char** argv, Options& o) {
  auto bad = [](const char* what, std::string_view v) {
    std::fprintf(stderr, "impair: bad %s '%.*s'\n%s", what, int(v.size()), v.data(), kUsage);
    return 2;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return bad("option (missing value or unknown)", a);
    const std::string_view v = argv[++i];
    auto pct = [&](double& d) { return parse_number(v, d) && d >= 0 && d <= 100; };
    auto non_negative = [&](double& d) { return parse_number(v, d) && d >= 0; };
    if (a == "--queue") {
      if (!parse_number(v, o.queue) || o.queue < 0 || o.queue > 65535) return bad("--queue", v);
    } else if (a == "--loss") {
      if (!pct(o.loss_pct)) return bad("--loss", v);
    } else if (a == "--reorder") {
      if (!pct(o.reorder_pct)) return bad("--reorder", v);
    } else if (a == "--delay") {
      if (!non_negative(o.delay_ms)) return bad("--delay", v);
    } else if (a == "--jitter") {
      if (!non_negative(o.jitter_ms)) return bad("--jitter", v);
    } else if (a == "--stats-every") {
      if (!non_negative(o.stats_every_s)) return bad("--stats-every", v);
    } else if (a == "--seed") {
      std::uint64_t seed = 0;
      if (!parse_number(v, seed)) return bad("--seed", v);
      o.seed = seed;
    } else if (a == "--outage") {
      const auto colon = v.find(':');
      Outage w{};
      if (colon == std::string_view::npos || !parse_number(v.substr(0, colon), w.start_s) ||
          !parse_number(v.substr(colon + 1), w.duration_s) || w.start_s < 0 || w.duration_s < 0)
        return bad("--outage", v);
      o.outages.push_back(w);
    } else {
      return bad("option", a);
    }
  }
  if (o.queue < 0) {
    std::fprintf(stderr, "impair: --queue is required\n%s", kUsage);
    return 2;
  }
  return std::nullopt;
}

void verdict(State& s, std::uint32_t id, std::uint32_t v) {
  // A failed verdict leaves the packet queued in the kernel until we exit; report it, but keep
  // impairing the rest rather than taking the link down with us.
  if (nfq_set_verdict(s.qh, id, v, 0, nullptr) < 0 && s.verdict_errors++ == 0)
    std::fprintf(stderr, "impair: nfq_set_verdict: %s (reported once)\n", std::strerror(errno));
}

bool in_outage(const State& s, Clock::time_point now) {
  if (s.manual_outage) return true;
  const double t = std::chrono::duration<double>(now - s.start).count();
  return std::any_of(s.opt.outages.begin(), s.opt.outages.end(), [t](const Outage& w) {
    return t >= w.start_s && t < w.start_s + w.duration_s;
  });
}

void on_packet(State& s, std::uint32_t id) {
  const auto now = Clock::now();
  ++s.seen;
  // Outage first: a cut link loses everything, whatever the dice say.
  if (in_outage(s, now)) return ++s.outage, verdict(s, id, NF_DROP);
  if (s.opt.loss_pct > 0 && std::bernoulli_distribution(s.opt.loss_pct / 100)(s.rng))
    return ++s.lost, verdict(s, id, NF_DROP);
  if (s.opt.reorder_pct > 0 && std::bernoulli_distribution(s.opt.reorder_pct / 100)(s.rng))
    return ++s.reordered, verdict(s, id, NF_ACCEPT);
  double ms = s.opt.delay_ms;
  if (s.opt.jitter_ms > 0)
    ms += std::uniform_real_distribution<double>(-s.opt.jitter_ms, s.opt.jitter_ms)(s.rng);
  const auto drawn = now + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double, std::milli>(std::max(ms, 0.0)));
  // As netem without its reordering by jitter: never release before the previous packet. So
  // when packets come much closer together than the jitter, their delays bunch up near
  // DELAY+JITTER: the price of keeping the order.
  const auto release = std::max(drawn, s.last_release);
  if (release <= now) return verdict(s, id, NF_ACCEPT);
  if (s.held.size() >= kMaxHeld) return ++s.overflow, verdict(s, id, NF_DROP);
  s.last_release = release;
  s.held.push_back({id, release});
  ++s.delayed;
  s.maxq = std::max(s.maxq, s.held.size());
}

int on_queue_message(nfq_q_handle*, nfgenmsg*, nfq_data* nfa, void* data) {
  const nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph != nullptr) on_packet(*static_cast<State*>(data), ntohl(ph->packet_id));
  return 0;
}

void release_until(State& s, Clock::time_point now) {
  while (!s.held.empty() && s.held.front().release <= now) {
    verdict(s, s.held.front().id, NF_ACCEPT);
    s.held.pop_front();
  }
}

void print_stats(const State& s) {
  std::fprintf(stderr,
               "impair: seen=%" PRIu64 " lost=%" PRIu64 " outage=%" PRIu64 " reordered=%" PRIu64
               " delayed=%" PRIu64 " maxq=%zu overflow=%" PRIu64 " enobufs=%" PRIu64
               " verdict_errors=%" PRIu64 "\n",
               s.seen, s.lost, s.outage, s.reordered, s.delayed, s.maxq, s.overflow, s.enobufs,
               s.verdict_errors);
}

int fail(const char* what) {
  std::fprintf(stderr, "impair: %s: %s\n", what, std::strerror(errno));
  return 1;
}

// Binds the queue and runs until SIGINT/SIGTERM or a fatal error; returns the exit code.
int run(State& s, nfq_handle* h, int sig_fd) {
  s.qh = nfq_create_queue(h, std::uint16_t(s.opt.queue), on_queue_message, &s);
  if (s.qh == nullptr) return fail("nfq_create_queue (queue taken by another program?)");
  if (nfq_set_mode(s.qh, NFQNL_COPY_META, 0) < 0) return fail("nfq_set_mode");
  if (nfq_set_queue_maxlen(s.qh, kKernelQueueMax) < 0) return fail("nfq_set_queue_maxlen");
  const int fd = nfq_fd(h);
  // A flood bigger than the default socket buffer would otherwise be dropped by the kernel
  // (ENOBUFS) before we ever see it. FORCE ignores rmem_max; we are root anyway.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kRcvBuf, sizeof kRcvBuf) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kRcvBuf, sizeof kRcvBuf) < 0)
    return fail("setsockopt SO_RCVBUF");
  std::fprintf(stderr, "impair: ready queue=%d\n", s.opt.queue);

  const auto stats_period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(s.opt.stats_every_s));
  auto next_stats = s.start + stats_period;
  alignas(nlmsghdr) static char buf[65536];
  int rc = 0;
  for (bool running = true; running;) {
    auto now = Clock::now();
    release_until(s, now);
    if (s.opt.stats_every_s > 0 && now >= next_stats) {
      print_stats(s);
      next_stats = std::max(next_stats + stats_period, now);
    }
    std::optional<Clock::time_point> wake;
    if (!s.held.empty()) wake = s.held.front().release;
    if (s.opt.stats_every_s > 0) wake = wake ? std::min(*wake, next_stats) : next_stats;
    timespec ts{};
    if (wake) {
      const auto ns = std::chrono::nanoseconds(std::max(*wake - now, Clock::duration::zero()));
      ts.tv_sec = ns.count() / 1000000000;
      ts.tv_nsec = ns.count() % 1000000000;
    }
    pollfd fds[2] = {{fd, POLLIN, 0}, {sig_fd, POLLIN, 0}};
    // ppoll rather than poll: its timeout is not rounded to whole milliseconds.
    if (ppoll(fds, 2, wake ? &ts : nullptr, nullptr) < 0) {
      if (errno == EINTR) continue;
      rc = fail("ppoll");
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si{};
      if (read(sig_fd, &si, sizeof si) == ssize_t(sizeof si)) {
        if (si.ssi_signo == SIGUSR1) {
          s.manual_outage = !s.manual_outage;
          std::fprintf(stderr, "impair: manual outage %s\n", s.manual_outage ? "on" : "off");
        } else {
          running = false;
        }
      }
    }
    if (!(fds[0].revents & POLLIN)) continue;
    for (int n = 0; n < kMaxBatch; ++n) {
      const ssize_t len = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (len >= 0) {
        // Only a message for a queue we did not bind can fail here: note it, it costs no packet.
        static bool reported = false;
        if (nfq_handle_packet(h, buf, int(len)) < 0 && !std::exchange(reported, true))
          std::fprintf(stderr, "impair: nfq_handle_packet: unexpected message (reported once)\n");
      } else if (errno == ENOBUFS) {
        ++s.enobufs;  // the kernel dropped what did not fit; keep going as a lossy link would
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else if (errno != EINTR) {
        rc = fail("recv on the queue socket");
        running = false;
        break;
      }
    }
  }
  // Destroying the queue would drop whatever is still held: let it through instead.
  release_until(s, Clock::time_point::max());
  print_stats(s);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    State s;
    if (auto code = parse_args(argc, argv, s.opt)) return *code;
    const std::uint64_t seed = s.opt.seed.value_or(
        std::uint64_t(std::chrono::system_clock::now().time_since_epoch().count()));
    s.rng.seed(seed);
    std::fprintf(stderr, "impair: seed=%" PRIu64 "\n", seed);

    // Signals arrive through a descriptor so the single poll loop sees them without races.
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&mask, sig);
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) return fail("sigprocmask");
    const int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sig_fd < 0) return fail("signalfd");

    nfq_handle* h = nfq_open();
    if (h == nullptr) return fail("nfq_open (needs CAP_NET_ADMIN)");
    s.start = Clock::now();
    const int rc = run(s, h, sig_fd);
    if (s.qh != nullptr && nfq_destroy_queue(s.qh) < 0) fail("nfq_destroy_queue");
    if (nfq_close(h) < 0) fail("nfq_close");
    close(sig_fd);
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "impair: %s\n", e.what());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "impair: unknown error\n");
    return 1;
  }
}
