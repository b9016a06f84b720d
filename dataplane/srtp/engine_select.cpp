// Which SRTP engine the fast path runs on (config: dataplane.srtp_engine).
#include "dataplane/srtp/srtp_engine.hpp"

namespace edgesfu::dp::srtp {

Result<std::unique_ptr<Engine>> make_engine(const std::string& choice, std::string& why) {
  if (choice == "libsrtp2") {
    why = "libsrtp2 (chosen in config)";
    return make_libsrtp_engine();
  }
  if (choice != "auto" && choice != "ipsec-mb") {
    return make_error("srtp: unknown engine '" + choice + "' (auto, ipsec-mb or libsrtp2)");
  }
  auto e = make_ipsecmb_engine(IpsecMbArch::kAuto);
  if (e) {
    why = std::string("intel-ipsec-mb ") + ipsecmb_version() + ", " + ipsecmb_describe(*e.value());
    return e;
  }
  if (choice == "ipsec-mb") return e.error();
  why = "libsrtp2 (fallback: " + e.error().message + ")";
  return make_libsrtp_engine();
}

}  // namespace edgesfu::dp::srtp
