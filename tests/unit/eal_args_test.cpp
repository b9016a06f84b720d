// How the EAL is started: hugepage choice and argument vector, without an EAL.
#include <gtest/gtest.h>

#include <algorithm>

#include "dataplane/eal/eal_args.hpp"

namespace edgesfu::dp {
namespace {

using config::HugepageMode;

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
std::string after(const std::vector<std::string>& v, const std::string& flag) {
  auto it = std::find(v.begin(), v.end(), flag);
  return it == v.end() || it + 1 == v.end() ? "" : *(it + 1);
}

struct HugeCase {
  HugepageMode mode;
  bool mounted;
  uint64_t free_mb;
  bool ok;
  bool huge;
};

TEST(EalArgsTest, HugepageChoiceTable) {
  const HugeCase cases[] = {
      {HugepageMode::kAuto, true, 512, true, true},
      {HugepageMode::kAuto, true, 64, true, false},    // too few: fall back
      {HugepageMode::kAuto, false, 512, true, false},  // not mounted: fall back
      {HugepageMode::kOn, true, 512, true, true},
      {HugepageMode::kOn, true, 64, false, false},  // on, but not there: error
      {HugepageMode::kOn, false, 512, false, false},
      {HugepageMode::kOff, true, 512, true, false},
  };
  for (const auto& c : cases) {
    auto r = choose_hugepages(c.mode, 128, {c.mounted, c.free_mb << 20});
    ASSERT_EQ(r.ok(), c.ok) << config::to_string(c.mode) << " " << c.free_mb;
    if (r.ok()) {
      EXPECT_EQ(r->use_hugepages, c.huge) << config::to_string(c.mode) << " " << c.free_mb;
      EXPECT_FALSE(r->reason.empty());
    } else {
      EXPECT_NE(r.error().message.find("dataplane.hugepages"), std::string::npos);
    }
  }
}

TEST(EalArgsTest, FallbackSaysSo) {
  auto r = choose_hugepages(HugepageMode::kAuto, 128, {true, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->reason.find("--no-huge"), std::string::npos);
}

TEST(EalArgsTest, VdevConfigWithoutHugepages) {
  config::Config cfg;
  cfg.dataplane.main_lcore = 0;
  cfg.dataplane.worker_lcores = {1, 3};
  cfg.dataplane.memory_mb = 96;
  cfg.dataplane.wire.vdev = "net_null0";
  const auto a = build_eal_args(cfg, false, "esfu-7");
  EXPECT_EQ(a.front(), "edgesfu");
  EXPECT_EQ(after(a, "-l"), "0,1,3");
  EXPECT_EQ(after(a, "--main-lcore"), "0");
  EXPECT_EQ(after(a, "--file-prefix"), "esfu-7");
  EXPECT_EQ(after(a, "-m"), "96");
  EXPECT_TRUE(has(a, "--no-pci"));
  EXPECT_TRUE(has(a, "--no-huge"));
  EXPECT_FALSE(has(a, "--huge-unlink"));
  EXPECT_FALSE(has(a, "-a"));
}

TEST(EalArgsTest, PciConfigWithHugepages) {
  config::Config cfg;
  cfg.dataplane.wire.pci = "0000:3b:00.0";
  const auto a = build_eal_args(cfg, true, "edgesfu");
  EXPECT_EQ(after(a, "-a"), "0000:3b:00.0");
  EXPECT_FALSE(has(a, "--no-pci"));
  EXPECT_FALSE(has(a, "--no-huge"));
  EXPECT_TRUE(has(a, "--huge-unlink"));
}

TEST(EalArgsTest, LcoreMapReplacesTheList) {
  config::Config cfg;
  cfg.dataplane.main_lcore = 0;
  cfg.dataplane.worker_lcores = {1};
  const auto a = build_eal_args(cfg, true, "lg", "0@(0-1),1@0");
  EXPECT_EQ(after(a, "--lcores"), "0@(0-1),1@0");
  EXPECT_EQ(after(a, "--main-lcore"), "0");
  EXPECT_FALSE(has(a, "-l"));
}

TEST(EalArgsTest, ConfiguredLcoreMapIsPassedUnlessTheCallerGivesOne) {
  config::Config cfg;
  cfg.dataplane.worker_lcores = {1, 2};
  cfg.dataplane.lcore_map = "0@(0-1),1@0,2@1";
  EXPECT_EQ(after(build_eal_args(cfg, true, "sfu"), "--lcores"), "0@(0-1),1@0,2@1");
  EXPECT_EQ(after(build_eal_args(cfg, true, "sfu", "0,1@1"), "--lcores"), "0,1@1");
}

TEST(EalArgsTest, FilePrefixIsPerInstance) {
  config::DataplaneConfig dp;
  EXPECT_EQ(instance_file_prefix(dp, 4242), "edgesfu-4242");
  EXPECT_NE(instance_file_prefix(dp, 1), instance_file_prefix(dp, 2));
  dp.file_prefix = "esfu";
  EXPECT_EQ(instance_file_prefix(dp, 4242), "esfu");
}

}  // namespace
}  // namespace edgesfu::dp
