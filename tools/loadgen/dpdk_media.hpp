// `loadgen --dpdk`: the media of every session on a DPDK port driven by one
// lcore (media_lcore.hpp), while signalling, ICE and DTLS stay on kernel
// sockets as in the default mode. The process runs its own EAL (--no-pci, a
// file prefix of its own) with two ports:
//  - the wire: a net_memif client of the SFU's memif server, or on hardware
//    a NIC port cabled to the SFU's (probed by the EAL from its PCI address);
//  - the exception port: a TAP holding the load generator's address, through
//    which the kernel's packets (ARP, ICE, DTLS, HTTP) cross to the wire and
//    back, as the appliance's own slow path does.
// Once a session's DTLS is done it installs its pair and keys here (the
// MediaPath interface); the lcore sends and receives from then on.
#pragma once

#include <rte_mempool.h>
#include <rte_ring.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/eal/eal.hpp"
#include "dataplane/port/port.hpp"
#include "dataplane/srtp/srtp_engine.hpp"
#include "tools/loadgen/media_lcore.hpp"
#include "tools/loadgen/media_path.hpp"

namespace edgesfu::loadgen {

struct DpdkOptions {
  std::string memif_socket;  // the SFU's memif server socket (a file path)
  std::string pci;           // or a NIC port's PCI address (then memif_socket is empty)
  std::string tap_iface = "lg-tap0";
  std::string tap_mac = "02:00:c6:12:00:01";
  std::string tap_address;             // "198.18.0.1/24"
  std::string lcores = "0@(0-1),1@0";  // EAL --lcores: lcore 0 the GLib thread, 1 the media
  std::string file_prefix;             // "" -> loadgen-<pid>
  std::string srtp_engine = "auto";    // as the appliance's dataplane.srtp_engine
  uint16_t queues = 1;                 // the wire port's queue pairs
  uint32_t idle_sleep_us = 0;          // the media lcore's, after 64 idle loops
  uint32_t mbufs = 16383;
  int video_kbps = 1000;
};

class DpdkMedia final : public MediaPath {
 public:
  static Result<std::unique_ptr<DpdkMedia>> create(const DpdkOptions& o, const OpusLoop* opus);
  ~DpdkMedia() override;
  DpdkMedia(const DpdkMedia&) = delete;
  DpdkMedia& operator=(const DpdkMedia&) = delete;

  Status install(const MediaSpec& spec) override;
  void remove(uint64_t session) override;

  // The lcore's figures (nullptr if it did not answer).
  const MediaReport* report(bool full, bool clear_total) {
    return lcore_->report(full, clear_total);
  }
  // Publishers' audio packets a second (they start at 50, a real call's
  // rate, so that the joins are not measured under load).
  void set_packet_rate(uint32_t r) { lcore_->set_packet_rate(r); }
  // Engine and code path, for the log and the summary.
  const std::string& engine_description() const { return engine_why_; }

 private:
  DpdkMedia() = default;
  Status start(const DpdkOptions& o, const OpusLoop* opus);
  void shutdown();

  DpdkOptions o_;
  dp::Eal eal_;
  rte_mempool* pool_ = nullptr;
  rte_ring* ring_ = nullptr;
  std::optional<dp::Port> wire_, tap_;
  std::unique_ptr<dp::srtp::Engine> engine_;
  std::string engine_why_;
  std::unique_ptr<MediaLcore> lcore_;
  bool launched_ = false;
  unsigned media_lcore_ = 0;
  std::vector<dp::srtp::Session*> srtp_sessions_;  // destroyed once the lcore stopped
};

}  // namespace edgesfu::loadgen
