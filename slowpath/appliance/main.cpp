// edgesfu: the appliance's command line.
//
//   edgesfu --config FILE        run
//   edgesfu --check-config FILE  validate FILE and exit (0 valid, 2 invalid)
//
// Exit status: 0 after a clean stop, 1 when start-up fails, 2 for a bad config
// or command line.
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "base/descriptors.hpp"
#include "base/log.hpp"
#include "config/config.hpp"
#include "slowpath/appliance/appliance.hpp"

namespace {

constexpr int kExitStartFailed = 1;
constexpr int kExitUsage = 2;

void usage(std::FILE* to) {
  std::fputs(
      "usage: edgesfu --config FILE | --check-config FILE | --help | --version\n"
      "  --config FILE        run the appliance with this YAML config\n"
      "  --check-config FILE  validate the config and exit (status 2 when invalid)\n"
      "see config/README.md for every key\n",
      to);
}

// GLib's own messages (libsoup's, libnice's, GIO's) go through edgesfu's
// logging too, so that with logging.json every line is JSON.
GLogWriterOutput glib_to_spdlog(GLogLevelFlags level, const GLogField* fields, gsize n, gpointer) {
  std::string_view msg, domain = "glib";
  for (gsize i = 0; i < n; ++i) {
    const auto* v = static_cast<const char*>(fields[i].value);
    if (v == nullptr) continue;
    const std::string_view text =
        fields[i].length < 0 ? std::string_view(v)
                             : std::string_view(v, static_cast<std::size_t>(fields[i].length));
    if (std::strcmp(fields[i].key, "MESSAGE") == 0) msg = text;
    if (std::strcmp(fields[i].key, "GLIB_DOMAIN") == 0) domain = text;
  }
  if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0 &&
      g_log_writer_default_would_drop(level, std::string(domain).c_str())) {
    return G_LOG_WRITER_HANDLED;  // as GLib: only with G_MESSAGES_DEBUG
  }
  const auto lvl = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) != 0 ? spdlog::level::err
                   : (level & G_LOG_LEVEL_WARNING) != 0                      ? spdlog::level::warn
                   : (level & G_LOG_LEVEL_DEBUG) != 0                        ? spdlog::level::debug
                                                                             : spdlog::level::info;
  edgesfu::logger(edgesfu::LogComponent::kAppliance).log(lvl, "{}: {}", domain, msg);
  return G_LOG_WRITER_HANDLED;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--config" || a == "--check-config") && i + 1 < argc && config_path.empty()) {
      check_only = a == "--check-config";
      config_path = argv[++i];
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("edgesfu %s\n", EDGESFU_VERSION);
      return 0;
    } else {
      std::fprintf(stderr, "edgesfu: unexpected argument '%s'\n", a.c_str());
      usage(stderr);
      return kExitUsage;
    }
  }
  if (config_path.empty()) {
    usage(stderr);
    return kExitUsage;
  }

  auto cfg = edgesfu::config::load_config_file(config_path);
  if (!cfg) {
    std::fprintf(stderr, "edgesfu: invalid config %s\n", cfg.error().message.c_str());
    return kExitUsage;
  }
  if (check_only) {
    std::printf("%s: valid\n", config_path.c_str());
    return 0;
  }

  // Block SIGINT/SIGTERM before the EAL makes its threads, so that they all
  // inherit the block; the slow-path thread unblocks them once it can handle
  // them. A signal during start-up is held and stops the appliance cleanly.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  edgesfu::LogOptions lo;
  lo.level = cfg->logging.level;
  lo.components = cfg->logging.component_levels;
  lo.json = cfg->logging.json;
  edgesfu::init_logging(lo);
  g_log_set_writer_func(&glib_to_spdlog, nullptr, nullptr);
  // Every session and connection holds descriptors: take all the hard limit
  // allows (the signalling door refuses new work before it runs out).
  if (auto fds = edgesfu::raise_descriptor_limit(); fds) {
    spdlog::info("descriptors: limit {}", fds->limit);
  } else {
    spdlog::warn("descriptors: {}", fds.error().message);
  }
  edgesfu::sp::Appliance app(std::move(cfg).value());
  if (auto s = app.start(); !s) {
    spdlog::error("start-up failed: {}", s.error().message);
    app.stop();
    return kExitStartFailed;
  }
  const edgesfu::Status ran = app.run();
  if (!ran) spdlog::error("slow path failed: {}", ran.error().message);
  const auto counters = app.stop();
  std::printf("edgesfu counters: %s\n", edgesfu::sp::format_counters(counters).c_str());
  std::fflush(stdout);
  return ran ? 0 : kExitStartFailed;
}
