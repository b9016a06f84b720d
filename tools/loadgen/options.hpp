// The load client's command line. Pure: parse_options() turns arguments into
// Options or says what is wrong with them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace edgesfu::loadgen {

struct Options {
  enum class Target { kWhip, kJanus };
  Target target = Target::kWhip;
  std::string url;   // default by target
  std::string room;  // WHIP: a room name; Janus: a room number
  int rooms = 1;     // WHIP: sessions spread over rooms room-0 .. room-(R-1); room_name()
  int publishers = 2;
  int subscribers = 2;
  int video_publishers = 0;  // the first V publishers also send video
  int video_kbps = 1000;
  int opus_kbps = 32;
  double seconds = 10;        // measured hold, after every session is up
  double join_rate = 50;      // sessions started per second
  double churn = 0;           // soak: sessions left and replaced per second
  int garbage_pps = 0;        // isolation: each publisher's garbage packets a second
  double setup_timeout = 30;  // per phase: publishers up, subscribers receiving
  std::string local_address = "198.18.0.1";
  std::string config;  // edgesfu config to take an API key from
  std::string api_key, api_secret;
  std::string json;  // summary file
  bool quiet = false;
  // --dpdk: media on a DPDK port (dpdk_media.hpp); empty: kernel sockets.
  std::string dpdk_memif;  // the SFU's memif socket
  std::string dpdk_pci;    // or a NIC port (PCI address, bound to vfio-pci) cabled to the SFU's
  bool dpdk() const { return !dpdk_memif.empty() || !dpdk_pci.empty(); }
  std::string dpdk_tap = "lg-tap0";
  std::string dpdk_tap_mac = "02:00:c6:12:00:01";
  std::string dpdk_tap_address;  // default: --local-address/24
  std::string dpdk_lcores = "0@(0-1),1@0";
  std::string dpdk_prefix;
  int dpdk_queues = 1;         // the wire port's queue pairs; a session's is a hash of its ports
  int dpdk_idle_sleep_us = 0;  // the media lcore's pause after 64 idle loops; 0: busy-poll
  std::string srtp_engine = "auto";
  int packet_rate = 50;  // --dpdk: audio packets a second per publisher
  int verify_every = 1;  // --dpdk: every Nth subscriber decrypts and checks all it gets
  // --dpdk: holds of --seconds each at these packet rates, in order, until a
  // hold loses more than ramp_loss or its p99 latency exceeds ramp_p99_ms.
  std::vector<int> ramp;
  double ramp_loss = 0.001;
  double ramp_p99_ms = 1.0;
  // Before each step's window: the new rate runs this long unmeasured, so
  // that the switch and an outside sampler (bench/capacity) fall outside it.
  double ramp_settle = 1.0;
  double ramp_warmup = 0;  // before the first step: this long at its rate, unmeasured
  int ramp_retries = 0;    // a step that fails is held again this many times
};

std::string usage();

// The room of the session that is the `index`th (0-based) of its kind:
// --room itself with one room, else "<room>-<index % rooms>".
std::string room_name(const Options& o, int index);

// argv[1..]; "--help" gives an error whose message is usage().
Result<Options> parse_options(const std::vector<std::string>& args);

}  // namespace edgesfu::loadgen
