// Runs a function once from a GMainContext's loop, after the current callback
// returns: how a front door destroys a session from inside that session's
// own callbacks. Slow-path thread only.
#pragma once

#include <glib.h>

#include <functional>
#include <utility>

namespace edgesfu::sp::signalling {

inline void run_later(GMainContext* ctx, std::function<void()> f) {
  using Fn = std::function<void()>;
  GSource* src = g_idle_source_new();
  g_source_set_callback(
      src,
      [](gpointer p) -> gboolean {
        (*static_cast<Fn*>(p))();
        return G_SOURCE_REMOVE;
      },
      new Fn(std::move(f)), [](gpointer p) { delete static_cast<Fn*>(p); });
  g_source_attach(src, ctx);
  g_source_unref(src);
}

}  // namespace edgesfu::sp::signalling
