// tools/loadgen's pure parts: the send-time marker (and that Opus stays Opus
// with it), the latency histogram, per-stream loss/duplicate/jitter
// accounting, VP8 packet sizing and the command line.
#include <gtest/gtest.h>
#include <opus/opus.h>

#include <numeric>
#include <vector>

#include "tools/loadgen/marker.hpp"
#include "tools/loadgen/media_path.hpp"
#include "tools/loadgen/media_source.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/stats.hpp"

using namespace edgesfu::loadgen;

TEST(LoadgenMarker, RoundTripsAtTheEndOfAPayload) {
  std::vector<uint8_t> p(64, 0xAB);
  ASSERT_TRUE(write_marker(p, {7, 123456, 0x0102030405060708ull}));
  const auto m = read_marker(p);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->publisher, 7u);
  EXPECT_EQ(m->number, 123456u);
  EXPECT_EQ(m->send_ns, 0x0102030405060708ull);
  EXPECT_EQ(p[0], 0xAB);  // nothing before the marker touched
  EXPECT_EQ(p[p.size() - kMarkerSize - 1], 0xAB);
}

TEST(LoadgenMarker, RefusesShortOrForeignPayloads) {
  std::vector<uint8_t> shortp(kMarkerSize - 1, 0);
  EXPECT_FALSE(write_marker(shortp, {}));
  EXPECT_FALSE(read_marker(shortp).has_value());
  std::vector<uint8_t> foreign(100, 0x5A);
  EXPECT_FALSE(read_marker(foreign).has_value());
}

// The marker rides in Opus padding: the packet must still parse, decode to
// the same audio as without the marker, and give the marker back.
TEST(LoadgenMarker, OpusPacketStaysValidAndDecodesTheSame) {
  auto loop = OpusLoop::encode(32000);
  ASSERT_TRUE(loop.ok()) << loop.error().message;
  ASSERT_EQ(loop.value().frames(), 300u);
  int err = 0;
  OpusDecoder* a = opus_decoder_create(48000, 1, &err);
  OpusDecoder* b = opus_decoder_create(48000, 1, &err);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::vector<opus_int16> pa(960), pb(960);
  for (std::size_t i = 0; i < 50; ++i) {
    const auto f = loop.value().frame(i);
    std::vector<uint8_t> buf(f.begin(), f.end());
    buf.resize(f.size() + kMarkerSize + 8);
    const int n =
        opus_with_marker(buf, static_cast<int>(f.size()), {3, static_cast<uint32_t>(i), 1000 + i});
    ASSERT_EQ(n, static_cast<int>(f.size() + kMarkerSize + 3));
    const auto m = read_marker({buf.data(), static_cast<std::size_t>(n)});
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->number, i);
    EXPECT_EQ(m->send_ns, 1000 + i);
    ASSERT_EQ(opus_decode(a, f.data(), static_cast<opus_int32>(f.size()), pa.data(), 960, 0), 960);
    ASSERT_EQ(opus_decode(b, buf.data(), n, pb.data(), 960, 0), 960);
    EXPECT_EQ(pa, pb) << "frame " << i;
  }
  opus_decoder_destroy(a);
  opus_decoder_destroy(b);
  std::vector<uint8_t> junk(40, 0xFF);
  EXPECT_EQ(opus_with_marker(junk, 0, {}), -1);
  EXPECT_EQ(opus_with_marker(junk, 30, {}), -1);  // no room
}

TEST(LoadgenHistogram, BucketsCoverEveryValueInOrder) {
  for (uint64_t v : {0ull, 1ull, 31ull, 32ull, 33ull, 63ull, 64ull, 1000ull, 123456789ull, ~0ull}) {
    const int b = LatencyHistogram::bucket_of(v);
    EXPECT_LE(LatencyHistogram::bucket_low(b), v);
    if (v != ~0ull) {
      EXPECT_GT(LatencyHistogram::bucket_high(b), v);
    }
    ASSERT_LT(b, LatencyHistogram::kBuckets);
  }
  for (int b = 1; b < LatencyHistogram::kBuckets - 1; ++b) {
    ASSERT_EQ(LatencyHistogram::bucket_low(b), LatencyHistogram::bucket_high(b - 1)) << b;
  }
}

TEST(LoadgenHistogram, QuantilesWithinThreePercent) {
  LatencyHistogram h;
  EXPECT_EQ(h.quantile(0.5), 0u);
  for (uint64_t us = 1; us <= 1000; ++us) h.record(us * 1000);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.max(), 1000000u);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.5)), 500000.0, 15000.0);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.99)), 990000.0, 30000.0);
  EXPECT_LE(h.quantile(1.0), h.max());
  LatencyHistogram g;
  g.record(5);
  g.merge(h);
  EXPECT_EQ(g.count(), 1001u);
  g.clear();
  EXPECT_EQ(g.count(), 0u);
}

TEST(LoadgenStream, CountsLossDuplicatesAndReordering) {
  StreamReceive s;
  uint64_t t = 1'000'000'000;
  for (uint32_t n = 10; n < 20; ++n) s.on_packet(n, n * 960, 48000, t += 20'000'000);
  EXPECT_EQ(s.expected(), 10u);
  EXPECT_EQ(s.lost(), 0u);
  s.on_packet(25, 25 * 960, 48000, t += 20'000'000);  // 20..24 missing
  EXPECT_EQ(s.expected(), 16u);
  EXPECT_EQ(s.lost(), 5u);
  s.on_packet(22, 22 * 960, 48000, t += 1'000'000);  // late, not lost after all
  EXPECT_EQ(s.lost(), 4u);
  s.on_packet(22, 22 * 960, 48000, t += 1'000'000);  // a copy
  EXPECT_EQ(s.duplicates(), 1u);
  EXPECT_EQ(s.lost(), 4u);
  s.on_packet(9, 9 * 960, 48000, t += 1'000'000);  // older than the first: extends the range
  EXPECT_EQ(s.expected(), 17u);
  EXPECT_EQ(s.lost(), 4u);
  EXPECT_EQ(s.received(), 14u);
}

// Issue 12 #10: a stream that stops shows as silent, whether it stops for a
// while (a gap: sequence-gap loss sees it too) or for good (its tail: loss
// from sequence gaps cannot).
TEST(LoadgenStream, SilenceSeesGapsAndDeadTails) {
  StreamReceive s;
  uint64_t t = 1'000'000'000;
  s.reset_silence(t);
  for (uint32_t n = 0; n < 50; ++n) s.on_packet(n, n * 960, 48000, t += 20'000'000);
  EXPECT_EQ(s.silence_ns(t), 20'000'000u);
  EXPECT_EQ(s.lost(), 0u);
  // Dark from here on: no loss by sequence numbers, but 3 s of silence.
  EXPECT_EQ(s.lost(), 0u);
  EXPECT_EQ(s.silence_ns(t + 3'000'000'000), 3'000'000'000u);
  // A 1.5 s gap inside the window stays the longest silence once packets resume.
  s.on_packet(50, 50 * 960, 48000, t += 1'500'000'000);
  s.on_packet(51, 51 * 960, 48000, t += 20'000'000);
  EXPECT_EQ(s.silence_ns(t), 1'500'000'000u);
  // The window starts over.
  s.reset_silence(t);
  EXPECT_EQ(s.silence_ns(t + 5), 5u);
}

TEST(LoadgenStream, JitterIsZeroWhenPacedAndGrowsWithVariation) {
  StreamReceive paced, shaky;
  uint64_t t = 5'000'000'000;
  for (uint32_t n = 0; n < 500; ++n) {
    t += 20'000'000;
    paced.on_packet(n, n * 960, 48000, t);
    shaky.on_packet(n, n * 960, 48000, t + (n % 2 ? 4'000'000 : 0));  // +-4 ms
  }
  EXPECT_LT(paced.jitter_ms(), 0.05);
  EXPECT_NEAR(shaky.jitter_ms(), 4.0, 0.3);  // |D| = 4 ms every packet
}

TEST(LoadgenVp8, PacketSizesSplitEvenlyUnderTheLimit) {
  const auto s = vp8_packet_sizes(4166, 1100);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(std::accumulate(s.begin(), s.end(), std::size_t{0}),
            4166u + 4u);  // + a descriptor each
  for (auto x : s) EXPECT_LE(x, 1100u);
  std::vector<uint8_t> p(200);
  vp8_payload(p, true, true, 0);
  EXPECT_EQ(p[0], 0x10);   // S bit
  EXPECT_EQ(p[1] & 1, 0);  // key frame
  EXPECT_EQ(p[4], 0x9d);   // start code
  vp8_payload(p, false, false, 1);
  EXPECT_EQ(p[0], 0x00);
}

TEST(LoadgenSeq, ExtendsAcrossWrapsAndPlacesLatePackets) {
  SeqExtender x;
  EXPECT_EQ(x.extend(65534), 65534u);
  EXPECT_EQ(x.extend(65535), 65535u);
  EXPECT_EQ(x.extend(1), 65537u);      // wrapped, 0 lost
  EXPECT_EQ(x.extend(65535), 65535u);  // late, from before the wrap
  EXPECT_EQ(x.extend(0), 65536u);      // late, after it
  EXPECT_EQ(x.extend(2), 65538u);
  // Counting a stream this way: one lost (3), one duplicate (2).
  StreamReceive st;
  SeqExtender y;
  for (int seq : {65533, 65534, 65535, 0, 1, 2, 2, 4})
    st.on_packet(y.extend(static_cast<uint16_t>(seq)), 0, 48000, 0);
  EXPECT_EQ(st.expected(), 8u);
  EXPECT_EQ(st.lost(), 1u);
  EXPECT_EQ(st.duplicates(), 1u);
}

TEST(LoadgenOptions, DpdkModeAndRamp) {
  auto o = parse_options({"--key", "k", "--secret", "s", "--dpdk", "/run/x/memif.sock", "--ramp",
                          "500,1000,4000", "--verify-every", "10"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o.value().dpdk_memif, "/run/x/memif.sock");
  EXPECT_EQ(o.value().ramp, (std::vector<int>{500, 1000, 4000}));
  EXPECT_EQ(o.value().packet_rate, 500);  // the first step
  EXPECT_EQ(o.value().verify_every, 10);
  EXPECT_EQ(o.value().dpdk_tap_address, "198.18.0.1/24");
  EXPECT_TRUE(o.value().dpdk());
  auto nic = parse_options({"--key", "k", "--secret", "s", "--dpdk-pci", "0000:3b:00.0"});
  ASSERT_TRUE(nic.ok()) << nic.error().message;
  EXPECT_TRUE(nic.value().dpdk());
  EXPECT_EQ(nic.value().dpdk_pci, "0000:3b:00.0");
}

TEST(LoadgenOptions, RoomsQueuesAndIdleSleep) {
  auto o = parse_options({"--key", "k", "--secret", "s", "--dpdk", "/s", "--rooms", "3",
                          "--publishers", "6", "--dpdk-queues", "2", "--dpdk-idle-sleep-us", "50"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o.value().rooms, 3);
  EXPECT_EQ(o.value().dpdk_queues, 2);
  EXPECT_EQ(o.value().dpdk_idle_sleep_us, 50);
  EXPECT_EQ(room_name(o.value(), 0), "load-0");
  EXPECT_EQ(room_name(o.value(), 4), "load-1");
  auto one = parse_options({"--key", "k", "--secret", "s", "--room", "r"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(room_name(one.value(), 7), "r");  // one room: --room itself
}

TEST(LoadgenQueues, SessionsSpreadOverQueuesByTheirPorts) {
  EXPECT_EQ(queue_of(50000, 40000, 1), 0);
  int per[2] = {0, 0};
  for (uint16_t p = 0; p < 1000; ++p) {
    const uint16_t q = queue_of(static_cast<uint16_t>(40000 + p), 50000, 2);
    ASSERT_LT(q, 2);
    ++per[q];
    // A session keeps its queue.
    EXPECT_EQ(q, queue_of(static_cast<uint16_t>(40000 + p), 50000, 2));
  }
  EXPECT_GT(per[0], 400);
  EXPECT_GT(per[1], 400);
}

TEST(LoadgenOptions, DefaultsAndTargets) {
  auto o = parse_options({"--key", "k", "--secret", "s"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o.value().url, "http://198.18.0.2:7880");
  EXPECT_EQ(o.value().room, "load");
  auto j = parse_options({"--target", "janus", "--publishers", "10", "--subscribers", "100",
                          "--url", "http://198.18.0.2:8088/janus/"});
  ASSERT_TRUE(j.ok()) << j.error().message;
  EXPECT_EQ(j.value().target, Options::Target::kJanus);
  EXPECT_EQ(j.value().url, "http://198.18.0.2:8088/janus");
  EXPECT_EQ(j.value().room, "4242");
  EXPECT_EQ(j.value().subscribers, 100);
}

TEST(LoadgenOptions, BadArgumentsSayWhy) {
  auto has = [](const std::vector<std::string>& args, const std::string& what) {
    auto o = parse_options(args);
    return !o.ok() && o.error().message.find(what) != std::string::npos;
  };
  EXPECT_TRUE(has({"--publishers", "0", "--key", "k", "--secret", "s"}, "--publishers 0"));
  EXPECT_TRUE(has({"--publishers", "x"}, "--publishers x"));
  EXPECT_TRUE(has({"--bogus", "1"}, "unknown option --bogus"));
  EXPECT_TRUE(has({"--seconds"}, "needs a value"));
  EXPECT_TRUE(has({"--target", "mediasoup"}, "edgesfu or janus"));
  EXPECT_TRUE(has({"--target", "janus", "--room", "abc"}, "Janus rooms are numbers"));
  EXPECT_TRUE(has({}, "--config FILE, or --key and --secret"));
  EXPECT_TRUE(has({"--url", "ftp://x", "--key", "k", "--secret", "s"}, "http(s) URL"));
  EXPECT_TRUE(has({"--publishers", "2", "--video-publishers", "3", "--key", "k", "--secret", "s"},
                  "exceeds"));
  EXPECT_TRUE(has({"--garbage-pps", "-1", "--key", "k", "--secret", "s"}, "0-100000"));
  EXPECT_TRUE(has({"--packet-rate", "500", "--key", "k", "--secret", "s"}, "need --dpdk"));
  EXPECT_TRUE(
      has({"--dpdk", "/s", "--ramp", "10,,20", "--key", "k", "--secret", "s"}, "comma-separated"));
  EXPECT_TRUE(has({"--dpdk", "/s", "--ramp", "0", "--key", "k", "--secret", "s"}, "1-100000"));
  EXPECT_TRUE(
      has({"--dpdk", "/s", "--churn", "2", "--key", "k", "--secret", "s"}, "does not churn"));
  EXPECT_TRUE(has({"--dpdk", "a,b"}, "socket path"));
  EXPECT_TRUE(has({"--dpdk", "/s", "--dpdk-pci", "0000:3b:00.0", "--key", "k", "--secret", "s"},
                  "not both"));
  EXPECT_TRUE(has({"--rooms", "3", "--publishers", "2", "--key", "k", "--secret", "s"},
                  "a room needs one"));
  EXPECT_TRUE(has({"--target", "janus", "--rooms", "2"}, "Janus is loaded in one room"));
  EXPECT_TRUE(has({"--dpdk-queues", "2", "--key", "k", "--secret", "s"}, "need --dpdk"));
  EXPECT_TRUE(has({"--dpdk", "/s", "--dpdk-queues", "17", "--key", "k", "--secret", "s"}, "1-16"));
  EXPECT_TRUE(has({"--help"}, "usage: loadgen"));
}
