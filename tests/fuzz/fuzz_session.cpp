// libFuzzer, stateful: one participant's connection through a sequence of
// negotiations. The input is split at "\n--\n" into up to 4 SDPs; each is
// answered as a remote offer (even ones), or applied as the answer to our own
// offer made just before (odd ones), with two room tracks to receive. Whatever
// the sequence, nothing crashes, what we write parses again, and the model's
// m-lines keep unique mids.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "slowpath/sdp/sdp.hpp"
#include "slowpath/session/participant_media.hpp"

using namespace edgesfu::sp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  for (std::size_t at = 0; parts.size() < 4;) {
    const std::size_t end = all.find("\n--\n", at);
    parts.push_back(
        all.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    if (end == std::string_view::npos) break;
    at = end + 4;
  }
  uint32_t next = 1;
  session::ParticipantMedia p([&next] { return next++; });
  const sdp::LocalTransport local{
      "lite", "0123456789012345678901", {"1 1 UDP 2130706431 198.18.0.2 50000 typ host"}, "AA:BB"};
  std::vector<session::SourceTrack> wanted(2);
  wanted[0].sid = "TR_A";
  wanted[0].desc.kind = "audio";
  wanted[0].desc.codec = {111, "opus", 48000, 2, "", {}, -1};
  wanted[0].desc.extmaps = {{1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"}};
  wanted[1].sid = "TR_V";
  wanted[1].desc.kind = "video";
  wanted[1].desc.codec = {96, "VP8", 90000, 0, "", {"nack"}, 97};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto sdp = sdp::parse(parts[i]);
    if (!sdp.ok()) continue;
    session::Changes c;
    if (i % 2 == 0) {
      auto a = p.answer_offer(sdp.value(), local, wanted, c);
      if (a.ok() && !sdp::parse(sdp::write(a.value())).ok()) __builtin_trap();
    } else {
      auto o = p.create_offer(local, wanted, c);
      if (o.ok() && !sdp::parse(sdp::write(o.value())).ok()) __builtin_trap();
      (void)p.apply_answer(sdp.value(), c);
    }
    std::set<std::string> mids;
    for (const auto& ml : p.mlines()) {
      if (!ml.mid.empty() && !mids.insert(ml.mid).second) __builtin_trap();
    }
  }
  return 0;
}
