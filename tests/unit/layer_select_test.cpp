// fanout::LayerSelector: which simulcast layer is forwarded as layers start,
// stop and send keyframes.
#include <gtest/gtest.h>

#include "dataplane/fanout/layer_select.hpp"

namespace edgesfu::dp::fanout {
namespace {

using V = LayerVerdict;
constexpr uint64_t kMs = 1000;

TEST(LayerSelect, StartsAtTheFirstKeyframeAndClimbsToTheBest) {
  LayerSelector<3> s;
  EXPECT_EQ(s.on_packet(0, 0, false), V::kWantKeyframe);  // nothing yet, no keyframe
  EXPECT_EQ(s.on_packet(0, 10 * kMs, true), V::kSwitch);
  EXPECT_EQ(s.current(), 0);
  EXPECT_EQ(s.on_packet(0, 20 * kMs, false), V::kForward);
  // The top layer starts: asked for a keyframe until one comes, then taken.
  EXPECT_EQ(s.on_packet(2, 30 * kMs, false), V::kWantKeyframe);
  EXPECT_EQ(s.on_packet(0, 31 * kMs, false), V::kForward);
  EXPECT_EQ(s.on_packet(2, 40 * kMs, true), V::kSwitch);
  EXPECT_EQ(s.current(), 2);
  // Lower layers flowing meanwhile are skipped, keyframes or not.
  EXPECT_EQ(s.on_packet(0, 41 * kMs, true), V::kSkip);
  EXPECT_EQ(s.on_packet(1, 42 * kMs, true), V::kSkip);
  EXPECT_EQ(s.on_packet(2, 43 * kMs, false), V::kForward);
}

TEST(LayerSelect, FallsBackWhenTheCurrentLayerStops) {
  LayerSelector<3> s;
  ASSERT_EQ(s.on_packet(2, 0, true), V::kSwitch);
  // The top layer pauses; the middle one is skipped until it has been silent
  // for kStaleUs, then taken at its next keyframe.
  EXPECT_EQ(s.on_packet(1, 100 * kMs, true), V::kSkip);
  const uint64_t later = LayerSelector<3>::kStaleUs + 1;
  EXPECT_EQ(s.on_packet(1, later, false), V::kWantKeyframe);
  EXPECT_EQ(s.current(), 2);
  EXPECT_EQ(s.on_packet(1, later + 30 * kMs, true), V::kSwitch);
  EXPECT_EQ(s.current(), 1);
  // The top layer comes back: up again at its keyframe.
  EXPECT_EQ(s.on_packet(2, later + 40 * kMs, false), V::kWantKeyframe);
  EXPECT_EQ(s.on_packet(2, later + 50 * kMs, true), V::kSwitch);
  EXPECT_EQ(s.current(), 2);
  s.reset();
  EXPECT_EQ(s.current(), kNoLayer);
}

}  // namespace
}  // namespace edgesfu::dp::fanout
