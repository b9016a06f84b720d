// DCEP (RFC 8832) parse/build, the data channel table, and two usrsctp
// associations talking to each other in memory (no DTLS, no sockets): the
// channel kinds LiveKit uses, large messages, a full send buffer, stream
// resets.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "slowpath/sctp/association.hpp"
#include "slowpath/sctp/data_channels.hpp"
#include "slowpath/sctp/dcep.hpp"

namespace sctp = edgesfu::sp::sctp;

namespace {

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

// Chromium's OPEN for livekit-client's `_lossy` channel: unordered, no
// retransmissions, label "_lossy", no protocol.
const std::vector<uint8_t> kLossyOpen = {0x03, 0x81, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x06, 0x00, 0x00, '_',  'l',  'o',  's',  's',  'y'};

}  // namespace

TEST(Dcep, ParsesAnOpenAsBrowsersSendIt) {
  auto m = sctp::parse_open(kLossyOpen);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->label, "_lossy");
  EXPECT_EQ(m->protocol, "");
  EXPECT_FALSE(m->reliability.ordered);
  ASSERT_TRUE(m->reliability.max_retransmits);
  EXPECT_EQ(*m->reliability.max_retransmits, 0u);
  EXPECT_FALSE(m->reliability.reliable());
  EXPECT_EQ(sctp::build_open(*m), kLossyOpen);
}

TEST(Dcep, RoundTripsEveryChannelType) {
  for (bool ordered : {true, false}) {
    sctp::OpenMessage reliable{{ordered, {}, {}}, 256, "_reliable", "proto"};
    sctp::OpenMessage rexmit{{ordered, 3u, {}}, 0, "x", ""};
    sctp::OpenMessage timed{{ordered, {}, 1500u}, 0, "", "p"};
    for (const auto& m : {reliable, rexmit, timed}) {
      auto back = sctp::parse_open(sctp::build_open(m));
      ASSERT_TRUE(back);
      EXPECT_EQ(back->reliability, m.reliability);
      EXPECT_EQ(back->priority, m.priority);
      EXPECT_EQ(back->label, m.label);
      EXPECT_EQ(back->protocol, m.protocol);
    }
  }
}

TEST(Dcep, RefusesMalformedOpens) {
  std::vector<uint8_t> m = kLossyOpen;
  EXPECT_FALSE(sctp::parse_open(std::span(m).first(11)));  // short header
  m.push_back('!');
  EXPECT_FALSE(sctp::parse_open(m));  // a byte past the label
  m = kLossyOpen;
  m.pop_back();
  EXPECT_FALSE(sctp::parse_open(m));  // label runs past the end
  m = kLossyOpen;
  m[1] = 0x05;
  EXPECT_FALSE(sctp::parse_open(m));  // unknown channel type
  m = kLossyOpen;
  m[0] = 0x02;
  EXPECT_FALSE(sctp::parse_open(m));  // an ACK is not an OPEN
  EXPECT_TRUE(sctp::is_ack(sctp::build_ack()));
  EXPECT_FALSE(sctp::is_ack(kLossyOpen));
}

TEST(DataChannels, AdoptsThePeersChannelsAndAcks) {
  sctp::DataChannels dc(/*dtls_server=*/true, 8);
  auto in = dc.on_message(0, 50, kLossyOpen);
  EXPECT_EQ(in.drop, sctp::DataChannels::Drop::kNone);
  ASSERT_NE(in.opened, nullptr);
  EXPECT_EQ(in.opened->label, "_lossy");
  EXPECT_EQ(in.reply, sctp::build_ack());
  ASSERT_NE(dc.find("_lossy"), nullptr);
  EXPECT_EQ(dc.find("_lossy")->stream, 0);

  const auto payload = bytes("hello");
  in = dc.on_message(0, 53, payload);
  ASSERT_NE(in.channel, nullptr);
  EXPECT_TRUE(in.binary);
  EXPECT_EQ(std::vector<uint8_t>(in.payload.begin(), in.payload.end()), payload);
  in = dc.on_message(0, 56, std::vector<uint8_t>{0});  // empty string
  ASSERT_NE(in.channel, nullptr);
  EXPECT_FALSE(in.binary);
  EXPECT_TRUE(in.payload.empty());

  EXPECT_EQ(dc.on_message(2, 53, payload).drop, sctp::DataChannels::Drop::kUnknownStream);
  EXPECT_EQ(dc.on_message(0, 99, payload).drop, sctp::DataChannels::Drop::kUnknownPpid);
  EXPECT_EQ(dc.on_message(2, 50, payload).drop, sctp::DataChannels::Drop::kDcepMalformed);
  // Odd streams are ours as the DTLS server: the peer may not open them.
  in = dc.on_message(1, 50, kLossyOpen);
  EXPECT_EQ(in.drop, sctp::DataChannels::Drop::kDcepWrongParity);
  EXPECT_TRUE(in.reset_stream);

  ASSERT_TRUE(dc.on_stream_reset(0));
  EXPECT_EQ(dc.find("_lossy"), nullptr);
  EXPECT_FALSE(dc.on_stream_reset(0));
}

TEST(DataChannels, OpensOnItsOwnParityAndBoundsTheTable) {
  sctp::DataChannels dc(/*dtls_server=*/false, 3);
  auto a = dc.open("_reliable", {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->channel.stream, 0);
  auto parsed = sctp::parse_open(a->open);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->label, "_reliable");
  auto b = dc.open("_lossy", {false, 0u, {}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->channel.stream, 2);
  EXPECT_TRUE(dc.on_message(1, 50, kLossyOpen).opened);
  EXPECT_FALSE(dc.open("more", {}).ok());
  auto refused = dc.on_message(3, 50, kLossyOpen);
  EXPECT_EQ(refused.drop, sctp::DataChannels::Drop::kTooManyChannels);
  EXPECT_TRUE(refused.reset_stream);
}

// Two associations wired back to back: each one's packets are queued and
// delivered to the other outside usrsctp (as the DTLS transport does).
class SctpPair : public ::testing::Test {
 protected:
  struct Got {
    uint16_t stream;
    uint32_t ppid;
    std::vector<uint8_t> msg;
  };
  struct End {
    std::unique_ptr<sctp::Association> a;
    std::deque<std::vector<uint8_t>> outbox;
    std::vector<Got> got;
    std::vector<uint16_t> resets;
    bool up = false;
    bool deliver = true;  // false: the peer's packets wait (a stalled path or reader)
    std::deque<std::vector<uint8_t>> held;
  };

  void make(End& e, uint32_t send_buffer) {
    sctp::AssociationOptions o;
    o.send_buffer = send_buffer;
    sctp::Association::Events ev;
    ev.on_message = [&e](uint16_t s, uint32_t p, std::span<const uint8_t> m) {
      e.got.push_back({s, p, {m.begin(), m.end()}});
    };
    ev.on_stream_reset = [&e](uint16_t s) { e.resets.push_back(s); };
    ev.on_state = [&e](bool up) { e.up = up; };
    auto r = sctp::Association::create(
        o, [&e](std::span<const uint8_t> p) { e.outbox.emplace_back(p.begin(), p.end()); },
        std::move(ev));
    ASSERT_TRUE(r.ok()) << r.error().message;
    e.a = std::move(*r);
  }
  void SetUp() override {
    make(x_, 1024 * 1024);
    make(y_, 64 * 1024);
    pump();
    ASSERT_TRUE(x_.up && y_.up);
  }
  // Ending an association sends an ABORT through its output: before the
  // outboxes go.
  void TearDown() override {
    x_.a.reset();
    y_.a.reset();
  }
  // Delivers queued packets both ways until quiet, advancing timers.
  void pump(int rounds = 200) {
    for (int i = 0; i < rounds; ++i) {
      bool moved = false;
      for (auto [from, to] : {std::pair{&x_, &y_}, std::pair{&y_, &x_}}) {
        while (!from->outbox.empty()) {
          auto p = std::move(from->outbox.front());
          from->outbox.pop_front();
          to->held.push_back(std::move(p));
          moved = true;
        }
        while (to->deliver && !to->held.empty()) {
          auto p = std::move(to->held.front());
          to->held.pop_front();
          to->a->input(p);
        }
      }
      now_ms_ += 10;
      sctp::Stack::tick(now_ms_);
      if (!moved && x_.outbox.empty() && y_.outbox.empty() && i > 5) break;
    }
  }
  End x_, y_;
  // usrsctp's clock is process-wide: it goes on from test to test.
  static inline uint64_t now_ms_ = 1'000'000;
};

TEST_F(SctpPair, CarriesReliableAndUnorderedMessagesOfAnySize) {
  const sctp::Reliability reliable;
  const sctp::Reliability lossy{false, 0u, {}};
  std::vector<uint8_t> big(200 * 1000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  EXPECT_EQ(x_.a->send(0, 53, bytes("first"), reliable), sctp::SendResult::kSent);
  EXPECT_EQ(x_.a->send(2, 51, bytes("lossy"), lossy), sctp::SendResult::kSent);
  EXPECT_EQ(x_.a->send(0, 53, big, reliable), sctp::SendResult::kSent);
  EXPECT_EQ(x_.a->send(0, 51, {}, reliable), sctp::SendResult::kSent);
  pump();
  ASSERT_EQ(y_.got.size(), 4u);
  for (const Got& g : y_.got) {
    if (g.stream == 2) {
      EXPECT_EQ(g.msg, bytes("lossy"));
    }
  }
  std::vector<const Got*> on0;
  for (const Got& g : y_.got) {
    if (g.stream == 0) on0.push_back(&g);
  }
  ASSERT_EQ(on0.size(), 3u);
  EXPECT_EQ(on0[0]->msg, bytes("first"));
  EXPECT_EQ(on0[1]->msg, big);   // one message, reassembled
  EXPECT_EQ(on0[2]->ppid, 56u);  // the empty string, on the wire as one zero byte
  EXPECT_EQ(y_.a->counters().messages_in, 4u);
}

TEST_F(SctpPair, AFullSendBufferRefusesInsteadOfGrowing) {
  // y's buffer is 64 KiB and nothing reaches x for a while: y's sends fill
  // the buffer, and further sends are refused at once.
  x_.deliver = false;
  const std::vector<uint8_t> chunk(8 * 1024, 1);
  int sent = 0;
  sctp::SendResult last = sctp::SendResult::kSent;
  for (int i = 0; i < 100 && last == sctp::SendResult::kSent; ++i) {
    last = y_.a->send(0, 53, chunk, {});
    if (last == sctp::SendResult::kSent) ++sent;
    pump(2);
  }
  EXPECT_EQ(last, sctp::SendResult::kBufferFull);
  EXPECT_GT(sent, 0);
  EXPECT_LE(sent, 10);
  // The status says what is in flight and unacknowledged.
  const sctp::Association::Status st = y_.a->status();
  EXPECT_TRUE(st.ok);
  EXPECT_GT(st.unacked_chunks, 0u);
  EXPECT_GT(st.cwnd, 0u);
  EXPECT_GT(st.rto_ms, 0u);
  // The path clears: the backlog drains, y can send again, x got it all.
  x_.deliver = true;
  for (int i = 0; i < 100 && last != sctp::SendResult::kSent; ++i) {
    pump(1);
    last = y_.a->send(0, 53, chunk, {});
  }
  EXPECT_EQ(last, sctp::SendResult::kSent);
  pump();
  EXPECT_EQ(x_.a->counters().messages_in, static_cast<uint64_t>(sent + 1));
}

TEST_F(SctpPair, AMessageOverTheAdvertisedMaximumIsDroppedAndCounted) {
  const std::vector<uint8_t> huge(300 * 1000, 9);  // over the default 256 KiB
  EXPECT_EQ(x_.a->send(0, 53, huge, {}), sctp::SendResult::kSent);
  EXPECT_EQ(x_.a->send(0, 53, bytes("next"), {}), sctp::SendResult::kSent);
  pump();
  ASSERT_EQ(y_.got.size(), 1u);  // the next one still arrives
  EXPECT_EQ(y_.got[0].msg, bytes("next"));
  EXPECT_EQ(y_.a->counters().dropped_too_large_in, 1u);
}

TEST_F(SctpPair, AStreamResetReachesThePeer) {
  EXPECT_EQ(x_.a->send(4, 53, bytes("x"), {}), sctp::SendResult::kSent);
  pump();
  x_.a->reset_stream(4);
  pump();
  ASSERT_EQ(y_.resets.size(), 1u);
  EXPECT_EQ(y_.resets[0], 4);
}

TEST_F(SctpPair, EndingOneSideTellsTheOther) {
  x_.a.reset();  // ABORT (linger 0)
  pump();
  EXPECT_FALSE(y_.up);
  EXPECT_EQ(y_.a->send(0, 53, bytes("late"), {}), sctp::SendResult::kNotConnected);
}
