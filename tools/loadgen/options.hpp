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
};

std::string usage();

// argv[1..]; "--help" gives an error whose message is usage().
Result<Options> parse_options(const std::vector<std::string>& args);

}  // namespace edgesfu::loadgen
