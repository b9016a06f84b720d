// Logging (spdlog). Slow path and start-up only: never called from a worker
// lcore. One logger per component, each with its level (logging.level,
// logging.component_levels), all writing to stderr: text lines, or with
// logging.json one JSON object per line. A line about a session carries its
// room and participant ids: as JSON fields, taken from the LogContext the
// session code sets around the call (SessionLog does it per call).
#pragma once

#include <spdlog/spdlog.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace edgesfu {

enum class LogLevel : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// What a line is about, as logging.component_levels names it.
enum class LogComponent : uint8_t {
  kAppliance,  // start-up, stop, stats
  kDpdk,       // the EAL and PMDs' own messages
  kDataplane,  // ports, EAL, lcores as edgesfu sets them up
  kSession,    // participants' transports: ICE, DTLS, media, data channels
  kWhip,       // the WHIP/WHEP door and the HTTP server
  kLivekit,    // LiveKit signalling, RoomService
  kAgent,      // the /agent worker protocol
  kWebhook,    // webhook delivery
  kCount
};
inline constexpr std::size_t kLogComponentCount = static_cast<std::size_t>(LogComponent::kCount);
const char* to_string(LogComponent c);

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  std::array<std::optional<LogLevel>, kLogComponentCount> components{};  // overrides of level
  bool json = false;
};

// Sets up every component's logger on stderr (or on `sink`, for tests).
// Before it is called, the loggers write text at info.
void init_logging(const LogOptions& o, spdlog::sink_ptr sink = nullptr);
void init_logging(LogLevel level);

spdlog::logger& logger(LogComponent c);

// The session a line is about, for the lines logged while it lives on this
// thread (nested ones restore the outer one).
class LogContext {
 public:
  LogContext(std::string_view room, std::string_view participant);
  ~LogContext();
  LogContext(const LogContext&) = delete;
  LogContext& operator=(const LogContext&) = delete;
  static std::string_view room();
  static std::string_view participant();

 private:
  std::string_view prev_room_, prev_participant_;
};

// A component's logger bound to one session: each call logs within its
// LogContext.
class SessionLog {
 public:
  SessionLog(LogComponent c, std::string_view room, std::string_view participant)
      : l_(logger(c)), room_(room), participant_(participant) {}
  template <typename... A>
  void debug(fmt::format_string<A...> f, A&&... a) {
    log(spdlog::level::debug, f, std::forward<A>(a)...);
  }
  template <typename... A>
  void info(fmt::format_string<A...> f, A&&... a) {
    log(spdlog::level::info, f, std::forward<A>(a)...);
  }
  template <typename... A>
  void warn(fmt::format_string<A...> f, A&&... a) {
    log(spdlog::level::warn, f, std::forward<A>(a)...);
  }
  template <typename... A>
  void error(fmt::format_string<A...> f, A&&... a) {
    log(spdlog::level::err, f, std::forward<A>(a)...);
  }
  template <typename... A>
  void log(spdlog::level::level_enum lvl, fmt::format_string<A...> f, A&&... a) {
    if (!l_.should_log(lvl)) return;
    LogContext c(room_, participant_);
    l_.log(lvl, f, std::forward<A>(a)...);
  }

 private:
  spdlog::logger& l_;
  std::string_view room_, participant_;
};

// JSON text of `s` between quotes (RFC 8259 escapes; a byte that starts
// no valid UTF-8 sequence becomes U+FFFD, so the line stays valid JSON).
std::string json_quote(std::string_view s);

}  // namespace edgesfu
