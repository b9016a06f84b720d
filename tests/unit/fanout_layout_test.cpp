// fanout::Downtrack and Participant as fan-out reads them (issue 17): the
// payload type mapped through the last-used pair, and which fields share the
// lines fan-out touches per packet.
#include <gtest/gtest.h>

#include <cstddef>

#include "dataplane/fanout/fastpath.hpp"

namespace edgesfu::dp::fanout {
namespace {

Downtrack with_map(std::initializer_list<std::pair<uint8_t, uint8_t>> pairs) {
  Downtrack d;
  for (uint8_t i = 0; i < 128; ++i) d.pt_map[i] = i;
  for (const auto& [from, to] : pairs) d.pt_map[from] = to;
  return d;
}

TEST(FanoutLayout, PayloadTypesMapAsTheTableSaysWhateverTheOrder) {
  // Opus and RED on one track, as a browser sends them, and a PT with no
  // entry (kept as it is).
  Downtrack d = with_map({{111, 109}, {63, 100}});
  const uint8_t in[] = {111, 111, 63, 111, 63, 63, 5, 111, 5};
  const uint8_t want[] = {109, 109, 100, 109, 100, 100, 5, 109, 5};
  for (std::size_t i = 0; i < std::size(in); ++i) {
    EXPECT_EQ(d.map_pt(in[i]), want[i]) << "packet " << i;
  }
}

TEST(FanoutLayout, ANewTableIsReadOnceTheLastPairIsForgotten) {
  Downtrack d = with_map({{111, 109}});
  EXPECT_EQ(d.map_pt(111), 109);
  // What add_downtrack does on a slot's reuse: a new table, the pair reset.
  d.pt_map[111] = 96;
  d.pt_in = 0xff;
  EXPECT_EQ(d.map_pt(111), 96);
  // 0xff is no payload type a packet can carry (7 bits): it never matches.
  Downtrack fresh = with_map({});
  EXPECT_EQ(fresh.pt_in, 0xff);
  EXPECT_EQ(fresh.map_pt(127), 127);
}

TEST(FanoutLayout, WhatFanOutTouchesSitsInTwoLinesOfADowntrack) {
  EXPECT_EQ(alignof(Downtrack), 64u);
  for (std::size_t off :
       {offsetof(Downtrack, next), offsetof(Downtrack, subscriber), offsetof(Downtrack, paused),
        offsetof(Downtrack, ext_identity), offsetof(Downtrack, ssrc), offsetof(Downtrack, pt_in),
        offsetof(Downtrack, pt_out), offsetof(Downtrack, tx), offsetof(Downtrack, packets),
        offsetof(Downtrack, octets)}) {
    EXPECT_LT(off, 64u);
  }
  EXPECT_EQ(offsetof(Downtrack, munger), 64u);
  EXPECT_LE(munge::RtpMunger::hot_bytes(), 64u);
  // The cold part starts after the munger's state.
  EXPECT_GE(offsetof(Downtrack, pt_map), 64u + sizeof(munge::RtpMunger));
}

TEST(FanoutLayout, SendingToAParticipantReadsItsFirstLine) {
  EXPECT_EQ(alignof(Participant), 64u);
  EXPECT_EQ(offsetof(Participant, hdr), 0u);
  EXPECT_LT(offsetof(Participant, path_known), 64u);
  EXPECT_LT(offsetof(Participant, hdr_len), 64u);
  Participant p;
  p.path.src = {4, {198, 18, 0, 1}};
  p.path.dst = {4, {198, 18, 0, 2}};
  p.path_set();
  EXPECT_TRUE(p.path_known);
  EXPECT_EQ(p.hdr_len, p.path.header_len());
  EXPECT_TRUE(p.hdr.ipv4);
}

}  // namespace
}  // namespace edgesfu::dp::fanout
