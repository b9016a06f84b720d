// tools/loadgen: the WebRTC load client (see options.cpp for its usage).
#include <glib-unix.h>

#include <cstdio>

#include "tools/loadgen/runner.hpp"

int main(int argc, char** argv) {
  using namespace edgesfu::loadgen;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto o = parse_options(args);
  if (!o) {
    const bool help = !args.empty() && (args[0] == "--help" || args[0] == "-h");
    std::fprintf(help ? stdout : stderr, "%s%s\n", help ? "" : "loadgen: ", o.error().message.c_str());
    return help ? 0 : 2;
  }
  auto r = Runner::create(o.value());
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().message.c_str());
    return 1;
  }
  Runner* runner = r.value().get();
  auto on_signal = [](gpointer p) -> gboolean {
    static_cast<Runner*>(p)->stop();
    return G_SOURCE_CONTINUE;
  };
  g_unix_signal_add(SIGINT, on_signal, runner);
  g_unix_signal_add(SIGTERM, on_signal, runner);
  return runner->run();
}
