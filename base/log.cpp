#include "base/log.hpp"

#include <spdlog/details/os.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <ctime>
#include <memory>
#include <vector>

namespace edgesfu {
namespace {

thread_local std::string_view t_room, t_participant;

spdlog::level::level_enum to_spdlog(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* level_name(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

// {"time":"2026-12-01T14:42:24.760Z","level":"info","component":"session",
//  "room":"demo","participant":"PA_...","msg":"..."}
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& m, spdlog::memory_buf_t& dest) override {
    const auto t = std::chrono::system_clock::to_time_t(m.time);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(m.time.time_since_epoch()) % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[96];  // room for any int the format could see (-Wformat-truncation)
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms.count()));
    std::string line = std::string(R"({"time":")") + ts + R"(","level":")" + level_name(m.level) +
                       R"(","component":)" +
                       json_quote({m.logger_name.data(), m.logger_name.size()});
    if (!t_room.empty()) line += R"(,"room":)" + json_quote(t_room);
    if (!t_participant.empty()) line += R"(,"participant":)" + json_quote(t_participant);
    line += R"(,"msg":)" + json_quote({m.payload.data(), m.payload.size()}) + "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

struct Loggers {
  Loggers() {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    for (std::size_t i = 0; i < kLogComponentCount; ++i) {
      l[i] = std::make_shared<spdlog::logger>(to_string(static_cast<LogComponent>(i)), sink);
    }
    apply({}, sink);
  }
  void apply(const LogOptions& o, spdlog::sink_ptr sink) {
    if (o.json) {
      sink->set_formatter(std::make_unique<JsonFormatter>());
    } else {
      sink->set_formatter(
          std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v"));
    }
    for (std::size_t i = 0; i < kLogComponentCount; ++i) {
      l[i]->sinks() = {sink};
      l[i]->set_level(to_spdlog(o.components[i].value_or(o.level)));
      l[i]->flush_on(spdlog::level::trace);  // stderr: every line as it comes
    }
    spdlog::set_default_logger(l[static_cast<std::size_t>(LogComponent::kAppliance)]);
  }
  std::array<std::shared_ptr<spdlog::logger>, kLogComponentCount> l;
};

Loggers& loggers() {
  static Loggers g;
  return g;
}

}  // namespace

const char* to_string(LogComponent c) {
  switch (c) {
    case LogComponent::kAppliance: return "appliance";
    case LogComponent::kDpdk: return "dpdk";
    case LogComponent::kDataplane: return "dataplane";
    case LogComponent::kSession: return "session";
    case LogComponent::kWhip: return "whip";
    case LogComponent::kLivekit: return "livekit";
    case LogComponent::kAgent: return "agent";
    case LogComponent::kWebhook: return "webhook";
    case LogComponent::kCount: break;
  }
  return "?";
}

void init_logging(const LogOptions& o, spdlog::sink_ptr sink) {
  loggers().apply(o, sink ? sink : std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
}

void init_logging(LogLevel level) {
  LogOptions o;
  o.level = level;
  init_logging(o);
}

spdlog::logger& logger(LogComponent c) { return *loggers().l[static_cast<std::size_t>(c)]; }

LogContext::LogContext(std::string_view room, std::string_view participant)
    : prev_room_(t_room), prev_participant_(t_participant) {
  t_room = room;
  t_participant = participant;
}

LogContext::~LogContext() {
  t_room = prev_room_;
  t_participant = prev_participant_;
}

std::string_view LogContext::room() { return t_room; }
std::string_view LogContext::participant() { return t_participant; }

std::string json_quote(std::string_view s) {
  std::string o = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {  // a UTF-8 sequence, kept when whole and valid, else U+FFFD
      // RFC 3629 §4: the lead byte sets the length and the second byte's
      // range (no overlong forms, no surrogates, nothing past U+10FFFF).
      const std::size_t n = c >= 0xf5 ? 0 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
      bool ok = n != 0 && i + n <= s.size();
      if (ok) {
        const auto b = static_cast<unsigned char>(s[i + 1]);
        const unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
        const unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
        ok = b >= lo && b <= hi;
      }
      for (std::size_t k = 2; ok && k < n; ++k) {
        ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
      }
      if (ok) {
        o.append(s.substr(i, n));
        i += n;
      } else {
        o += "\\ufffd";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char u[8];
          std::snprintf(u, sizeof u, "\\u%04x", c);
          o += u;
        } else {
          o += static_cast<char>(c);
        }
    }
    ++i;
  }
  return o + "\"";
}

}  // namespace edgesfu
