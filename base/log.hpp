// Logging setup (spdlog). Slow path and start-up only: never called from a
// worker lcore.
#pragma once

#include <cstdint>

namespace edgesfu {

enum class LogLevel : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Sets the default logger: stderr, "[time] [level] message", at `level`.
void init_logging(LogLevel level);

}  // namespace edgesfu
