#include "slowpath/signalling/demo/bundled_js.hpp"

// The assembler copies the file into .rodata (.incbin): no generated source,
// no copy at start-up. CMake passes the path (checked free of quotes and
// backslashes) and rebuilds this file when the script changes.
#ifdef EDGESFU_LIVEKIT_CLIENT_JS
__asm__(
    ".pushsection .rodata.edgesfu_livekit_client_js,\"a\",@progbits\n"
    ".global edgesfu_livekit_client_js_begin\n"
    ".hidden edgesfu_livekit_client_js_begin\n"
    "edgesfu_livekit_client_js_begin:\n"
    ".incbin \"" EDGESFU_LIVEKIT_CLIENT_JS
    "\"\n"
    ".global edgesfu_livekit_client_js_end\n"
    ".hidden edgesfu_livekit_client_js_end\n"
    "edgesfu_livekit_client_js_end:\n"
    ".popsection\n");
extern "C" const char edgesfu_livekit_client_js_begin[];
extern "C" const char edgesfu_livekit_client_js_end[];
#endif

namespace edgesfu::sp::signalling {

std::string_view livekit_client_js() {
#ifdef EDGESFU_LIVEKIT_CLIENT_JS
  return {
      edgesfu_livekit_client_js_begin,
      static_cast<std::size_t>(edgesfu_livekit_client_js_end - edgesfu_livekit_client_js_begin)};
#else
  return {};
#endif
}

}  // namespace edgesfu::sp::signalling
