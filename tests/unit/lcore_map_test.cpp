// dataplane.lcore_map's reader: EAL --lcores syntax, lcore ids and CPUs.
#include <gtest/gtest.h>

#include <string>

#include "config/lcore_map.hpp"

namespace edgesfu::config {
namespace {

struct MapCase {
  const char* text;
  std::set<unsigned> lcores, cpus;
};

TEST(LcoreMapTest, ReadsLcoresAndTheirCpus) {
  const MapCase cases[] = {
      {"0", {0}, {0}},
      {"0-2", {0, 1, 2}, {0, 1, 2}},
      {"0@(0-1),1@0", {0, 1}, {0, 1}},
      {"0@(0-1),1@0,2@1", {0, 1, 2}, {0, 1}},
      {"(0,3-4)@5,7", {0, 3, 4, 7}, {5, 7}},
      {"1,2@(5-7),(3-5)@(0,2),(0,6),7-8", {0, 1, 2, 3, 4, 5, 6, 7, 8}, {0, 1, 2, 5, 6, 7, 8}},
  };
  for (const auto& c : cases) {
    LcoreMap m;
    std::string why;
    ASSERT_TRUE(parse_lcore_map(c.text, 1023, m, why)) << c.text << ": " << why;
    EXPECT_EQ(m.lcores, c.lcores) << c.text;
    EXPECT_EQ(m.cpus, c.cpus) << c.text;
  }
}

// Malformed maps, and some the EAL would take that are surely mistakes (a
// range that runs down, blanks, an lcore named twice).
TEST(LcoreMapTest, RefusesMalformedMaps) {
  const std::pair<const char*, const char*> bad[] = {
      {"", "empty"},
      {"0@", "expected a number at offset 2"},
      {"0@(0-1", "expected ')' or ','"},
      {"a", "expected a number at offset 0"},
      {"0,,1", "expected a number at offset 2"},
      {"2-1", "range 2-1 runs down"},
      {"0,1@0,1@1", "lcore 1 twice"},
      {"0 ,1", "unexpected character at offset 1"},
      {"1024", "number past 1023"},
      {"99999999999999999999", "number past 1023"},
      {"0@(0-1))", "unexpected character"},
  };
  for (const auto& [text, want] : bad) {
    LcoreMap m;
    std::string why;
    EXPECT_FALSE(parse_lcore_map(text, 1023, m, why)) << text;
    EXPECT_NE(why.find(want), std::string::npos) << text << ": " << why;
  }
}

}  // namespace
}  // namespace edgesfu::config
