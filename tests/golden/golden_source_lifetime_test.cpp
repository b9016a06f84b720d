// Golden test of a received packet's lifetime in the fast path: the
// subscribers' copies are protected in batches, and each protect reads its
// payload from the received packet (srtp::Op::src) when the batch goes, not
// when fan-out queues it. With a retransmission budget of one packet, the
// track's RTX ring lets go of the previous packet as each new one goes in;
// had it freed that mbuf before the batch reading it was protected, the pool
// would hand the buffer out again (an output or a received frame) and the
// subscribers would get another packet's bytes. Payloads of falling sizes
// (SHA1_80: the engine writes each packet's ROC just past its end) make
// such reuse land inside a payload still to be read.
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "dataplane/pkt/rtp.hpp"
#include "slowpath/dp_control/dp_control.hpp"
#include "tests/golden/golden_helpers.hpp"

namespace edgesfu {
namespace {

using namespace golden;  // NOLINT(google-build-using-namespace): the shared helpers

constexpr uint32_t kAudio = 0xA1;
constexpr int kSubscribers = 3;
constexpr int kPackets = 96;

std::size_t payload_size(int s) { return 400 - 4 * static_cast<std::size_t>(s % 90); }

TEST(GoldenSourceLifetime, AnRtxRingThatKeepsOnePacketNeverTakesOneStillToBeProtected) {
  // intel-ipsec-mb: it builds a chunk's jobs (and writes each ROC) before it
  // protects any; libsrtp2 protects one at a time, in order, and would not
  // show a packet taken too early.
  std::string why;
  auto made = dp::srtp::make_engine("ipsec-mb", why);
  if (!made.ok()) GTEST_SKIP() << "needs intel-ipsec-mb: " << made.error().message;
  const std::unique_ptr<dp::srtp::Engine> engine = std::move(made).value();
  const auto prof = dp::srtp::Profile::kAes128CmHmacSha1_80;
  const auto dir =
      std::filesystem::temp_directory_path() / ("esfu-golden-lifetime-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string wire_in = (dir / "wire_in.pcap").string();
  const std::string wire_out = (dir / "wire_out.pcap").string();

  Peer A{ip4(198, 18, 0, 10), 40000, {2, 0, 0, 0, 0, 0x0a}, keys(prof, 1), keys(prof, 2)};
  const std::vector<Peer> subs = subscribers(prof, kSubscribers);
  // The filler covers the set-up commands; then the publisher's packets,
  // back to back.
  Srtp srtp;
  std::vector<Frame> in;
  add_preamble(in, srtp, A, 64, subs);
  for (int s = 0; s < kPackets; ++s) {
    const auto seq = static_cast<uint16_t>(100 + s);
    in.push_back(udp_frame(A, srtp.protect(A.send, kAudio,
                                           rtp(111, seq, 960u * seq, kAudio, false,
                                               payload_for(kAudio, seq, payload_size(s))),
                                           false)));
  }
  ASSERT_TRUE(test::write_pcap(wire_in, in));

  // A pool with a small cache, so that freed mbufs come back soon.
  rte_mempool* pool = rte_pktmbuf_pool_create("golden_lifetime", 2047, 32, 0, 2176, 0);
  ASSERT_NE(pool, nullptr);
  uint64_t rtp_out = 0, drops = 0;
  {
    auto wire = dp::Port::probe_vdev(
        "wire", "net_pcap_glifetime0,rx_pcap=" + wire_in + ",tx_pcap=" + wire_out);
    ASSERT_TRUE(wire.ok()) << wire.error().message;
    auto exc = dp::Port::probe_vdev("exception", "net_null_glifetime1,no-rx=1");
    ASSERT_TRUE(exc.ok()) << exc.error().message;
    dp::fanout::FastpathLimits limits;
    limits.max_participants = kSubscribers + 8;
    limits.max_tracks = 4;
    limits.max_downtracks = kSubscribers + 8;
    limits.rtx_depth = 64;
    limits.rtx_budget = 1;  // one live track: its ring keeps one packet
    auto wp = one_worker(*wire, *exc, pool, *engine, limits, 64);
    auto workers = dp::WorkerSet::create(wp);
    ASSERT_TRUE(workers.ok()) << workers.error().message;
    auto& ws = *workers.value();
    sp::DpControl ctl(ws, *engine, limits);
    const auto pa = add_peer(ctl, A, 1, 0xFEED0001);
    auto ta = ctl.add_track(pa, track(10, kAudio, 48000, dp::control::MediaKind::kAudio));
    ASSERT_TRUE(ta.ok()) << ta.error().message;
    for (int i = 0; i < kSubscribers; ++i) {
      const auto ps = add_peer(ctl, subs[static_cast<std::size_t>(i)], static_cast<uint32_t>(2 + i),
                               0xFEED1000u + static_cast<uint32_t>(i));
      sp::DowntrackParams d;
      d.id = static_cast<uint32_t>(100 + i);
      d.ssrc = 0x5000u + static_cast<uint32_t>(i);
      d.first_seq = static_cast<uint16_t>(1000 * i);
      ASSERT_TRUE(ctl.add_downtrack(ta.value(), ps, d).ok());
    }
    ASSERT_TRUE(wire->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(exc->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(ws.launch().ok());
    const dp::Worker& w = ws.worker(0);
    wait_for_input(w, in.size(), std::chrono::milliseconds(100));
    ws.stop();
    rtp_out = w.stats.media.rtp_out.get();
    for (std::size_t r = 0; r < dp::kDropReasonCount; ++r) {
      drops += w.stats.drops[r].get();
      EXPECT_EQ(w.stats.drops[r].get(), 0u) << dp::kDropReasonNames[r];
    }
    ctl.poll_events();
    exc->close();
    wire->close();
  }
  rte_mempool_free(pool);
  EXPECT_EQ(drops, 0u);
  EXPECT_EQ(rtp_out, static_cast<uint64_t>(kPackets) * kSubscribers);

  // Each subscriber: every packet, in order, opening with its keys, with
  // the payload the publisher sent.
  std::map<int, int> next;  // by the subscriber's index: the packet expected next
  for (const Output& o : parse_output(test::read_pcap(wire_out))) {
    std::vector<uint8_t> pl = o.payload;
    if (pl.size() > 1 && pl[1] >= 192 && pl[1] <= 223) continue;  // RTCP
    int i = 0;
    while (i < kSubscribers && !(subs[static_cast<std::size_t>(i)].ip == o.dst)) ++i;
    ASSERT_LT(i, kSubscribers);
    ASSERT_EQ(srtp.unprotect(subs[static_cast<std::size_t>(i)].recv, pl, false),
              dp::srtp::Status::kOk)
        << "subscriber " << i << ", packet " << next[i];
    dp::pkt::RtpHeader h;
    ASSERT_EQ(dp::pkt::parse_rtp(pl, h), dp::pkt::RtpError::kOk);
    const int s = next[i]++;
    const auto seq = static_cast<uint16_t>(100 + s);
    EXPECT_EQ(std::vector<uint8_t>(pl.begin() + h.header_len, pl.end()),
              payload_for(kAudio, seq, payload_size(s)))
        << "subscriber " << i << ", packet " << s;
  }
  for (int i = 0; i < kSubscribers; ++i) EXPECT_EQ(next[i], kPackets) << i;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgesfu
