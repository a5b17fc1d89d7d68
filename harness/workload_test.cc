// The shared workload: every variant runs the trace with the same results,
// churn behaves as documented, and the unload outcomes are what the design
// predicts.

#include "harness/workload.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "gtest/gtest.h"

namespace btfreg {
namespace {

constexpr char kFixture[] = "tests/data/mini_vmlinux.btf";

std::unique_ptr<Workload> Make(int modules) {
  WorkloadOptions o;
  o.base_path = kFixture;
  o.modules = modules;
  o.chains = 64;
  auto w = Workload::Create(o);
  EXPECT_TRUE(w.ok()) << w.status();
  return std::move(*w);
}

TEST(WorkloadTest, TraceCoversBaseAndModules) {
  auto w = Make(3);
  ASSERT_FALSE(w->trace().empty());
  bool base = false, module = false;
  for (const Chain& c : w->trace()) {
    (c.object < 0 ? base : module) = true;
    EXPECT_FALSE(c.accesses.empty());
  }
  EXPECT_TRUE(base);
  EXPECT_TRUE(module);
  EXPECT_NE(w->base_description().find("fixture"), std::string::npos);
}

// Every variant does the same work on the same trace: the same chains,
// operations, lookups and accesses, none skipped, none failed. At 1,000
// modules too, where the trace is 250 programs of vmlinux + 4 modules and
// no program holds more than UsedBtfs::kMaxUsedBtfs (the pointer variant
// once pinned every module into one UsedBtfs, ran out at 64 and took an
// error path on most chains).
class SameWorkTest : public ::testing::TestWithParam<int> {};

TEST_P(SameWorkTest, EveryVariantRunsTheSameChains) {
  auto w = Make(GetParam());
  EXPECT_EQ(w->programs(), std::max(1, (GetParam() + 3) / 4));
  const int64_t n = 2 * static_cast<int64_t>(w->trace().size());
  RunStats first;
  for (Variant v : kAllVariants) {
    SCOPED_TRACE(VariantName(v));
    auto runner = MakeRunner(*w, v);
    RunStats s = runner->Run(n);
    EXPECT_EQ(s.chains, n);
    EXPECT_EQ(s.skipped, 0);
    EXPECT_EQ(s.failed, 0);
    EXPECT_EQ(s.stale_hits, 0);
    EXPECT_GT(s.lookups, 0);
    EXPECT_GT(s.accesses, 0);
    if (v == Variant::kPointer) first = s;
    EXPECT_EQ(s.ops, first.ops);
    EXPECT_EQ(s.lookups, first.lookups);
    EXPECT_EQ(s.accesses, first.accesses);
  }
  printf("%d modules: %d programs, %zu chains in the trace, %lld ops and %lld lookups "
         "for every variant\n", GetParam(), w->programs(), w->trace().size(),
         static_cast<long long>(first.ops), static_cast<long long>(first.lookups));
}

INSTANTIATE_TEST_SUITE_P(Modules, SameWorkTest, ::testing::Values(1, 3, 10, 1000));

TEST(WorkloadTest, EveryProgramUsesVmlinuxAndFewModules) {
  auto w = Make(1000);
  std::vector<std::set<int>> used(w->programs());
  for (const Chain& c : w->trace()) {
    ASSERT_GE(c.program, 0);
    ASSERT_LT(c.program, w->programs());
    if (c.object >= 0) {
      EXPECT_EQ(w->ProgramOf(c.object), c.program);
      used[c.program].insert(c.object);
    }
  }
  size_t covered = 0;
  for (const auto& u : used) {
    EXPECT_LE(u.size(), 4u);
    covered += u.size();
  }
  EXPECT_EQ(covered, 1000u);  // together, every module
}

TEST(WorkloadTest, LayoutsAreTheSeeds) {
  EXPECT_EQ(RegBytes(Variant::kPointer), 120u);
  EXPECT_EQ(RegBytes(Variant::kRcuIdPacked), 112u);
  EXPECT_GT(StateBytes(Variant::kPointer), StateBytes(Variant::kHandle));
}

TEST(WorkloadTest, ChurnIsRefusedForPinnedModulesAndStalesIds) {
  auto w = Make(2);
  auto pointer = MakeRunner(*w, Variant::kPointer);  // pins both modules
  w->StartChurn();
  // Run until the churn thread has tried (and been refused) a few times: it
  // may not have been scheduled at all during one short run.
  for (int i = 0; i < 5000 && w->churn_refused() < 3; ++i) {
    RunStats ps = pointer->Run(500);
    EXPECT_EQ(ps.stale_hits, 0);
    EXPECT_EQ(ps.failed, 0);
  }
  w->StopChurn();
  EXPECT_GE(w->churn_refused(), 3);
  EXPECT_EQ(w->churn_cycles(), 0);  // no unload got past the pins
  pointer.reset();  // unpins

  auto id = MakeRunner(*w, Variant::kRcuId);
  w->StartChurn();
  RunStats is;
  for (int i = 0; i < 50 && w->churn_cycles() < 20; ++i) is = id->Run(500);
  w->StopChurn();
  EXPECT_GT(w->churn_cycles(), 0);
  EXPECT_EQ(is.failed, 0);
  printf("churn cycles %lld, id variant stale hits %lld\n",
         static_cast<long long>(w->churn_cycles()),
         static_cast<long long>(is.stale_hits));
}

TEST(WorkloadTest, UnloadOutcomes) {
  EXPECT_EQ(UnloadOutcome(Variant::kPointer, kFixture, false), "stays valid (pinned)");
  EXPECT_EQ(UnloadOutcome(Variant::kRcuId, kFixture, false), "not found");
  EXPECT_EQ(UnloadOutcome(Variant::kRcuId, kFixture, true), "wrong object");
  EXPECT_EQ(UnloadOutcome(Variant::kLockedId, kFixture, true), "wrong object");
  EXPECT_EQ(UnloadOutcome(Variant::kRefcountId, kFixture, false), "not found");
  EXPECT_EQ(UnloadOutcome(Variant::kHandle, kFixture, false), "detected");
  EXPECT_EQ(UnloadOutcome(Variant::kHandle, kFixture, true), "detected");
}

}  // namespace
}  // namespace btfreg
