// Scripts built into edgesfu for its demo page: livekit-client's UMD build
// (the page's LiveKit mode), taken at build time from the pinned npm package
// (CMake's EDGESFU_LIVEKIT_CLIENT_JS). Slow-path thread or any: read-only.
#pragma once

#include <string_view>

namespace edgesfu::sp::signalling {

// The script, or empty when this build has none (npm packages not installed
// when it was configured).
std::string_view livekit_client_js();

}  // namespace edgesfu::sp::signalling
