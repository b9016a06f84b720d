#include "dataplane/eal/eal_log.hpp"

#include <rte_log.h>
#include <spdlog/spdlog.h>

#include <string>

#include "base/log.hpp"

namespace edgesfu::dp {
namespace {

// One message may come in several writes; a line is logged once it ends.
thread_local std::string t_pending;

ssize_t write_line(void*, const char* buf, size_t size) {
  t_pending.append(buf, size);
  if (t_pending.size() > 8192 && t_pending.find('\n') == std::string::npos) t_pending += '\n';
  for (std::size_t nl; (nl = t_pending.find('\n')) != std::string::npos;) {
    std::string line = t_pending.substr(0, nl);
    t_pending.erase(0, nl + 1);
    if (line.empty()) continue;
    const auto lvl =
        static_cast<spdlog::level::level_enum>(spdlog_level_of_dpdk(rte_log_cur_msg_loglevel()));
    logger(LogComponent::kDpdk).log(lvl, "{}", line);
  }
  return static_cast<ssize_t>(size);
}

}  // namespace

int spdlog_level_of_dpdk(int rte_level) {
  if (rte_level <= static_cast<int>(RTE_LOG_ERR)) return spdlog::level::err;
  if (rte_level == static_cast<int>(RTE_LOG_WARNING)) return spdlog::level::warn;
  if (rte_level <= static_cast<int>(RTE_LOG_INFO)) return spdlog::level::info;
  return spdlog::level::debug;
}

FILE* dpdk_log_stream() {
  static FILE* f = [] {
    cookie_io_functions_t io{};
    io.write = &write_line;
    FILE* s = fopencookie(nullptr, "w", io);
    if (s != nullptr) setvbuf(s, nullptr, _IONBF, 0);
    return s;
  }();
  return f;
}

}  // namespace edgesfu::dp
