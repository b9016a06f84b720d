#include "tools/loadgen/options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace edgesfu::loadgen {

std::string usage() {
  return R"(usage: loadgen [options]
A WebRTC load client: publishers send Opus (and VP8-sized video), subscribers
receive and measure loss, jitter and one-way latency; real ICE (libnice),
DTLS-SRTP (OpenSSL, libsrtp2) and Opus (libopus).

  --target edgesfu|janus   WHIP/WHEP, or Janus' HTTP API + videoroom (edgesfu)
  --url URL                edgesfu: http://198.18.0.2:7880
                           janus:   http://198.18.0.2:8088/janus
  --room NAME              edgesfu: a room name (load); janus: a number (4242)
  --publishers N           publishers (2)
  --subscribers M          subscribers, each receiving every publisher of
                           its room (2)
  --rooms R                edgesfu: spread publishers and subscribers over
                           R rooms, NAME-0 .. NAME-(R-1), in turn (1: the
                           room NAME itself)
  --video-publishers V     of the publishers, how many also send video (0)
  --video-kbps K           video bit rate per publisher, 30 frames/s (1000)
  --opus-kbps K            Opus bit rate, 20 ms frames (32)
  --seconds S              how long to hold the load once all are up (10)
  --join-rate R            sessions started per second (50)
  --churn R                soak: sessions ended and replaced per second (0)
  --garbage-pps G          each publisher also sends G packets a second that
                           the SFU must drop: forged, replayed, truncated or
                           random, on its own flow (0)
  --setup-timeout S        per join phase (30)
  --local-address A        the address our ICE candidates bind to (198.18.0.1)
  --config FILE            edgesfu config whose first API key signs tokens
  --key K --secret S       or the API key and secret themselves
  --json FILE              write the summary there
  --quiet                  no progress line each second

DPDK media (tools/loadgen/README.md): signalling, ICE and DTLS stay on kernel
sockets; RTP/RTCP of every session go through one DPDK lcore.
  --dpdk SOCKET            the SFU's net_memif server socket (a file path)
  --dpdk-pci BDF           or, on hardware, a NIC port cabled to the SFU's
                           wire (bound to vfio-pci), instead of memif
  --dpdk-tap IFACE         the TAP for the kernel's traffic (lg-tap0)
  --dpdk-tap-mac MAC       its MAC (02:00:c6:12:00:01)
  --dpdk-tap-address A/N   its address (--local-address/24)
  --dpdk-lcores MAP        EAL --lcores; lcore 0 signalling, the next one
                           media (0@(0-1),1@0)
  --dpdk-prefix P          EAL file prefix (loadgen-<pid>)
  --dpdk-queues N          the wire port's queue pairs (1): the media lcore
                           polls every one and sends each session's packets
                           on one by a hash of its ports, as a NIC's RSS
                           spreads flows; the SFU's memif wire needs as many
                           (one a worker)
  --dpdk-idle-sleep-us U   after 64 loops with nothing received or sent the
                           media lcore sleeps U us (0: it busy-polls); for
                           lcores that share CPUs
  --srtp-engine E          auto, ipsec-mb or libsrtp2 (auto)
  --packet-rate R          audio packets a second per publisher (50)
  --verify-every N         every Nth subscriber decrypts every packet and
                           checks its marker (loss, latency, jitter); the
                           others count packets by RTP sequence number (1)
  --ramp R1,R2,...         a hold of --seconds at each packet rate in turn
                           (video frames scale alike), ending after the
                           first that fails the limits below
  --ramp-loss F            a hold fails above this loss ratio (0.001)
  --ramp-p99-ms MS         ... or above this p99 one-way latency (1.0)
  --ramp-settle S          each rate runs this long before its hold is
                           measured (1.0)
  --ramp-warmup S          before the first step, its rate runs this long
                           unmeasured (0: --ramp-settle)
  --ramp-retries N         a step that fails is held again up to N times
                           before the ramp ends (0)
)";
}

namespace {

bool to_int(const std::string& s, int lo, int hi, int& out) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

bool to_double(const std::string& s, double lo, double hi, double& out) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || errno != 0 || !std::isfinite(v) || v < lo || v > hi)
    return false;
  out = v;
  return true;
}

}  // namespace

Result<Options> parse_options(const std::vector<std::string>& args) {
  Options o;
  bool have_url = false, have_room = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") return make_error(usage());
    if (a == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (i + 1 >= args.size())
      return make_error(a + ": needs a value (or is not an option; see --help)");
    const std::string& v = args[++i];
    auto bad = [&](const std::string& want) { return make_error(a + " " + v + ": " + want); };
    if (a == "--target") {
      if (v == "edgesfu" || v == "whip") {
        o.target = Options::Target::kWhip;
      } else if (v == "janus") {
        o.target = Options::Target::kJanus;
      } else {
        return bad("must be edgesfu or janus");
      }
    } else if (a == "--url") {
      if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
        return bad("must be an http(s) URL");
      o.url = v;
      while (!o.url.empty() && o.url.back() == '/') o.url.pop_back();
      have_url = true;
    } else if (a == "--room") {
      o.room = v;
      have_room = true;
    } else if (a == "--rooms") {
      if (!to_int(v, 1, 10000, o.rooms)) return bad("must be 1-10000");
    } else if (a == "--publishers") {
      if (!to_int(v, 1, 10000, o.publishers)) return bad("must be 1-10000");
    } else if (a == "--subscribers") {
      if (!to_int(v, 0, 100000, o.subscribers)) return bad("must be 0-100000");
    } else if (a == "--video-publishers") {
      if (!to_int(v, 0, 10000, o.video_publishers)) return bad("must be 0-10000");
    } else if (a == "--video-kbps") {
      if (!to_int(v, 50, 20000, o.video_kbps)) return bad("must be 50-20000");
    } else if (a == "--opus-kbps") {
      if (!to_int(v, 6, 510, o.opus_kbps)) return bad("must be 6-510");
    } else if (a == "--seconds") {
      if (!to_double(v, 0, 7 * 86400, o.seconds)) return bad("must be 0 to a week");
    } else if (a == "--join-rate") {
      if (!to_double(v, 0.1, 10000, o.join_rate)) return bad("must be 0.1-10000");
    } else if (a == "--churn") {
      if (!to_double(v, 0, 10000, o.churn)) return bad("must be 0-10000");
    } else if (a == "--garbage-pps") {
      if (!to_int(v, 0, 100000, o.garbage_pps)) return bad("must be 0-100000");
    } else if (a == "--setup-timeout") {
      if (!to_double(v, 1, 3600, o.setup_timeout)) return bad("must be 1-3600");
    } else if (a == "--local-address") {
      o.local_address = v;
    } else if (a == "--config") {
      o.config = v;
    } else if (a == "--key") {
      o.api_key = v;
    } else if (a == "--secret") {
      o.api_secret = v;
    } else if (a == "--json") {
      o.json = v;
    } else if (a == "--dpdk") {
      if (v.empty() || v.find(',') != std::string::npos) return bad("must be a socket path");
      o.dpdk_memif = v;
    } else if (a == "--dpdk-pci") {
      if (v.empty() || v.find(',') != std::string::npos) return bad("must be a PCI address");
      o.dpdk_pci = v;
    } else if (a == "--dpdk-tap") {
      if (v.empty() || v.size() > 15) return bad("must be an interface name of 1-15 characters");
      o.dpdk_tap = v;
    } else if (a == "--dpdk-tap-mac") {
      o.dpdk_tap_mac = v;
    } else if (a == "--dpdk-tap-address") {
      o.dpdk_tap_address = v;
    } else if (a == "--dpdk-lcores") {
      o.dpdk_lcores = v;
    } else if (a == "--dpdk-prefix") {
      o.dpdk_prefix = v;
    } else if (a == "--dpdk-queues") {
      if (!to_int(v, 1, 16, o.dpdk_queues)) return bad("must be 1-16");
    } else if (a == "--dpdk-idle-sleep-us") {
      if (!to_int(v, 0, 10000, o.dpdk_idle_sleep_us)) return bad("must be 0-10000");
    } else if (a == "--srtp-engine") {
      if (v != "auto" && v != "ipsec-mb" && v != "libsrtp2")
        return bad("must be auto, ipsec-mb or libsrtp2");
      o.srtp_engine = v;
    } else if (a == "--packet-rate") {
      if (!to_int(v, 1, 100000, o.packet_rate)) return bad("must be 1-100000");
    } else if (a == "--ramp") {
      o.ramp.clear();
      std::size_t pos = 0;
      while (pos <= v.size()) {
        const std::size_t comma = std::min(v.find(',', pos), v.size());
        int r = 0;
        if (!to_int(v.substr(pos, comma - pos), 1, 100000, r))
          return bad("must be packet rates 1-100000, comma-separated");
        o.ramp.push_back(r);
        pos = comma + 1;
      }
      if (o.ramp.size() > 64) return bad("at most 64 steps");
    } else if (a == "--ramp-loss") {
      if (!to_double(v, 0, 1, o.ramp_loss)) return bad("must be 0-1");
    } else if (a == "--ramp-retries") {
      if (!to_int(v, 0, 10, o.ramp_retries)) return bad("must be 0-10");
    } else if (a == "--ramp-warmup") {
      if (!to_double(v, 0, 600, o.ramp_warmup)) return bad("must be 0-600");
    } else if (a == "--ramp-settle") {
      if (!to_double(v, 0, 60, o.ramp_settle)) return bad("must be 0-60");
    } else if (a == "--ramp-p99-ms") {
      if (!to_double(v, 0.001, 60000, o.ramp_p99_ms)) return bad("must be 0.001-60000");
    } else if (a == "--verify-every") {
      if (!to_int(v, 1, 100000, o.verify_every)) return bad("must be 1-100000");
    } else {
      return make_error("unknown option " + a + " (see --help)");
    }
  }
  if (o.video_publishers > o.publishers)
    return make_error("--video-publishers exceeds --publishers");
  if (!o.dpdk_memif.empty() && !o.dpdk_pci.empty())
    return make_error("--dpdk and --dpdk-pci: one wire port, not both");
  if (o.rooms > o.publishers) return make_error("--rooms exceeds --publishers: a room needs one");
  if (!o.dpdk()) {
    if (o.packet_rate != 50 || o.verify_every != 1 || !o.ramp.empty() || o.dpdk_queues != 1 ||
        o.dpdk_idle_sleep_us != 0)
      return make_error(
          "--packet-rate, --ramp, --verify-every and --dpdk-queues/--dpdk-idle-sleep-us need "
          "--dpdk");
  } else {
    if (o.churn > 0 || o.garbage_pps > 0)
      return make_error("--dpdk does not churn or send garbage (kernel sockets do)");
    if (o.dpdk_tap_address.empty()) o.dpdk_tap_address = o.local_address + "/24";
    if (!o.ramp.empty()) o.packet_rate = o.ramp.front();
  }
  const bool janus = o.target == Options::Target::kJanus;
  if (!have_url) o.url = janus ? "http://198.18.0.2:8088/janus" : "http://198.18.0.2:7880";
  if (!have_room) o.room = janus ? "4242" : "load";
  if (janus) {
    int n = 0;
    if (!to_int(o.room, 1, 2147483647, n))
      return make_error("--room " + o.room + ": Janus rooms are numbers");
    if (o.rooms != 1) return make_error("--rooms: Janus is loaded in one room");
  } else {
    if (o.room.empty() || o.room.size() > 64) return make_error("--room: 1-64 characters");
    if (o.config.empty() && (o.api_key.empty() || o.api_secret.empty())) {
      return make_error(
          "edgesfu needs an access token signer: --config FILE, or --key and --secret");
    }
  }
  return o;
}

std::string room_name(const Options& o, int index) {
  if (o.rooms <= 1) return o.room;
  return o.room + "-" + std::to_string(index % o.rooms);
}

}  // namespace edgesfu::loadgen
