// The process's file descriptors: raising the soft limit to the hard one at
// start, and what is in use now, so that work that needs descriptors
// (sessions, connections) is refused before the limit instead of a library
// aborting at it. Linux; slow path and start-up only.
#pragma once

#include <dirent.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "base/result.hpp"

namespace edgesfu {

struct DescriptorUse {
  std::size_t open = 0;   // descriptors open now
  std::size_t limit = 0;  // RLIMIT_NOFILE's soft limit
};

// Sets RLIMIT_NOFILE's soft limit to its hard limit; returns the new use.
inline Result<DescriptorUse> raise_descriptor_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return make_error(std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      return make_error(std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
    }
  }
  return DescriptorUse{0, static_cast<std::size_t>(rl.rlim_cur)};
}

// Counts /proc/self/fd (a few microseconds per hundred descriptors).
inline Result<DescriptorUse> descriptor_use() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return make_error(std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return make_error(std::string("/proc/self/fd: ") + std::strerror(errno));
  std::size_t n = 0;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  // The directory stream itself was one of them.
  return DescriptorUse{n > 0 ? n - 1 : 0, static_cast<std::size_t>(rl.rlim_cur)};
}

}  // namespace edgesfu
