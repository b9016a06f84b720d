// What the exception path would take on each media port (rtc.port_range_*):
// the local ufrag of the session that holds the port, and the remote
// addresses that passed its ICE checks. The control thread writes it as
// sessions come, validate addresses and go; worker lcores read it to drop
// STUN for no session and DTLS from unvalidated sources before the punt
// (issue 12 #4). Values are 64-bit hashes in relaxed atomics: a reader may see
// a port mid-change, which costs at most one packet's verdict.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "dataplane/pkt/net.hpp"

namespace edgesfu::dp::punt {

class PortGuard {
 public:
  static constexpr std::size_t kAddrs = 6;  // newest validated addresses kept per port

  // Ports first..last inclusive.
  PortGuard(uint16_t first, uint16_t last)
      : first_(first),
        count_(last >= first ? uint32_t{last} - first + 1u : 0u),
        e_(std::make_unique<Entry[]>(count_)) {}

  bool covers(uint16_t port) const { return port - uint32_t{first_} < count_; }

  // Control thread: a session took `port` with local ufrag `ufrag`.
  void open(uint16_t port, std::string_view ufrag) {
    if (!covers(port)) return;
    Entry& e = at(port);
    for (auto& a : e.addrs) a.store(0, std::memory_order_relaxed);
    e.next = 0;
    e.ufrag.store(hash(reinterpret_cast<const uint8_t*>(ufrag.data()), ufrag.size(), 0),
                  std::memory_order_relaxed);
  }
  // Control thread: `ip`:`rport` passed an ICE check on `port`.
  void validate(uint16_t port, const pkt::IpAddr& ip, uint16_t rport) {
    if (!covers(port)) return;
    Entry& e = at(port);
    const uint64_t h = addr_hash(ip, rport);
    for (const auto& a : e.addrs) {
      if (a.load(std::memory_order_relaxed) == h) return;
    }
    e.addrs[e.next].store(h, std::memory_order_relaxed);
    e.next = (e.next + 1) % kAddrs;
  }
  // Control thread: the session on `port` ended.
  void close(uint16_t port) {
    if (!covers(port)) return;
    Entry& e = at(port);
    e.ufrag.store(0, std::memory_order_relaxed);
    for (auto& a : e.addrs) a.store(0, std::memory_order_relaxed);
  }

  // Workers: is `ufrag` the local ufrag of the session on `port`?
  bool ufrag_ok(uint16_t port, std::span<const uint8_t> ufrag) const {
    if (!covers(port) || ufrag.empty()) return false;
    const uint64_t want = at(port).ufrag.load(std::memory_order_relaxed);
    return want != 0 && want == hash(ufrag.data(), ufrag.size(), 0);
  }
  // Workers: did `ip`:`rport` pass a check on `port`?
  bool validated(uint16_t port, const pkt::IpAddr& ip, uint16_t rport) const {
    if (!covers(port)) return false;
    const uint64_t h = addr_hash(ip, rport);
    for (const auto& a : at(port).addrs) {
      if (a.load(std::memory_order_relaxed) == h) return true;
    }
    return false;
  }

 private:
  struct alignas(64) Entry {
    std::atomic<uint64_t> ufrag{0};
    std::atomic<uint64_t> addrs[kAddrs] = {};
    uint32_t next = 0;  // control thread only
  };
  Entry& at(uint16_t port) { return e_[port - first_]; }
  const Entry& at(uint16_t port) const { return e_[port - first_]; }

  // FNV-1a 64 over the bytes; never 0 (0 means "none").
  static uint64_t hash(const uint8_t* p, std::size_t n, uint64_t seed) {
    uint64_t h = 14695981039346656037ull ^ seed;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h == 0 ? 1 : h;
  }
  static uint64_t addr_hash(const pkt::IpAddr& ip, uint16_t port) {
    uint8_t b[19];
    for (std::size_t i = 0; i < 16; ++i) b[i] = ip.b[i];
    b[16] = ip.family;
    b[17] = static_cast<uint8_t>(port >> 8);
    b[18] = static_cast<uint8_t>(port);
    return hash(b, sizeof b, 0);
  }

  uint16_t first_;
  uint32_t count_;
  std::unique_ptr<Entry[]> e_;
};

}  // namespace edgesfu::dp::punt
