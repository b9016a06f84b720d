#include "slowpath/signalling/demo/bundled_js.hpp"

// The assembler copies the file into .rodata (.incbin): no generated source,
// no copy at start-up. CMake passes the path (checked free of quotes and
// backslashes) and rebuilds this file when the script changes.
#ifdef EDGESFU_LIVEKIT_CLIENT_JS
__asm__(
    ".pushsection .rodata.edgesfu_livekit_client_js,\"a\",@progbits\n"
    ".global kEdgesfuLivekitClientJsBegin\n"
    ".hidden kEdgesfuLivekitClientJsBegin\n"
    "kEdgesfuLivekitClientJsBegin:\n"
    ".incbin \"" EDGESFU_LIVEKIT_CLIENT_JS
    "\"\n"
    ".global kEdgesfuLivekitClientJsEnd\n"
    ".hidden kEdgesfuLivekitClientJsEnd\n"
    "kEdgesfuLivekitClientJsEnd:\n"
    ".popsection\n");
extern "C" const char kEdgesfuLivekitClientJsBegin[];
extern "C" const char kEdgesfuLivekitClientJsEnd[];
#endif

namespace edgesfu::sp::signalling {

std::string_view livekit_client_js() {
#ifdef EDGESFU_LIVEKIT_CLIENT_JS
  return {kEdgesfuLivekitClientJsBegin,
          static_cast<std::size_t>(kEdgesfuLivekitClientJsEnd - kEdgesfuLivekitClientJsBegin)};
#else
  return {};
#endif
}

}  // namespace edgesfu::sp::signalling
