#include <gtest/gtest.h>

#include <set>

#include "slowpath/sdp/sdp.hpp"

namespace edgesfu::sp::sdp {
namespace {

// The shape of a Chromium WHIP offer (audio + video, BUNDLE, RTX, extmaps).
const char* const kChromeOffer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS stream\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Ab12\r\n"
    "a=ice-pwd:0123456789abcdefghijklmn\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "5D:26:3B:0A:4A:1E:35:63:3C:1D:33:F5:BC:7F:69:E6:1F:2B:39:88:EA:FE:3C:A8:0B:6A:71:1C:37:DE:0F:"
    "72\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendonly\r\n"
    "a=msid:stream audio-track\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=ssrc:1001 cname:abcd\r\n"
    "a=ssrc:1001 msid:stream audio-track\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Ab12\r\n"
    "a=ice-pwd:0123456789abcdefghijklmn\r\n"
    "a=fingerprint:sha-256 "
    "5D:26:3B:0A:4A:1E:35:63:3C:1D:33:F5:BC:7F:69:E6:1F:2B:39:88:EA:FE:3C:A8:0B:6A:71:1C:37:DE:0F:"
    "72\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3/sendonly "
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=sendonly\r\n"
    "a=msid:stream video-track\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=ssrc-group:FID 2001 2002\r\n"
    "a=ssrc:2001 cname:abcd\r\n"
    "a=ssrc:2002 cname:abcd\r\n"
    "a=candidate:1 1 udp 2122260223 198.18.0.1 54321 typ host generation 0\r\n"
    "a=end-of-candidates\r\n";

TEST(SdpTest, ParsesAChromiumOffer) {
  auto r = parse(kChromeOffer);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Session& s = r.value();
  EXPECT_EQ(s.bundle, (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(s.media.size(), 2u);
  const Media& a = s.media[0];
  EXPECT_EQ(a.kind, "audio");
  EXPECT_EQ(a.mid, "0");
  EXPECT_EQ(a.direction, Direction::kSendOnly);
  EXPECT_TRUE(a.rtcp_mux);
  EXPECT_EQ(ice_ufrag(s, a), "Ab12");
  EXPECT_EQ(a.fingerprint_alg, "sha-256");
  EXPECT_EQ(a.setup, "actpass");
  ASSERT_NE(a.codec(111), nullptr);
  EXPECT_EQ(a.codec(111)->name, "opus");
  EXPECT_EQ(a.codec(111)->clock_rate, 48000u);
  EXPECT_EQ(a.codec(111)->channels, 2);
  EXPECT_EQ(a.codec(111)->fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(a.codec(111)->rtcp_fb, (std::vector<std::string>{"transport-cc"}));
  ASSERT_EQ(a.extmaps.size(), 4u);
  EXPECT_EQ(a.extmaps[0].id, 1);
  EXPECT_EQ(a.extmaps[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  EXPECT_EQ(a.ssrcs(), (std::vector<uint32_t>{1001}));
  EXPECT_EQ(a.msid, "stream audio-track");

  const Media& v = s.media[1];
  EXPECT_TRUE(v.rtcp_rsize);
  EXPECT_EQ(v.codec(96)->rtcp_fb.size(), 5u);
  EXPECT_EQ(v.codec(97)->fmtp, "apt=96");
  EXPECT_EQ(v.codec(102)->fmtp,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
  EXPECT_EQ(v.extmaps[2].direction, "sendonly");
  ASSERT_EQ(v.ssrc_groups.size(), 1u);
  EXPECT_EQ(v.ssrc_groups[0].semantics, "FID");
  EXPECT_EQ(v.ssrc_groups[0].ssrcs, (std::vector<uint32_t>{2001, 2002}));
  ASSERT_EQ(v.candidates.size(), 1u);
  EXPECT_TRUE(v.end_of_candidates);
}

TEST(SdpTest, WriteThenParseKeepsWhatMatters) {
  auto r = parse(kChromeOffer);
  ASSERT_TRUE(r.ok());
  const std::string text = write(r.value());
  auto again = parse(text);
  ASSERT_TRUE(again.ok()) << again.error().message;
  const Session& a = r.value();
  const Session& b = again.value();
  ASSERT_EQ(a.media.size(), b.media.size());
  EXPECT_EQ(a.bundle, b.bundle);
  for (std::size_t i = 0; i < a.media.size(); ++i) {
    EXPECT_EQ(a.media[i].mid, b.media[i].mid);
    EXPECT_EQ(a.media[i].direction, b.media[i].direction);
    EXPECT_EQ(a.media[i].codecs.size(), b.media[i].codecs.size());
    EXPECT_EQ(a.media[i].extmaps.size(), b.media[i].extmaps.size());
    EXPECT_EQ(a.media[i].ssrc_attrs, b.media[i].ssrc_attrs);
    EXPECT_EQ(a.media[i].fingerprint, b.media[i].fingerprint);
  }
  EXPECT_NE(text.find("\r\n"), std::string::npos);
}

TEST(SdpTest, RejectsMalformed) {
  const struct {
    const char* text;
    const char* expect;
  } cases[] = {
      {"", "empty"},
      {"x=1\r\n", "starts with v=0"},
      {"v=0\r\nnot a line\r\n", "line 2"},
      {"v=0\r\nm=audio\r\n", "m= needs"},
      {"v=0\r\nm=audio x UDP 111\r\n", "port"},
      {"v=0\r\nm=audio 9 UDP 111\r\na=rtpmap:300 opus/48000\r\n", "rtpmap"},
      {"v=0\r\nm=audio 9 UDP 111\r\na=rtpmap:111 opus\r\n", "clock"},
      {"v=0\r\nm=audio 9 UDP 111\r\na=extmap:0 urn:x\r\n", "extmap"},
      {"v=0\r\nm=audio 9 UDP 111\r\na=ssrc:abc cname:x\r\n", "SSRC"},
      {"v=0\r\nm=audio 9 UDP 111\r\na=fingerprint:sha-256\r\n", "fingerprint"},
      {"v=0\r\nm=audio 9 UDP 111\r\na=ssrc-group:FID\r\n", "ssrc-group"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(parse(std::string(70000, 'a')).ok());
}

}  // namespace
}  // namespace edgesfu::sp::sdp

#include "slowpath/sdp/negotiate.hpp"
#include "slowpath/session/participant_media.hpp"

// WHIP and WHEP answers as the session model writes them: a publisher's
// Chromium offer, a subscriber's, GStreamer's max-bundle offer, and the
// offers that are refused.
namespace edgesfu::sp::sdp {
namespace {

using session::Changes;
using session::ParticipantMedia;
using session::SourceTrack;

LocalTransport local() {
  return LocalTransport{"lite",
                        "0123456789012345678901",
                        {"1 1 UDP 2015363327 198.18.0.2 50000 typ host"},
                        "AA:BB:CC"};
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

uint32_t g_next_ssrc = 0x1000;
ParticipantMedia participant() {
  return ParticipantMedia([] { return ++g_next_ssrc; });
}

TEST(NegotiateTest, PublishAnswerForAChromiumOffer) {
  auto offer = parse(kChromeOffer);
  ASSERT_TRUE(offer.ok());
  ParticipantMedia p = participant();
  Changes c;
  auto answer = p.answer_offer(offer.value(), local(), {}, c);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(c.published.size(), 2u);
  const PublishedTrack& a = c.published[0].track;
  EXPECT_EQ(a.kind, "audio");
  EXPECT_EQ(a.codec.name, "opus");
  EXPECT_EQ(a.codec.pt, 111);
  EXPECT_EQ(a.ssrc, 1001u);
  EXPECT_EQ(a.rtx_ssrc, 0u);
  EXPECT_EQ(a.extmaps.size(), 3u);  // relayed: audio level, abs-send-time, MID
  EXPECT_EQ(a.twcc_ext, 3);         // read by the fast path, not relayed
  EXPECT_EQ(a.mid_ext, 4);
  const PublishedTrack& v = c.published[1].track;
  EXPECT_EQ(v.codec.name, "VP8");
  EXPECT_EQ(v.codec.rtx_pt, 97);
  EXPECT_EQ(v.ssrc, 2001u);
  EXPECT_EQ(v.rtx_ssrc, 2002u);
  EXPECT_EQ(v.extmaps.size(), 1u);  // toffset and transport-cc are not relayed
  EXPECT_EQ(v.twcc_ext, 3);
  EXPECT_EQ(v.codec.rtcp_fb.size(), 5u);  // transport-cc included: the fast path sends it
  EXPECT_TRUE(v.rids.empty());

  const std::string text = write(answer.value());
  auto ans = parse(text);
  ASSERT_TRUE(ans.ok()) << ans.error().message;
  EXPECT_TRUE(ans.value().ice_lite);
  EXPECT_EQ(ans.value().bundle, (std::vector<std::string>{"0", "1"}));
  for (const Media& m : ans.value().media) {
    EXPECT_EQ(m.direction, Direction::kRecvOnly);
    EXPECT_EQ(m.setup, "passive");
    EXPECT_EQ(m.fingerprint, "AA:BB:CC");
    EXPECT_TRUE(m.rtcp_mux);
    EXPECT_EQ(m.candidates.size(), 1u);
  }
  EXPECT_NE(ans.value().media[1].codec(97), nullptr);
  EXPECT_EQ(ans.value().media[1].codec(97)->fmtp, "apt=96");
  EXPECT_EQ(ans.value().media[1].codec(102), nullptr);  // only the chosen codec
  // Each extension once per m-line (relayed ones and those the fast path reads overlap).
  for (const Media& m : ans.value().media) {
    std::set<int> ids;
    for (const Extmap& e : m.extmaps) EXPECT_TRUE(ids.insert(e.id).second) << m.mid << " " << e.uri;
  }
  // Transport-wide feedback promised: its extension and rtcp-fb.
  const Media& av = ans.value().media[1];
  EXPECT_TRUE(std::any_of(av.extmaps.begin(), av.extmaps.end(), [](const Extmap& e) {
    return e.id == 3 && e.uri.find("transport-wide-cc") != std::string::npos;
  }));
  const auto& fb = av.codec(96)->rtcp_fb;
  EXPECT_NE(std::find(fb.begin(), fb.end(), "transport-cc"), fb.end());
  EXPECT_TRUE(av.simulcast_recv.empty());
}

// livekit-client's default camera publication (Chromium): three layers by
// RID, no a=ssrc. The answer receives them (a=rid recv, a=simulcast:recv) and
// lets the publisher send the RID, repaired RID, MID and transport-wide
// sequence number extensions.
TEST(NegotiateTest, SimulcastByRidIsReceived) {
  std::string text = replace_all(kChromeOffer, "a=ssrc-group:FID 2001 2002\r\n", "");
  for (const char* l : {"a=ssrc:2001 cname:abcd\r\n", "a=ssrc:2002 cname:abcd\r\n"}) {
    text = replace_all(text, l, "");
  }
  text = replace_all(text, "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n",
                     "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                     "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
                     "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n");
  text +=
      "a=rid:q send\r\na=rid:h send\r\na=rid:f send max-width=1280;max-height=720\r\n"
      "a=simulcast:send q;h;~f\r\n";
  auto offer = parse(text);
  ASSERT_TRUE(offer.ok()) << offer.error().message;
  const Media& om = offer.value().media[1];
  ASSERT_TRUE(om.ssrcs().empty()) << text;
  ASSERT_EQ(om.rids.size(), 3u);
  EXPECT_EQ(om.rids[2].params, "max-width=1280;max-height=720");
  EXPECT_EQ(om.simulcast_send,
            (std::vector<std::string>{"q", "h", "f"}));  // ~f: paused, still a layer
  ParticipantMedia p = participant();
  Changes c;
  auto answer = p.answer_offer(offer.value(), local(), {}, c);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(c.published.size(), 2u);
  const PublishedTrack& v = c.published[1].track;
  EXPECT_EQ(v.ssrc, 0u);
  EXPECT_EQ(v.rids, (std::vector<std::string>{"q", "h", "f"}));
  EXPECT_EQ(v.mid_ext, 4);
  EXPECT_EQ(v.rid_ext, 10);
  EXPECT_EQ(v.rrid_ext, 11);
  EXPECT_EQ(v.codec.rtx_pt, 97);  // RTX stays: the browser probes on it
  auto ans = parse(write(answer.value()));
  ASSERT_TRUE(ans.ok());
  const Media& av = ans.value().media[1];
  EXPECT_EQ(av.simulcast_recv, (std::vector<std::string>{"q", "h", "f"}));
  ASSERT_EQ(av.rids.size(), 3u);
  for (const Rid& r : av.rids) EXPECT_EQ(r.direction, "recv");
  for (const int id : {3, 4, 10, 11}) {
    EXPECT_TRUE(std::any_of(av.extmaps.begin(), av.extmaps.end(), [&](const Extmap& e) {
      return e.id == id;
    })) << id;
  }

  // Refused (the m-line, not the offer): four layers; layers without RIDs' extension.
  std::string four = replace_all(text, "a=simulcast:send q;h;~f", "a=simulcast:send q;h;f;x");
  four = replace_all(four, "a=rid:q send", "a=rid:q send\r\na=rid:x send");
  std::string no_ext =
      replace_all(text, "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n", "");
  for (const std::string& t : {four, no_ext}) {
    auto o = parse(t);
    ASSERT_TRUE(o.ok()) << o.error().message;
    ParticipantMedia q = participant();
    Changes cc;
    auto a = q.answer_offer(o.value(), local(), {}, cc);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(cc.published.size(), 1u);  // the audio
    EXPECT_EQ(cc.refused.size(), 1u);
  }
  // Bad a=rid and a=simulcast lines are parse errors.
  for (const char* bad : {"a=rid:q sideways\r\n", "a=rid:q!x send\r\n", "a=simulcast:send\r\n",
                          "a=simulcast:both q\r\n", "a=simulcast:send q;;h\r\n",
                          "a=simulcast:send q recv h send f\r\n"}) {
    EXPECT_FALSE(parse(text + bad).ok()) << bad;
  }
}

// What GStreamer 1.22's webrtcbin sends as a max-bundle WHIP publisher
// (captured from Debian's build): the video m-line has port 0 and
// a=bundle-only (RFC 8843 §7.5), no header extension at all, SSRCs only in
// a=ssrc. Both m-lines must be answered and published.
const char* const kGstreamerOffer =
    "v=0\r\no=- 5927955310793065699 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=ice-options:trickle\r\na=group:BUNDLE audio0 video1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=setup:actpass\r\n"
    "a=ice-ufrag:0d6bIHfVxBcQWZhwf9TBblFy0NFMYgNf\r\na=ice-pwd:6YGpd+RehDj7wNEQlEGzg/qN768kRzpD\r\n"
    "a=rtcp-mux\r\na=rtcp-rsize\r\na=sendonly\r\na=rtpmap:111 OPUS/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\na=fmtp:111 sprop-stereo=0;sprop-maxcapturerate=48000\r\n"
    "a=ssrc:3576080405 msid:user3291992783@host-fa24715d webrtctransceiver0\r\n"
    "a=ssrc:3576080405 cname:user3291992783@host-fa24715d\r\na=mid:audio0\r\n"
    "a=candidate:1 1 UDP 2015363327 198.18.0.1 40000 typ host\r\n"
    "a=fingerprint:sha-256 "
    "EB:03:F2:DC:D6:5D:03:87:16:88:A8:D9:64:C9:29:A0:4A:BD:46:3F:27:F7:8E:33:92:AB:B1:2B:02:A1:FF:"
    "E0\r\n"
    "a=rtcp-mux-only\r\n"
    "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=setup:actpass\r\n"
    "a=ice-ufrag:0d6bIHfVxBcQWZhwf9TBblFy0NFMYgNf\r\na=ice-pwd:6YGpd+RehDj7wNEQlEGzg/qN768kRzpD\r\n"
    "a=bundle-only\r\na=rtcp-mux\r\na=rtcp-rsize\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 "
    "transport-cc\r\na=framerate:30\r\n"
    "a=ssrc:3504852272 msid:user3291992783@host-fa24715d webrtctransceiver1\r\n"
    "a=ssrc:3504852272 cname:user3291992783@host-fa24715d\r\na=mid:video1\r\n"
    "a=fingerprint:sha-256 "
    "EB:03:F2:DC:D6:5D:03:87:16:88:A8:D9:64:C9:29:A0:4A:BD:46:3F:27:F7:8E:33:92:AB:B1:2B:02:A1:FF:"
    "E0\r\n"
    "a=rtcp-mux-only\r\n";

TEST(NegotiateTest, BundleOnlyMlinesOfAMaxBundleOfferArePublished) {
  auto offer = parse(kGstreamerOffer);
  ASSERT_TRUE(offer.ok()) << offer.error().message;
  EXPECT_TRUE(offer.value().media[1].bundle_only);
  EXPECT_TRUE(in_use(offer.value(), offer.value().media[1]));
  ParticipantMedia p = participant();
  Changes c;
  auto answer = p.answer_offer(offer.value(), local(), {}, c);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(c.published.size(), 2u);
  EXPECT_EQ(c.published[0].track.kind, "audio");
  EXPECT_EQ(c.published[0].track.ssrc, 3576080405u);
  EXPECT_EQ(c.published[1].track.kind, "video");
  EXPECT_EQ(c.published[1].track.codec.name, "VP8");
  EXPECT_EQ(c.published[1].track.ssrc, 3504852272u);
  EXPECT_TRUE(c.published[1].track.extmaps.empty());  // demultiplexed by SSRC, not by MID
  auto ans = parse(write(answer.value()));
  ASSERT_TRUE(ans.ok());
  EXPECT_EQ(ans.value().bundle, (std::vector<std::string>{"audio0", "video1"}));
  ASSERT_EQ(ans.value().media.size(), 2u);
  EXPECT_NE(ans.value().media[1].port, 0);
  EXPECT_EQ(ans.value().media[1].direction, Direction::kRecvOnly);
  EXPECT_NE(ans.value().media[1].codec(96), nullptr);

  // Port 0 without a=bundle-only, or bundle-only outside the BUNDLE group,
  // is a rejected m-line (RFC 3264 §6, RFC 8843 §7.5).
  for (const std::string& text :
       {replace_all(kGstreamerOffer, "a=bundle-only\r\n", ""),
        replace_all(kGstreamerOffer, "a=group:BUNDLE audio0 video1", "a=group:BUNDLE audio0")}) {
    auto o = parse(text);
    ASSERT_TRUE(o.ok());
    ParticipantMedia p2 = participant();
    auto a = p2.answer_offer(o.value(), local(), {}, c);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(c.published.size(), 1u);
    auto a2 = parse(write(a.value()));
    ASSERT_TRUE(a2.ok());
    EXPECT_EQ(a2.value().media[1].port, 0);
  }
}

// Chromium's offer with neither Opus nor VP8 nor H264.
std::string no_codecs() {
  return replace_all(replace_all(replace_all(kChromeOffer, "opus/48000/2", "G7221/16000"),
                                 "VP8/90000", "AV1/90000"),
                     "H264/90000", "H265/90000");
}

TEST(NegotiateTest, PublishRejections) {
  struct Case {
    std::string offer;
    ErrorCode code;
    const char* expect;
  } cases[] = {
      {replace_all(kChromeOffer, "a=rtcp-mux\r\n", ""), ErrorCode::kInvalidArgument, "rtcp-mux"},
      {replace_all(kChromeOffer, "a=fingerprint:", "a=x-fingerprint:"), ErrorCode::kInvalidArgument,
       "fingerprint"},
      {replace_all(kChromeOffer, "a=ice-pwd:", "a=x-ice-pwd:"), ErrorCode::kInvalidArgument,
       "ice-pwd"},
      {replace_all(kChromeOffer, "a=ssrc:1001", "a=x-ssrc:1001"), ErrorCode::kInvalidArgument,
       "a=ssrc"},
      // Issue 12 #9: what must not be accepted.
      {replace_all(kChromeOffer, "a=setup:actpass", "a=setup:passive"), ErrorCode::kUnsupported,
       "setup:passive"},
      {replace_all(kChromeOffer, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 7"),
       ErrorCode::kInvalidArgument, "names mid '7'"},
  };
  for (const auto& k : cases) {
    auto offer = parse(k.offer);
    ASSERT_TRUE(offer.ok()) << offer.error().message;
    ParticipantMedia p = participant();
    Changes c;
    auto a = p.answer_offer(offer.value(), local(), {}, c);
    ASSERT_FALSE(a.ok()) << k.expect;
    EXPECT_EQ(a.error().code, k.code) << a.error().message;
    EXPECT_NE(a.error().message.find(k.expect), std::string::npos) << a.error().message;
  }
  // Codecs we cannot forward refuse their m-lines (and say why); an offer
  // that sends nothing publishes nothing. The WHIP door turns both into 406.
  for (const std::string& text :
       {no_codecs(), replace_all(kChromeOffer, "a=sendonly", "a=recvonly")}) {
    auto offer = parse(text);
    ASSERT_TRUE(offer.ok());
    ParticipantMedia p = participant();
    Changes c;
    ASSERT_TRUE(p.answer_offer(offer.value(), local(), {}, c).ok());
    EXPECT_TRUE(c.published.empty());
  }
  auto offer = parse(no_codecs());
  ParticipantMedia p = participant();
  Changes c;
  ASSERT_TRUE(p.answer_offer(offer.value(), local(), {}, c).ok());
  ASSERT_EQ(c.refused.size(), 2u);
  EXPECT_NE(c.refused[0].find("Opus"), std::string::npos);
}

TEST(NegotiateTest, ContradictoryFingerprintsAndHugeSsrcGroupsAreRefused) {
  // A session-level fingerprint the m-lines contradict.
  std::string with_session = replace_all(kChromeOffer, "a=group:BUNDLE 0 1\r\n",
                                         "a=group:BUNDLE 0 1\r\na=fingerprint:sha-256 AA:AA\r\n");
  auto offer = parse(with_session);
  ASSERT_TRUE(offer.ok()) << offer.error().message;
  ParticipantMedia p = participant();
  Changes c;
  auto a = p.answer_offer(offer.value(), local(), {}, c);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("differs from the session"), std::string::npos);
  // An ssrc-group of thousands of SSRCs is a parse error, not work.
  std::string big = "a=ssrc-group:FID";
  for (int i = 1; i <= 10000; ++i) big += " " + std::to_string(i);
  auto r = parse(replace_all(kChromeOffer, "a=ssrc-group:FID 2001 2002", big));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 8 SSRCs"), std::string::npos);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

// Our candidate line is written once: "a=candidate:1 1 UDP ..." (an older
// build wrote "a=candidate:candidate:...").
TEST(NegotiateTest, CandidateLinesHaveOnePrefix) {
  ParticipantMedia p = participant();
  Changes c;
  LocalTransport l = local();
  l.candidates = {"1 1 UDP 2130706431 198.18.0.2 50000 typ host"};
  auto a = p.answer_offer(parse(kChromeOffer).value(), l, {}, c);
  ASSERT_TRUE(a.ok());
  const std::string text = write(a.value());
  EXPECT_NE(text.find("\r\na=candidate:1 1 UDP 2130706431 198.18.0.2 50000 typ host\r\n"),
            std::string::npos);
  EXPECT_EQ(text.find("candidate:candidate"), std::string::npos);
}

TEST(NegotiateTest, SubscribeMapsTracksPtsExtensionsAndRtx) {
  auto pub = parse(kChromeOffer);
  ASSERT_TRUE(pub.ok());
  ParticipantMedia publisher = participant();
  Changes pc;
  ASSERT_TRUE(publisher.answer_offer(pub.value(), local(), {}, pc).ok());
  std::vector<SourceTrack> room;
  for (const auto& p : pc.published) room.push_back({"TR_" + p.mid, "PA_pub", p.track});
  // A subscriber's offer: receive-only, other extension IDs, RTX 99 for VP8,
  // and a third m-line nothing is published for.
  std::string sub = replace_all(kChromeOffer, "a=sendonly", "a=recvonly");
  sub = replace_all(sub, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                    "a=extmap:10 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  sub = replace_all(sub, "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96",
                    "a=rtpmap:99 rtx/90000\r\na=fmtp:99 apt=96");
  sub = replace_all(sub, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2");
  const std::string video = sub.substr(sub.find("m=video"));
  sub += replace_all(video, "a=mid:1", "a=mid:2");
  auto offer = parse(sub);
  ASSERT_TRUE(offer.ok()) << offer.error().message;
  ParticipantMedia subscriber = participant();
  Changes c;
  const uint32_t first = g_next_ssrc + 1;
  auto answer = subscriber.answer_offer(offer.value(), local(), room, c);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(c.subscribed.size(), 2u);
  const SubscribedTrack& a = c.subscribed[0].track;
  EXPECT_EQ(c.subscribed[0].source, "TR_0");
  EXPECT_EQ(a.ssrc, first);
  EXPECT_EQ(a.rtx_ssrc, 0u);
  EXPECT_EQ(a.pt_map, (std::vector<std::pair<uint8_t, uint8_t>>{{111, 111}}));
  EXPECT_NE(std::find(a.ext_map.begin(), a.ext_map.end(), std::make_pair<uint8_t, uint8_t>(1, 10)),
            a.ext_map.end());
  const SubscribedTrack& v = c.subscribed[1].track;
  EXPECT_EQ(c.subscribed[1].source, "TR_1");
  EXPECT_EQ(v.rtx_pt, 99);
  EXPECT_NE(v.rtx_ssrc, 0u);
  auto ans = parse(write(answer.value()));
  ASSERT_TRUE(ans.ok());
  ASSERT_EQ(ans.value().media.size(), 3u);
  EXPECT_EQ(ans.value().media[0].direction, Direction::kSendOnly);
  EXPECT_EQ(ans.value().media[0].ssrcs(), (std::vector<uint32_t>{first}));
  EXPECT_EQ(ans.value().media[0].msid, "PA_pub TR_0");
  EXPECT_EQ(ans.value().media[1].ssrc_groups.size(), 1u);
  EXPECT_EQ(ans.value().media[2].direction, Direction::kInactive);
}

}  // namespace
}  // namespace edgesfu::sp::sdp
