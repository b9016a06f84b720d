// Golden test of path learning (issue 12 #3): a subscriber's reply path is
// learned only from what authenticates (its SRTCP) or from the kernel's own
// frames to its flow (a STUN answer the ICE agent sent), never from a frame
// that merely carries its addresses. Spoofed frames with a subscriber's
// 5-tuple and another source MAC (forged SRTCP, a replay, a STUN check) or
// another destination IP must leave its media where it was, and be counted.
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "dataplane/mem/node_memory.hpp"
#include "dataplane/pkt/rtcp.hpp"
#include "slowpath/dp_control/dp_control.hpp"
#include "tests/golden/golden_helpers.hpp"

namespace edgesfu {
namespace {

using namespace golden;  // NOLINT(google-build-using-namespace): the shared helpers

TEST(GoldenPath, SpoofedFramesDoNotMoveASubscribersMedia) {
  const auto prof = dp::srtp::Profile::kAes128CmHmacSha1_80;
  const auto dir =
      std::filesystem::temp_directory_path() / ("esfu-golden-path-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string wire_in = (dir / "wire_in.pcap").string();
  const std::string wire_out = (dir / "wire_out.pcap").string();
  const std::string exc_in = (dir / "exc_in.pcap").string();
  const std::string exc_out = (dir / "exc_out.pcap").string();

  Peer A{ip4(198, 18, 0, 10), 40000, {2, 0, 0, 0, 0, 0x0a}, keys(prof, 1), keys(prof, 2)};
  Peer S1{ip4(198, 18, 0, 20), 40002, {2, 0, 0, 0, 0, 0x14}, keys(prof, 5), keys(prof, 6)};
  Peer S3{ip4(198, 18, 0, 30), 40004, {2, 0, 0, 0, 0, 0x1e}, keys(prof, 7), keys(prof, 8)};
  const dp::pkt::Mac evil = {2, 0, 0, 0, 0, 0xee};
  constexpr uint32_t kSsrcA = 0xA1;
  constexpr int kPackets = 40;

  Srtp srtp;
  std::vector<Frame> in;
  uint8_t rr[64];
  const std::vector<uint8_t> rr1(rr, rr + dp::pkt::build_rr(rr, 0x5100, {}));
  // S1 speaks (authenticated SRTCP): its path is learned.
  in.push_back(frame_from(S1, S1.mac, kApplianceIp, srtp.protect(S1.send, 0x5100, rr1, true)));
  // The attack, all with S1's address and port and another MAC: SRTCP under
  // the wrong key, a replay of S1's own packet, a fresh one of its packets to
  // another address of the subnet, and a STUN check.
  in.push_back(frame_from(S1, evil, kApplianceIp, srtp.protect(keys(prof, 99), 0x5100, rr1, true)));
  Frame replay = in.front();
  std::copy(evil.begin(), evil.end(), replay.begin() + 6);
  in.push_back(replay);
  in.push_back(frame_from(S1, evil, ip4(198, 18, 0, 3), srtp.protect(S1.send, 0x5100, rr1, true)));
  std::vector<uint8_t> stun(20, 0);
  dp::pkt::store_be16(stun.data(), 0x0001);
  dp::pkt::store_be32(stun.data() + 4, 0x2112A442);
  in.push_back(frame_from(S1, evil, kApplianceIp, stun));
  // A publishes.
  for (int i = 0; i < kPackets; ++i) {
    const auto seq = static_cast<uint16_t>(100 + i);
    in.push_back(frame_from(
        A, A.mac, kApplianceIp,
        srtp.protect(A.send, kSsrcA,
                     rtp(111, seq, 960u * i, kSsrcA, false, payload_for(kSsrcA, seq, 60)), false)));
  }
  ASSERT_TRUE(test::write_pcap(wire_in, in));
  // The kernel answers a check of S3 (which sends nothing on the wire here):
  // a STUN success response out of the exception port to S3's flow.
  dp::pkt::UdpPath k;
  k.src_mac = kApplianceMac;
  k.dst_mac = S3.mac;
  k.src = kApplianceIp;
  k.dst = S3.ip;
  k.src_port = kLocalPort;
  k.dst_port = S3.port;
  std::vector<uint8_t> success(20, 0);
  dp::pkt::store_be16(success.data(), 0x0101);
  dp::pkt::store_be32(success.data() + 4, 0x2112A442);
  Frame kf(k.header_len() + success.size());
  std::copy(success.begin(), success.end(), kf.begin() + static_cast<long>(k.header_len()));
  dp::pkt::write_udp_headers(kf.data(), k, static_cast<uint16_t>(success.size()));
  ASSERT_TRUE(test::write_pcap(exc_in, {kf}));

  rte_mempool* pool = rte_pktmbuf_pool_create("golden_path", 4095, 128, 0, 2176, 0);
  ASSERT_NE(pool, nullptr);
  uint64_t path_changes = 0, punted = 0;
  {
    auto wire =
        dp::Port::probe_vdev("wire", "net_pcap_gpath0,rx_pcap=" + wire_in + ",tx_pcap=" + wire_out);
    ASSERT_TRUE(wire.ok()) << wire.error().message;
    auto exc = dp::Port::probe_vdev("exception",
                                    "net_pcap_gpath1,rx_pcap=" + exc_in + ",tx_pcap=" + exc_out);
    ASSERT_TRUE(exc.ok()) << exc.error().message;
    auto engine = fastpath_engine("auto");
    ASSERT_NE(engine, nullptr);
    dp::fanout::FastpathLimits limits;
    limits.max_participants = 8;
    limits.max_tracks = 8;
    limits.max_downtracks = 16;
    limits.rtx_depth = 64;
    dp::WorkerSetParams wp = one_worker(*wire, *exc, pool, *engine, limits, 16);
    wp.rules.mac = kApplianceMac;
    wp.rules.check_mac = true;
    wp.rules.addrs[0] = kApplianceIp;
    wp.rules.naddrs = 1;
    auto workers = dp::WorkerSet::create(wp);
    ASSERT_TRUE(workers.ok()) << workers.error().message;
    auto& ws = *workers.value();
    sp::DpControl ctl(ws, *engine, limits);
    const auto pa = add_peer(ctl, A, 1, 0xFEED0001), p1 = add_peer(ctl, S1, 2, 0xFEED0002),
               p3 = add_peer(ctl, S3, 3, 0xFEED0003);
    auto ta = ctl.add_track(pa, track(10, kSsrcA, 48000, dp::control::MediaKind::kAudio));
    ASSERT_TRUE(ta.ok());
    sp::DowntrackParams d;
    d.id = 100;
    d.ssrc = 0x51A;
    d.pt_map = {{111, 111}};
    ASSERT_TRUE(ctl.add_downtrack(ta.value(), p1, d).ok());
    d.id = 101;
    d.ssrc = 0x53A;
    ASSERT_TRUE(ctl.add_downtrack(ta.value(), p3, d).ok());
    ASSERT_TRUE(wire->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(exc->start({1, 1024, 1024, false}, pool).ok());
    ASSERT_TRUE(ws.launch().ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    const dp::Worker& w = ws.worker(0);
    while ((w.stats.wire_to_exception.rx_pkts.get() < in.size() ||
            w.stats.exception_to_wire.rx_pkts.get() < 1) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ws.stop();
    auto drops = [&](dp::DropReason r) { return drop_count(w, r); };
    EXPECT_EQ(drops(dp::DropReason::kSrtpAuthFail), 1u);
    EXPECT_EQ(drops(dp::DropReason::kSrtpReplay), 1u);
    EXPECT_EQ(drops(dp::DropReason::kNotForUs), 1u);
    EXPECT_EQ(w.stats.media.rtp_in.get(), static_cast<uint64_t>(kPackets));
    path_changes = w.stats.media.path_changes.get();
    punted = w.stats.media.punted_session.get();
    ctl.poll_events();
    (void)p3;
    exc->close();
    wire->close();
  }
  rte_mempool_free(pool);
  // A, S1 (from their SRTP/SRTCP) and S3 (from the kernel's frame); none
  // from the spoofed frames.
  EXPECT_EQ(path_changes, 3u);
  EXPECT_EQ(punted, 1u);  // the STUN check, for the ICE agent to judge

  const auto out = parse_output(test::read_pcap(wire_out));
  int to_s1 = 0, to_s3 = 0;
  for (const Output& o : out) {
    EXPECT_NE(o.dst_mac, evil);
    if (o.dst == S1.ip) {
      EXPECT_EQ(o.dst_mac, S1.mac);
      ++to_s1;
    }
    if (o.dst == S3.ip) {
      EXPECT_EQ(o.dst_mac, S3.mac);
      ++to_s3;
    }
  }
  EXPECT_EQ(to_s1, kPackets);  // every packet of A, to S1's own MAC
  // S3's path came with the kernel's frame, which the worker read after its
  // first wire burst: the packets from then on reached S3.
  EXPECT_GE(to_s3, 1);
  // The kernel's frame itself went out to S3 too.
  std::filesystem::remove_all(dir);
}

// The DpControl tests' small tables.
dp::fanout::FastpathLimits small_limits(uint16_t participants) {
  dp::fanout::FastpathLimits limits;
  limits.max_participants = participants;
  limits.max_tracks = 4;
  limits.max_downtracks = 8;
  limits.rtx_depth = 16;
  return limits;
}

// Adds the participant at 198.18.0.`host` to `room` (with the reservation
// its session holds, or without).
Result<sp::ParticipantRef> add_peer(sp::DpControl& ctl, uint64_t room, uint8_t host,
                                    bool reserved) {
  const auto prof = dp::srtp::Profile::kAeadAes128Gcm;
  sp::ParticipantParams pp;
  pp.room = room;
  pp.id = host;
  pp.remote = ip4(198, 18, 0, host);
  pp.remote_port = 4000;
  pp.local_port = kLocalPort;
  pp.rx_keys = keys(prof, host);
  pp.tx_keys = keys(prof, static_cast<uint8_t>(host + 1));
  pp.reserved = reserved;
  return ctl.add_participant(pp);
}

// Admission against the dataplane (issue 12 #7): a session answered holds a
// participant slot of its room's worker until it connects, so the session
// past the worker's capacity is refused before its answer, not ended after
// ICE and DTLS.
TEST(DpControlTest, ReservationsHoldSlotsUntilTheParticipantArrives) {
  const auto limits = small_limits(3);
  NullDataplane dataplane;
  ASSERT_EQ(dataplane.start("dpres", limits, 16), "");
  sp::DpControl ctl(*dataplane.workers, *dataplane.engine, limits);
  ASSERT_TRUE(dataplane.workers->launch().ok());
  auto peer = [&](uint8_t host, bool reserved) { return add_peer(ctl, 5, host, reserved); };
  ASSERT_TRUE(ctl.reserve_participant(5).ok());
  ASSERT_TRUE(ctl.reserve_participant(5).ok());
  auto a = peer(10, false);  // one slot is left for someone without a reservation
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto full = ctl.reserve_participant(5);  // 1 live + 2 reserved = 3
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(peer(11, false).ok());  // the free slots are reserved for others
  auto b = peer(12, true);             // a reservation becomes a participant
  ASSERT_TRUE(b.ok()) << b.error().message;
  ctl.release_participant(5);  // the other reserved session ended before connecting
  EXPECT_TRUE(ctl.reserve_participant(5).ok());
  auto c = peer(13, true);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(peer(14, true).ok());  // no reservation left to take
  EXPECT_FALSE(ctl.reserve_participant(5).ok());
  ASSERT_TRUE(ctl.remove_participant(a.value()).ok());
  EXPECT_TRUE(ctl.reserve_participant(5).ok());
  ctl.release_participant(5);
  for (const auto& r : {b.value(), c.value()}) ASSERT_TRUE(ctl.remove_participant(r).ok());
  dataplane.workers->stop();
  ctl.poll_events();
}

// Rooms spread over the workers by their participants, counting those
// reserved and not connected yet: two rooms that fill up at once land on
// two workers, and a room stays on its worker.
TEST(DpControlTest, RoomsJoinedAtOnceSpreadOverTheWorkers) {
  const auto limits = small_limits(8);
  NullDataplane dataplane;
  ASSERT_EQ(dataplane.start("dpspread", limits, 16, 1024, 2), "");
  sp::DpControl ctl(*dataplane.workers, *dataplane.engine, limits);
  ASSERT_TRUE(dataplane.workers->launch().ok());
  auto peer = [&](uint64_t room, uint8_t host) { return add_peer(ctl, room, host, true); };
  // Both rooms' first participants are answered before either connects.
  ASSERT_TRUE(ctl.reserve_participant(1).ok());
  ASSERT_TRUE(ctl.reserve_participant(2).ok());
  ASSERT_TRUE(ctl.reserve_participant(1).ok());
  auto a = peer(1, 10), b = peer(2, 20), c = peer(1, 30);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_NE(a.value().worker, b.value().worker);
  EXPECT_EQ(a.value().worker, c.value().worker);  // a room stays on its worker
  // A third room goes where there are fewer (room 2's worker).
  ASSERT_TRUE(ctl.reserve_participant(3).ok());
  auto d = peer(3, 40);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().worker, b.value().worker);
  for (const auto& r : {a.value(), b.value(), c.value(), d.value()})
    ASSERT_TRUE(ctl.remove_participant(r).ok());
  dataplane.workers->stop();
  ctl.poll_events();
}

// The retransmission rings of a worker share a budget of the pool's mbufs:
// each live track keeps min(rtx_depth, budget / live tracks), recomputed as
// tracks come and go. (20 publishers at rtx_depth 512 held 10,240 mbufs of
// an 8,191 pool: the worker received nothing more.)
TEST(DpControlTest, RetransmissionRingsShareTheirBudget) {
  auto limits = small_limits(8);
  limits.rtx_depth = 64;
  limits.rtx_budget = 100;
  NullDataplane dataplane;
  ASSERT_EQ(dataplane.start("dprtx", limits, 16), "");
  sp::DpControl ctl(*dataplane.workers, *dataplane.engine, limits);
  std::vector<sp::TrackRef> tracks;
  for (uint8_t i = 0; i < 4; ++i) {
    auto p = add_peer(ctl, 1, static_cast<uint8_t>(10 + i), false);
    ASSERT_TRUE(p.ok()) << p.error().message;
    auto t = ctl.add_track(p.value(), track(i, 0xA000u + i, 48000, dp::control::MediaKind::kAudio));
    ASSERT_TRUE(t.ok()) << t.error().message;
    tracks.push_back(t.value());
  }
  ASSERT_TRUE(ctl.remove_track(tracks[3]).ok());  // 3 live: 100 / 3 each
  ASSERT_TRUE(dataplane.workers->launch().ok());
  for (int i = 0; i < 200 && ctl.commands_in_rings() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the last burst applied
  dataplane.workers->stop();
  const dp::fanout::Fastpath& fp = *dataplane.workers->worker(0).fastpath;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(fp.track(tracks[i].slot).used);
    EXPECT_EQ(fp.track(tracks[i].slot).ring->keep(), 33u) << i;
  }
  EXPECT_FALSE(fp.track(tracks[3].slot).used);
  ctl.poll_events();
}

// A worker's fast path and its tables are on the worker lcore's NUMA node
// (issue 17 #1): the control thread makes them, so without a placement their
// pages would prefer no node and land on the control thread's. The Fastpath
// object and each table, first and last entry, prefer the lcore's node.
TEST(DpControlTest, AWorkersTablesAreOnItsNode) {
  const auto limits = small_limits(8);
  NullDataplane dataplane;
  ASSERT_EQ(dataplane.start("dpnuma", limits, 16), "");
  const int node = dp::mem::usable_node(static_cast<int>(rte_lcore_to_socket_id(1)));
  if (node == dp::mem::kNoNode) GTEST_SKIP() << "no NUMA node for lcore 1 on this machine";
  const dp::fanout::Fastpath& fp = *dataplane.workers->worker(0).fastpath;
  const uint16_t lt = limits.max_tracks - 1;
  const std::pair<const char*, const void*> where[] = {
      {"the fast path", &fp},
      {"participant 0", &fp.participant(0)},
      {"the last participant", &fp.participant(limits.max_participants - 1)},
      {"track 0", &fp.track(0)},
      {"track 0's ring", fp.track(0).ring},
      {"the last track's ring", fp.track(lt).ring},
      {"downtrack 0", &fp.downtrack(0)},
      {"the last downtrack", &fp.downtrack(limits.max_downtracks - 1)},
  };
  for (const auto& [what, p] : where) {
    auto n = dp::mem::preferred_node(p);
    ASSERT_TRUE(n.ok()) << n.error().message;
    EXPECT_EQ(n.value(), node) << what;
  }
}

}  // namespace
}  // namespace edgesfu
