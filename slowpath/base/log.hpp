// Logging setup for the slow path (spdlog). Never called from a worker lcore.
#pragma once

#include "config/config.hpp"

namespace edgesfu {

// Sets the default logger: stderr, "[time] [level] message", at `level`.
void init_logging(config::LogLevel level);

}  // namespace edgesfu
