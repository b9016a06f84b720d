// The session model without sockets: sequences of offers and answers on one
// participant's connection, and what each step changes (publications,
// subscriptions) and answers. Both SDP roles.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "slowpath/sdp/sdp.hpp"
#include "slowpath/session/participant_media.hpp"

namespace edgesfu::sp::session {
namespace {

using sdp::Direction;

// One m-line of a browser's offer.
struct M {
  std::string kind;  // audio, video
  std::string mid;
  std::string dir = "sendonly";
  uint32_t ssrc = 0;      // 0: no a=ssrc
  uint32_t rtx_ssrc = 0;  // video only
  int port = 9;
  bool bundle_only = false;
};

// A browser-like offer (Chromium's codecs and extensions) for `ms`.
std::string offer_text(const std::vector<M>& ms) {
  std::string s = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
  for (const M& m : ms) {
    if (m.port != 0 || m.bundle_only) s += " " + m.mid;
  }
  s += "\r\na=msid-semantic: WMS\r\n";
  for (const M& m : ms) {
    if (m.kind == "application") {
      s += "m=application " + std::to_string(m.port) +
           " UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"
           "a=ice-pwd:0123456789012345678901\r\na=fingerprint:sha-256 11:22:33\r\n"
           "a=setup:actpass\r\na=mid:" +
           m.mid + "\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
      continue;
    }
    if (m.kind == "audio") {
      s += "m=audio " + std::to_string(m.port) + " UDP/TLS/RTP/SAVPF 111 0\r\n";
    } else {
      s += "m=video " + std::to_string(m.port) + " UDP/TLS/RTP/SAVPF 96 97 102\r\n";
    }
    s += "c=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
         "a=fingerprint:sha-256 11:22:33\r\na=setup:actpass\r\na=mid:" +
         m.mid + "\r\n";
    if (m.bundle_only) s += "a=bundle-only\r\n";
    s += "a=" + m.dir + "\r\na=rtcp-mux\r\na=rtcp-rsize\r\n";
    if (m.kind == "audio") {
      s += "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
           "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
           "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
           "a=rtcp-fb:111 transport-cc\r\na=rtpmap:0 PCMU/8000\r\n";
    } else {
      s += "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
           "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
           "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
           "a=rtcp-fb:96 ccm fir\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
           "a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n";
    }
    if (m.ssrc != 0) {
      if (m.rtx_ssrc != 0) {
        s += "a=ssrc-group:FID " + std::to_string(m.ssrc) + " " + std::to_string(m.rtx_ssrc) +
             "\r\n";
      }
      s += "a=ssrc:" + std::to_string(m.ssrc) + " cname:c\r\n";
      if (m.rtx_ssrc != 0) s += "a=ssrc:" + std::to_string(m.rtx_ssrc) + " cname:c\r\n";
    }
  }
  return s;
}

sdp::Session offer(const std::vector<M>& ms) {
  auto r = sdp::parse(offer_text(ms));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : sdp::Session{};
}

sdp::LocalTransport local() {
  return {
      "lite", "0123456789012345678901", {"1 1 UDP 2130706431 198.18.0.2 50000 typ host"}, "AA:BB"};
}

uint32_t g_ssrc = 0x5000;
ParticipantMedia participant() {
  return ParticipantMedia([] { return ++g_ssrc; });
}

// A browser's answer to our offer: it receives what we send, sends nothing,
// and is the DTLS client.
sdp::Session browser_answer(const sdp::Session& ours,
                            const std::vector<std::string>& refuse_mids = {}) {
  sdp::Session a = ours;
  a.ice_lite = false;
  a.bundle.clear();
  for (sdp::Media& m : a.media) {
    const bool refuse =
        std::find(refuse_mids.begin(), refuse_mids.end(), m.mid) != refuse_mids.end();
    if (m.port == 0 || refuse) {
      m.port = 0;
      m.direction = Direction::kInactive;
      continue;
    }
    a.bundle.push_back(m.mid);
    m.setup = "active";
    m.direction = m.direction == Direction::kSendOnly   ? Direction::kRecvOnly
                  : m.direction == Direction::kRecvOnly ? Direction::kSendOnly
                                                        : m.direction;
    m.ssrc_attrs.clear();
    m.ssrc_groups.clear();
    m.msid.clear();
  }
  auto r = sdp::parse(sdp::write(a));  // through text, as a real answer comes
  EXPECT_TRUE(r.ok());
  return r.value();
}

// The publisher's MID extension: it names the publisher's m-line, so the
// fast path must never relay it (a subscriber would demux by it).
constexpr const char* kMid = "urn:ietf:params:rtp-hdrext:sdes:mid";

SourceTrack source(const std::string& sid, const std::string& kind, uint32_t ssrc) {
  SourceTrack t;
  t.sid = sid;
  t.stream = "PA_pub";
  t.desc.mid = "0";
  t.desc.kind = kind;
  t.desc.ssrc = ssrc;
  if (kind == "audio") {
    t.desc.codec = {111, "opus", 48000, 2, "minptime=10;useinbandfec=1", {}, -1};
    t.desc.extmaps = {{1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"}, {4, kMid}};
  } else {
    t.desc.codec = {96, "VP8", 90000, 0, "", {"nack", "nack pli"}, 97};
    t.desc.rtx_ssrc = ssrc + 1;
    t.desc.extmaps = {{4, kMid}};
  }
  return t;
}

std::vector<std::string> mids(const std::vector<Publication>& v) {
  std::vector<std::string> out;
  for (const auto& p : v) out.push_back(p.mid);
  return out;
}
std::vector<std::string> sources(const std::vector<Subscription>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(s.source);
  return out;
}
using Strings = std::vector<std::string>;

// Answers `ms` and checks the answer parses back; returns it.
sdp::Session answer(ParticipantMedia& p, const std::vector<M>& ms,
                    const std::vector<SourceTrack>& wanted, Changes& c) {
  auto a = p.answer_offer(offer(ms), local(), wanted, c);
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message);
  if (!a.ok()) return {};
  auto back = sdp::parse(sdp::write(a.value()));
  EXPECT_TRUE(back.ok());
  return back.value();
}

TEST(SessionTest, PublisherAddsRemovesRecyclesAndChangesDirection) {
  ParticipantMedia p = participant();
  Changes c;
  // publish audio + video (with RTX)
  auto a =
      answer(p, {{"audio", "0", "sendonly", 1001}, {"video", "1", "sendonly", 2001, 2002}}, {}, c);
  EXPECT_EQ(mids(c.published), (Strings{"0", "1"}));
  EXPECT_TRUE(c.unpublished.empty() && c.subscribed.empty());
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_TRUE(a.ice_lite);
  EXPECT_EQ(a.bundle, (Strings{"0", "1"}));
  EXPECT_EQ(a.media[0].direction, Direction::kRecvOnly);
  EXPECT_EQ(a.media[0].setup, "passive");
  EXPECT_EQ(a.media[1].codec(97)->fmtp, "apt=96");
  EXPECT_EQ(a.media[1].codec(102), nullptr);  // only the chosen codec
  EXPECT_EQ(c.published[1].track.rtx_ssrc, 2002u);
  // the audio's forwarded extensions: audio level and mid (TWCC is not offered to publishers)
  EXPECT_EQ(c.published[0].track.extmaps.size(), 2u);

  // the same offer again: nothing changes
  answer(p, {{"audio", "0", "sendonly", 1001}, {"video", "1", "sendonly", 2001, 2002}}, {}, c);
  EXPECT_TRUE(c.empty());

  // add a track (a screen share)
  a = answer(p,
             {{"audio", "0", "sendonly", 1001},
              {"video", "1", "sendonly", 2001, 2002},
              {"video", "2", "sendonly", 3001, 3002}},
             {}, c);
  EXPECT_EQ(mids(c.published), (Strings{"2"}));
  EXPECT_TRUE(c.unpublished.empty());
  EXPECT_EQ(a.bundle, (Strings{"0", "1", "2"}));

  // remove it (port 0)
  a = answer(p,
             {{"audio", "0", "sendonly", 1001},
              {"video", "1", "sendonly", 2001, 2002},
              {"video", "2", "sendonly", 3001, 3002, 0}},
             {}, c);
  EXPECT_EQ(mids(c.unpublished), (Strings{"2"}));
  EXPECT_TRUE(c.published.empty());
  EXPECT_EQ(a.media[2].port, 0);
  EXPECT_EQ(a.bundle, (Strings{"0", "1"}));

  // recycle the rejected m-line with a new mid and kind
  a = answer(p,
             {{"audio", "0", "sendonly", 1001},
              {"video", "1", "sendonly", 2001, 2002},
              {"audio", "3", "sendonly", 4001}},
             {}, c);
  EXPECT_EQ(mids(c.published), (Strings{"3"}));
  EXPECT_EQ(c.published[0].track.kind, "audio");
  EXPECT_EQ(p.mlines()[2].mid, "3");

  // mute the camera by direction (inactive), then unmute
  answer(p,
         {{"audio", "0", "sendonly", 1001},
          {"video", "1", "inactive", 2001, 2002},
          {"audio", "3", "sendonly", 4001}},
         {}, c);
  EXPECT_EQ(mids(c.unpublished), (Strings{"1"}));
  EXPECT_EQ(p.publications().size(), 2u);
  answer(p,
         {{"audio", "0", "sendonly", 1001},
          {"video", "1", "sendonly", 2001, 2002},
          {"audio", "3", "sendonly", 4001}},
         {}, c);
  EXPECT_EQ(mids(c.published), (Strings{"1"}));

  // a new SSRC on a live m-line (replaceTrack with a new sender) is a new publication
  answer(p,
         {{"audio", "0", "sendonly", 1009},
          {"video", "1", "sendonly", 2001, 2002},
          {"audio", "3", "sendonly", 4001}},
         {}, c);
  EXPECT_EQ(mids(c.unpublished), (Strings{"0"}));
  EXPECT_EQ(mids(c.published), (Strings{"0"}));
  EXPECT_EQ(c.published[0].track.ssrc, 1009u);
}

TEST(SessionTest, SubscriberGainsAndLosesTracksOnALiveConnection) {
  ParticipantMedia p = participant();
  Changes c;
  const std::vector<M> recv = {{"audio", "0", "recvonly"}, {"video", "1", "recvonly"}};
  // nothing published yet: inactive, but the m-lines stay in the BUNDLE
  auto a = answer(p, recv, {}, c);
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(a.media[0].direction, Direction::kInactive);
  EXPECT_EQ(a.bundle, (Strings{"0", "1"}));

  const SourceTrack A = source("TR_A", "audio", 0xA0);
  const SourceTrack V = source("TR_V", "video", 0xB0);
  a = answer(p, recv, {V, A}, c);
  EXPECT_EQ(sources(c.subscribed), (Strings{"TR_A", "TR_V"}));  // in m-line order
  EXPECT_EQ(a.media[0].direction, Direction::kSendOnly);
  EXPECT_EQ(a.media[0].msid, "PA_pub TR_A");
  const Subscription& sv = c.subscribed[1];
  EXPECT_EQ(sv.track.pt_map, (std::vector<std::pair<uint8_t, uint8_t>>{{96, 96}}));
  EXPECT_NE(sv.track.rtx_ssrc, 0u);
  EXPECT_EQ(sv.track.rtx_pt, 97);
  EXPECT_EQ(a.media[1].ssrc_groups.size(), 1u);
  const Subscription& sa = c.subscribed[0];
  EXPECT_EQ(sa.track.ext_map, (std::vector<std::pair<uint8_t, uint8_t>>{{1, 1}}));

  // the same again: kept, same SSRCs
  const uint32_t ssrc_a = sa.track.ssrc;
  answer(p, recv, {V, A}, c);
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(p.subscriptions()[0].track.ssrc, ssrc_a);

  // A's publisher left: its m-line goes inactive, V stays
  a = answer(p, recv, {V}, c);
  EXPECT_EQ(sources(c.unsubscribed), (Strings{"TR_A"}));
  EXPECT_TRUE(c.subscribed.empty());
  EXPECT_EQ(a.media[0].direction, Direction::kInactive);
  EXPECT_EQ(a.media[1].direction, Direction::kSendOnly);

  // after that answer, a new audio track may take the m-line A used: the
  // participant's receiver sees our side start sending again (JSEP's fired
  // direction), a new remote track, as LiveKit reuses transceivers
  const SourceTrack A2 = source("TR_A2", "audio", 0xC0);
  a = answer(p, recv, {V, A2}, c);
  EXPECT_EQ(sources(c.subscribed), (Strings{"TR_A2"}));
  ASSERT_EQ(c.subscribed.size(), 1u);
  EXPECT_EQ(c.subscribed[0].mid, "0");
  EXPECT_NE(c.subscribed[0].track.ssrc, ssrc_a);
  EXPECT_EQ(a.media[0].direction, Direction::kSendOnly);
  EXPECT_EQ(a.media[0].msid, "PA_pub TR_A2");
  EXPECT_EQ(p.mlines()[0].carried, "TR_A2");
  EXPECT_EQ(a.media.size(), 2u);  // no m-line more

  // but not in the very answer that stops the track it carried: A2 leaves
  // and A3 comes in one offer; A3 waits for the next (m-line 0 inactive first)
  const SourceTrack A3 = source("TR_A3", "audio", 0xD0);
  a = answer(p, recv, {V, A3}, c);
  EXPECT_EQ(sources(c.unsubscribed), (Strings{"TR_A2"}));
  EXPECT_TRUE(c.subscribed.empty());
  EXPECT_EQ(a.media[0].direction, Direction::kInactive);
  answer(p, recv, {V, A3}, c);
  EXPECT_EQ(sources(c.subscribed), (Strings{"TR_A3"}));
  ASSERT_EQ(c.subscribed.size(), 1u);
  EXPECT_EQ(c.subscribed[0].mid, "0");
  // a video track never takes an audio m-line
  const SourceTrack V2 = source("TR_V2", "video", 0xE0);
  answer(p, recv, {V2, A3}, c);  // V left: m-line 1 inactive
  answer(p, recv, {V2, A3}, c);
  EXPECT_EQ(sources(c.subscribed), (Strings{"TR_V2"}));
  ASSERT_EQ(c.subscribed.size(), 1u);
  EXPECT_EQ(c.subscribed[0].mid, "1");
}

TEST(SessionTest, SendrecvMlinePublishesAndReceives) {
  ParticipantMedia p = participant();
  Changes c;
  const SourceTrack A = source("TR_A", "audio", 0xA0);
  auto a = answer(p, {{"audio", "0", "sendrecv", 1001}}, {A}, c);
  EXPECT_EQ(mids(c.published), (Strings{"0"}));
  EXPECT_EQ(sources(c.subscribed), (Strings{"TR_A"}));
  EXPECT_EQ(a.media[0].direction, Direction::kSendRecv);
  EXPECT_EQ(a.media[0].codecs.size(), 1u);  // one Opus for both directions
  // it stops receiving (recvonly from us becomes sendonly from it)
  a = answer(p, {{"audio", "0", "sendonly", 1001}}, {A}, c);
  EXPECT_EQ(sources(c.unsubscribed), (Strings{"TR_A"}));
  EXPECT_TRUE(c.unpublished.empty());
  EXPECT_EQ(a.media[0].direction, Direction::kRecvOnly);
}

TEST(SessionTest, ServerOffersTracksAndReusesMlines) {
  ParticipantMedia p = participant();
  Changes c;
  const SourceTrack A = source("TR_A", "audio", 0xA0);
  const SourceTrack V = source("TR_V", "video", 0xB0);
  auto o = p.create_offer(local(), {A, V}, c);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_TRUE(c.empty());  // additions wait for the answer
  EXPECT_TRUE(p.offer_pending());
  auto text = sdp::write(o.value());
  auto parsed = sdp::parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message << "\n" << text;
  const sdp::Session& off = parsed.value();
  ASSERT_EQ(off.media.size(), 2u);
  EXPECT_TRUE(off.ice_lite);
  EXPECT_EQ(off.bundle.size(), 2u);
  EXPECT_EQ(off.media[0].setup, "actpass");
  EXPECT_EQ(off.media[0].direction, Direction::kSendOnly);
  EXPECT_EQ(off.media[1].kind, "video");
  EXPECT_NE(off.media[1].codec(97), nullptr);  // RTX toward the subscriber
  EXPECT_EQ(off.media[1].ssrc_groups.size(), 1u);
  EXPECT_EQ(off.media[0].candidates.size(), 1u);

  ASSERT_TRUE(p.apply_answer(browser_answer(off), c).ok());
  EXPECT_EQ(sources(c.subscribed), (Strings{"TR_A", "TR_V"}));
  EXPECT_FALSE(p.offer_pending());
  for (const Subscription& s : c.subscribed) {
    for (const auto& [from, to] : s.track.ext_map)
      EXPECT_NE(from, 4) << s.source << " relays the MID";
  }

  // A leaves: it stops at once; the m-line stays (inactive) in the next offer
  o = p.create_offer(local(), {V}, c);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(sources(c.unsubscribed), (Strings{"TR_A"}));
  EXPECT_EQ(o.value().media[0].direction, Direction::kInactive);
  const std::string audio_mid = o.value().media[0].mid;
  ASSERT_TRUE(p.apply_answer(browser_answer(o.value()), c).ok());
  EXPECT_TRUE(c.subscribed.empty());  // V was already flowing

  // a new audio track reuses the idle audio m-line (same mid, new direction)
  const SourceTrack A2 = source("TR_A2", "audio", 0xC0);
  o = p.create_offer(local(), {V, A2}, c);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value().media.size(), 2u);
  EXPECT_EQ(o.value().media[0].mid, audio_mid);
  EXPECT_EQ(o.value().media[0].direction, Direction::kSendOnly);
  // the browser refuses that m-line: no subscription; the m-line is rejected
  ASSERT_TRUE(p.apply_answer(browser_answer(o.value(), {audio_mid}), c).ok());
  EXPECT_TRUE(c.subscribed.empty());
  EXPECT_TRUE(p.mlines()[0].rejected);

  // the next audio track recycles the rejected m-line under a new mid
  o = p.create_offer(local(), {V, A2}, c);
  ASSERT_TRUE(o.ok());
  ASSERT_EQ(o.value().media.size(), 2u);
  EXPECT_NE(o.value().media[0].mid, audio_mid);
  EXPECT_NE(o.value().media[0].port, 0);
  ASSERT_TRUE(p.apply_answer(browser_answer(o.value()), c).ok());
  EXPECT_EQ(sources(c.subscribed), (Strings{"TR_A2"}));
  EXPECT_EQ(p.subscriptions().size(), 2u);
}

TEST(SessionTest, RemoteOfferDuringOurOfferRollsOursBack) {
  ParticipantMedia p = participant();
  Changes c;
  const SourceTrack A = source("TR_A", "audio", 0xA0);
  ASSERT_TRUE(p.create_offer(local(), {A}, c).ok());
  ASSERT_TRUE(p.offer_pending());
  // a second offer of ours must wait
  EXPECT_EQ(p.create_offer(local(), {A}, c).error().code, ErrorCode::kConflict);
  answer(p, {{"audio", "0", "sendonly", 1001}}, {A}, c);
  EXPECT_TRUE(c.rolled_back);
  EXPECT_FALSE(p.offer_pending());
  EXPECT_EQ(mids(c.published), (Strings{"0"}));
  EXPECT_FALSE(p.apply_answer(sdp::Session{}, c).ok());  // nothing to answer now
}

TEST(SessionTest, BadSequencesAreErrorsAndChangeNothing) {
  ParticipantMedia p = participant();
  Changes c;
  answer(p, {{"audio", "0", "sendonly", 1001}, {"video", "1", "sendonly", 2001}}, {}, c);
  struct Case {
    std::vector<M> ms;
    const char* why;
  } cases[] = {
      {{{"audio", "0", "sendonly", 1001}}, "fewer than"},
      {{{"audio", "0", "sendonly", 1001}, {"video", "9", "sendonly", 2001}},
       "only a rejected m-line"},
      {{{"audio", "0", "sendonly", 1001}, {"audio", "1", "sendonly", 2001}}, "kind was video"},
      {{{"audio", "0", "sendonly", 1001},
        {"video", "1", "sendonly", 2001},
        {"video", "1", "sendonly", 3001}},
       "used twice"},
      {{{"audio", "0", "sendonly", 1001}, {"video", "1", "sendonly", 0}}, "a=ssrc"},
      {{{"audio", "0", "sendonly", 1001}, {"video", "1", "sendonly", 1001}}, "another m-line"},
  };
  for (const Case& k : cases) {
    auto r = p.answer_offer(offer(k.ms), local(), {}, c);
    ASSERT_FALSE(r.ok()) << k.why;
    EXPECT_NE(r.error().message.find(k.why), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(p.publications().size(), 2u);  // unchanged
  // an answer that would make us the DTLS client
  ASSERT_TRUE(p.create_offer(local(), {source("TR_A", "audio", 5)}, c).ok());
  ParticipantMedia q = participant();
  auto o = q.create_offer(local(), {source("TR_A", "audio", 5)}, c);
  ASSERT_TRUE(o.ok());
  sdp::Session bad = browser_answer(o.value());
  bad.media[0].setup = "passive";
  EXPECT_EQ(q.apply_answer(bad, c).error().code, ErrorCode::kUnsupported);
  EXPECT_TRUE(q.offer_pending());
  sdp::Session shorter = browser_answer(o.value());
  shorter.media.clear();
  EXPECT_FALSE(q.apply_answer(shorter, c).ok());
}

TEST(SessionTest, OneTransportPerParticipantMeansOneBundleGroup) {
  Changes c;
  std::string text =
      offer_text({{"audio", "0", "sendonly", 1001}, {"video", "1", "sendonly", 2001}});
  // no BUNDLE group with two m-lines in use
  std::string none = text;
  none.replace(none.find("a=group:BUNDLE 0 1\r\n"), std::string("a=group:BUNDLE 0 1\r\n").size(),
               "");
  ParticipantMedia p = participant();
  auto r = p.answer_offer(sdp::parse(none).value(), local(), {}, c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no BUNDLE group"), std::string::npos);
  // an m-line outside the group is rejected, the rest answered
  std::string partial = text;
  partial.replace(partial.find("a=group:BUNDLE 0 1"), std::string("a=group:BUNDLE 0 1").size(),
                  "a=group:BUNDLE 0");
  ParticipantMedia q = participant();
  auto a = q.answer_offer(sdp::parse(partial).value(), local(), {}, c);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(mids(c.published), (Strings{"0"}));
  EXPECT_EQ(a.value().media[1].port, 0);
  EXPECT_EQ(a.value().bundle, (Strings{"0"}));
  // another ICE password on one bundled m-line
  std::string two = text;
  const auto second = two.find("a=ice-pwd:", two.find("m=video"));
  two.replace(second, std::string("a=ice-pwd:0123456789012345678901").size(),
              "a=ice-pwd:xxxxxxxxxxxxxxxxxxxxxx");
  ParticipantMedia t = participant();
  EXPECT_FALSE(t.answer_offer(sdp::parse(two).value(), local(), {}, c).ok());
}

TEST(SessionTest, AnswerThatStopsReceivingEndsTheSubscription) {
  ParticipantMedia p = participant();
  Changes c;
  const SourceTrack A = source("TR_A", "audio", 0xA0);
  const SourceTrack V = source("TR_V", "video", 0xB0);
  auto o = p.create_offer(local(), {A, V}, c);
  ASSERT_TRUE(o.ok());
  ASSERT_TRUE(p.apply_answer(browser_answer(o.value()), c).ok());
  ASSERT_EQ(c.subscribed.size(), 2u);
  // the next answer rejects V's m-line: V is let go (its downtrack removed)
  o = p.create_offer(local(), {A, V}, c);
  ASSERT_TRUE(o.ok());
  ASSERT_TRUE(p.apply_answer(browser_answer(o.value(), {o.value().media[1].mid}), c).ok());
  EXPECT_EQ(sources(c.unsubscribed), (Strings{"TR_V"}));
  EXPECT_EQ(p.subscriptions().size(), 1u);
  // and an answer that turns A's m-line inactive lets A go too
  o = p.create_offer(local(), {A}, c);
  ASSERT_TRUE(o.ok());
  sdp::Session inactive = browser_answer(o.value());
  inactive.media[0].direction = Direction::kInactive;
  ASSERT_TRUE(p.apply_answer(inactive, c).ok());
  EXPECT_EQ(sources(c.unsubscribed), (Strings{"TR_A"}));
  EXPECT_TRUE(p.subscriptions().empty());
}

// Two publishers number different codecs alike (VP8 and H264 both 96, as a
// browser and GStreamer do): in one BUNDLE each payload type names one codec.
TEST(SessionTest, ServerOfferKeepsPayloadTypesUniqueInTheBundle) {
  ParticipantMedia p = participant();
  Changes c;
  SourceTrack v = source("TR_V", "video", 0xB0);
  SourceTrack h = source("TR_H", "video", 0xC0);
  h.desc.codec = {96,       "H264", 90000, 0, "packetization-mode=1;profile-level-id=42e01f",
                  {"nack"}, 97};
  auto o = p.create_offer(local(), {v, h}, c);
  ASSERT_TRUE(o.ok());
  std::map<uint8_t, std::string> names;
  for (const sdp::Media& m : o.value().media) {
    for (const sdp::Codec& k : m.codecs) {
      const std::string name = k.name + "/" + k.fmtp;
      auto [it, fresh] = names.emplace(k.pt, name);
      EXPECT_TRUE(fresh || it->second == name)
          << int(k.pt) << ": " << it->second << " and " << name;
    }
  }
  ASSERT_TRUE(p.apply_answer(browser_answer(o.value()), c).ok());
  ASSERT_EQ(c.subscribed.size(), 2u);
  EXPECT_EQ(c.subscribed[0].track.pt_map[0], (std::pair<uint8_t, uint8_t>{96, 96}));
  EXPECT_EQ(c.subscribed[1].track.pt_map[0].first, 96);
  EXPECT_NE(c.subscribed[1].track.pt_map[0].second, 96);
  EXPECT_NE(c.subscribed[1].track.rtx_pt, c.subscribed[0].track.rtx_pt);
}

TEST(SessionTest, ReofferWithoutRtxResubscribesWithoutIt) {
  ParticipantMedia p = participant();
  Changes c;
  const SourceTrack V = source("TR_V", "video", 0xB0);
  const std::vector<M> recv = {{"video", "0", "recvonly"}};
  answer(p, recv, {V}, c);
  ASSERT_EQ(c.subscribed.size(), 1u);
  EXPECT_NE(c.subscribed[0].track.rtx_ssrc, 0u);
  std::string text = offer_text(recv);
  for (const char* line : {"a=rtpmap:97 rtx/90000\r\n", "a=fmtp:97 apt=96\r\n"}) {
    text.replace(text.find(line), std::string(line).size(), "");
  }
  auto a = p.answer_offer(sdp::parse(text).value(), local(), {V}, c);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(sources(c.unsubscribed), (Strings{"TR_V"}));
  ASSERT_EQ(c.subscribed.size(), 1u);
  EXPECT_EQ(c.subscribed[0].track.rtx_ssrc, 0u);
  EXPECT_EQ(a.value().media[0].codec(97), nullptr);
}

TEST(SessionTest, UnsupportedCodecsRefuseTheMlineNotTheOffer) {
  ParticipantMedia p = participant();
  Changes c;
  std::string text =
      offer_text({{"audio", "0", "sendonly", 1001}, {"video", "1", "sendonly", 2001}});
  for (const char* from : {"VP8/90000", "H264/90000"})
    text.replace(text.find(from), std::string(from).size(), "AV1/90000");
  auto o = sdp::parse(text);
  ASSERT_TRUE(o.ok());
  auto a = p.answer_offer(o.value(), local(), {}, c);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(mids(c.published), (Strings{"0"}));
  ASSERT_EQ(c.refused.size(), 1u);
  EXPECT_NE(c.refused[0].find("VP8"), std::string::npos);
  EXPECT_EQ(a.value().media[1].port, 0);
}

TEST(SessionTest, BundleOnlyMlinesAreAnsweredLikeAnyOther) {
  ParticipantMedia p = participant();
  Changes c;
  auto a = answer(
      p, {{"audio", "0", "sendonly", 1001}, {"video", "1", "sendonly", 2001, 0, 0, true}}, {}, c);
  EXPECT_EQ(mids(c.published), (Strings{"0", "1"}));
  EXPECT_NE(a.media[1].port, 0);
}

}  // namespace
}  // namespace edgesfu::sp::session

namespace edgesfu::sp::session {
namespace {

TEST(SessionTest, DataSectionAcceptedOnlyWhenTheDoorRelaysData) {
  const std::vector<M> ms = {{"audio", "0", "recvonly"}, {"application", "1", ""}};
  {
    ParticipantMedia p = participant();  // WHIP/WHEP: no data channels
    Changes c;
    sdp::Session a = answer(p, ms, {}, c);
    ASSERT_EQ(a.media.size(), 2u);
    EXPECT_EQ(a.media[1].port, 0);
    EXPECT_FALSE(c.data_opened);
    EXPECT_FALSE(p.data());
  }
  ParticipantMedia p = participant();
  p.accept_data_channels(65535);
  Changes c;
  sdp::Session a = answer(p, ms, {}, c);
  ASSERT_EQ(a.media.size(), 2u);
  const sdp::Media& d = a.media[1];
  EXPECT_EQ(d.port, 9);
  EXPECT_EQ(d.proto, "UDP/DTLS/SCTP");
  EXPECT_EQ(d.fmts, Strings{"webrtc-datachannel"});
  EXPECT_EQ(d.setup, "passive");
  EXPECT_NE(std::find(d.other.begin(), d.other.end(), "sctp-port:5000"), d.other.end());
  EXPECT_NE(std::find(d.other.begin(), d.other.end(), "max-message-size:65535"), d.other.end());
  EXPECT_NE(std::find(a.bundle.begin(), a.bundle.end(), "1"), a.bundle.end());
  // No direction attribute on a data section (RFC 8841 §5.1).
  const std::string text = sdp::write(a);
  const std::string data_part = text.substr(text.find("m=application"));
  EXPECT_EQ(data_part.find("a=sendrecv"), std::string::npos);
  EXPECT_TRUE(c.data_opened);
  ASSERT_TRUE(p.data());
  EXPECT_EQ(p.data()->mid, "1");
  EXPECT_EQ(p.data()->sctp_port, 5000);
  EXPECT_EQ(p.data()->max_message, 262144u);

  // A re-offer keeps it (nothing new); a second data section is refused.
  const std::vector<M> more = {
      {"audio", "0", "recvonly"}, {"application", "1", ""}, {"application", "2", ""}};
  a = answer(p, more, {}, c);
  ASSERT_EQ(a.media.size(), 3u);
  EXPECT_EQ(a.media[1].port, 9);
  EXPECT_EQ(a.media[2].port, 0);
  EXPECT_FALSE(c.data_opened);
  EXPECT_FALSE(c.data_closed);

  // A re-offer that rejects it closes the data channels.
  std::vector<M> gone = more;
  gone[1].port = 0;
  a = answer(p, gone, {}, c);
  EXPECT_TRUE(c.data_closed);
  EXPECT_FALSE(p.data());
}

TEST(SessionTest, DataSectionAttributesAreChecked) {
  sdp::Media m;
  m.kind = "application";
  m.proto = "UDP/DTLS/SCTP";
  m.fmts = {"webrtc-datachannel"};
  m.mid = "d";
  EXPECT_TRUE(sdp::is_data_channel(m));
  auto d = sdp::data_section(m);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->sctp_port, 5000);
  EXPECT_EQ(d->max_message, 65536u);
  for (const char* bad : {"sctp-port:0", "sctp-port:70000", "sctp-port:x",
                          "sctp-port:", "max-message-size:-1", "max-message-size:1e9"}) {
    m.other = {bad};
    EXPECT_FALSE(sdp::data_section(m).ok()) << bad;
  }
  m.other = {"sctp-port:5001", "max-message-size:0"};
  d = sdp::data_section(m);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->sctp_port, 5001);
  EXPECT_EQ(d->max_message, 0u);
  m.fmts = {"5000"};  // the pre-RFC 8841 form
  EXPECT_FALSE(sdp::is_data_channel(m));
}

}  // namespace
}  // namespace edgesfu::sp::session
