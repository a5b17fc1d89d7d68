// The race harness on the fixture: a clean run reports no violation, and
// every variant and the writer made progress.

#include <string>

#include "gtest/gtest.h"
#include "harness/race.h"

namespace btfreg {
namespace {

// Verifier threads as memb readers (every thread's default) and as QSBR
// readers (rcu.h).
class RaceTest : public ::testing::TestWithParam<bool> {};

INSTANTIATE_TEST_SUITE_P(Readers, RaceTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Qsbr" : "Memb");
                         });

TEST_P(RaceTest, CleanRunHasNoViolations) {
  RaceOptions o;
  o.base_path = "tests/data/mini_vmlinux.btf";
  o.duration_ms = 1500;
  o.threads = 2;
  o.modules = 4;
  o.qsbr = GetParam();
  auto report = RunRace(o);
  ASSERT_TRUE(report.ok()) << report.status();
  printf("%s", report->Summary().c_str());
  EXPECT_EQ(report->violation_count, 0);
  EXPECT_GT(report->cycles, 0);
  EXPECT_GT(report->pointer.chains, 0);
  EXPECT_GT(report->id.chains + report->id.stale_hits, 0);
  EXPECT_GT(report->handle.chains + report->handle.stale_hits, 0);
  EXPECT_EQ(report->pointer.stale_hits, 0);  // pinned: never gone
  // The slow-reader case the grace period exists for did happen.
  EXPECT_GT(report->readers_outlived_unload, 0);
  // So did the pinned one: a pin held while an unload was tried, refused.
  EXPECT_GT(report->pins_held_across_unload, 0);
  EXPECT_GT(report->unload_refused, 0);
}

TEST(RaceOptionsTest, BadOptionsAreRefused) {
  RaceOptions o;
  o.threads = 0;
  EXPECT_FALSE(RunRace(o).ok());
}

}  // namespace
}  // namespace btfreg
