#include "slowpath/base/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace edgesfu {

void init_logging(config::LogLevel level) {
  auto logger = spdlog::stderr_color_mt("edgesfu");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  switch (level) {
    case config::LogLevel::kTrace: spdlog::set_level(spdlog::level::trace); break;
    case config::LogLevel::kDebug: spdlog::set_level(spdlog::level::debug); break;
    case config::LogLevel::kInfo: spdlog::set_level(spdlog::level::info); break;
    case config::LogLevel::kWarn: spdlog::set_level(spdlog::level::warn); break;
    case config::LogLevel::kError: spdlog::set_level(spdlog::level::err); break;
    case config::LogLevel::kOff: spdlog::set_level(spdlog::level::off); break;
  }
}

}  // namespace edgesfu
