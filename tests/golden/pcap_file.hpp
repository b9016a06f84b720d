// Classic pcap files (LINKTYPE_ETHERNET) for the golden tests: write the input,
// read what the dataplane wrote. Test-only helper.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace edgesfu::test {

using Frame = std::vector<uint8_t>;

inline bool write_pcap(const std::string& path, const std::vector<Frame>& frames) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const uint32_t gh[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};
  bool ok = std::fwrite(gh, sizeof gh, 1, f) == 1;
  uint32_t usec = 0;
  for (const Frame& fr : frames) {
    const uint32_t rh[4] = {1700000000u, usec += 20, static_cast<uint32_t>(fr.size()),
                            static_cast<uint32_t>(fr.size())};
    ok =
        ok && std::fwrite(rh, sizeof rh, 1, f) == 1 && std::fwrite(fr.data(), fr.size(), 1, f) == 1;
  }
  return std::fclose(f) == 0 && ok;
}

inline std::vector<Frame> read_pcap(const std::string& path) {
  std::vector<Frame> out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  uint32_t gh[6];
  if (std::fread(gh, sizeof gh, 1, f) == 1 && (gh[0] == 0xa1b2c3d4u || gh[0] == 0xa1b23c4du)) {
    uint32_t rh[4];
    while (std::fread(rh, sizeof rh, 1, f) == 1) {
      Frame fr(rh[2]);
      if (rh[2] > 65535 || (rh[2] != 0 && std::fread(fr.data(), rh[2], 1, f) != 1)) break;
      out.push_back(std::move(fr));
    }
  }
  std::fclose(f);
  return out;
}

}  // namespace edgesfu::test
