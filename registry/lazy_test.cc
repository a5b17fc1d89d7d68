// Lazy modules, failed-module isolation, reloads and the registry-wide type
// index (registry.h: ModuleKnown, FindTypes, FindCandidates).

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/registry.h"
#include "registry/testing.h"

namespace btfreg {
namespace {

using ::testing::HasSubstr;
using testing_util::kBasePath;
using testing_util::ModuleBytes;

// A loader that parses generated module BTF and counts its calls.
ModuleLoader CountingLoader(std::vector<uint8_t> bytes, std::atomic<int>* calls,
                            std::string name) {
  return [bytes = std::move(bytes), calls, name](const Btf& base)
             -> absl::StatusOr<std::unique_ptr<const Btf>> {
    calls->fetch_add(1);
    auto btf = Btf::LoadSplitBytes(bytes, name, base);
    if (!btf.ok()) return btf.status();
    return std::unique_ptr<const Btf>(std::move(*btf));
  };
}

class LazyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(registry_.RegisterBase(kBasePath).ok()); }
  Registry registry_;
};

TEST_F(LazyTest, KnownModulesAreParsedOnFirstUseOnly) {
  std::atomic<int> calls{0};
  ASSERT_TRUE(registry_.ModuleKnown("lazy", CountingLoader(ModuleBytes("lazy"), &calls, "lazy"), 7).ok());
  EXPECT_EQ(calls.load(), 0);
  RegistryStats st = registry_.Stats();
  EXPECT_EQ(st.modules_known, 1);
  EXPECT_EQ(st.live_objects, 1);  // the base only
  EXPECT_FALSE(registry_.GetByName("lazy"));  // by name, without parsing: nothing

  absl::StatusOr<BtfRef> mod = registry_.TryGetModule("lazy");
  ASSERT_TRUE(mod.ok()) << mod.status();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE((*mod)->FindByName("lazy_obj0", BTF_KIND_STRUCT), 0u);
  EXPECT_EQ(mod->kernel_id(), 7u);
  EXPECT_TRUE(registry_.TryGetModule("lazy").ok());
  EXPECT_EQ(registry_.GetByKernelId(7), *mod);
  EXPECT_EQ(calls.load(), 1);
  st = registry_.Stats();
  EXPECT_EQ(st.modules_known, 0);
  EXPECT_EQ(st.modules_live, 1);
}

TEST_F(LazyTest, ConcurrentFirstRequestsParseOnce) {
  std::atomic<int> calls{0};
  ASSERT_TRUE(registry_.ModuleKnown("racy", CountingLoader(ModuleBytes("racy", 12), &calls, "racy")).ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      bool got = false;
      if (t % 2 == 0) {
        got = registry_.TryGetModule("racy").ok();
      } else {
        auto pin = registry_.TryPinModule("racy");
        got = pin.ok();
      }
      if (got) ok.fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(registry_.Stats().loads, 2);  // base + racy, once
}

TEST_F(LazyTest, ByKernelIdAndPreload) {
  std::atomic<int> calls{0};
  ASSERT_TRUE(registry_.ModuleKnown("a", CountingLoader(ModuleBytes("a"), &calls, "a"), 100).ok());
  ASSERT_TRUE(registry_.ModuleKnown("b", CountingLoader(ModuleBytes("b"), &calls, "b"), 101).ok());
  ASSERT_TRUE(registry_.ModuleKnown("c", CountingLoader(ModuleBytes("c"), &calls, "c")).ok());
  EXPECT_EQ(registry_.ModuleKnown("a", nullptr).code(), absl::StatusCode::kAlreadyExists);
  BtfRef b = registry_.GetByKernelId(101);
  ASSERT_TRUE(b);
  EXPECT_EQ(b.name(), "b");
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(registry_.PreloadModules(), 0);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(registry_.Stats().modules_live, 3);
}

TEST_F(LazyTest, ABadModuleIsRecordedAndIsolated) {
  std::vector<uint8_t> bad = ModuleBytes("bad");
  bad.resize(bad.size() - 7);  // truncated
  std::atomic<int> calls{0};
  ASSERT_TRUE(registry_.ModuleKnown("bad", CountingLoader(bad, &calls, "bad"), 9).ok());
  ASSERT_TRUE(registry_.ModuleKnown("good", CountingLoader(ModuleBytes("good"), &calls, "good")).ok());
  EXPECT_EQ(registry_.PreloadModules(), 1);

  absl::StatusOr<BtfRef> got = registry_.TryGetModule("bad");
  EXPECT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("module bad"));
  EXPECT_EQ(calls.load(), 2);  // not parsed again
  std::vector<FailedModule> failed = registry_.FailedModules();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].name, "bad");
  EXPECT_EQ(failed[0].kernel_id, 9u);
  EXPECT_FALSE(failed[0].error.ok());
  EXPECT_EQ(registry_.Stats().modules_failed, 1);
  EXPECT_FALSE(registry_.GetByKernelId(9));
  // Everything else works.
  EXPECT_TRUE(registry_.TryGetModule("good").ok());
  EXPECT_EQ(registry_.FindTypes("good_obj0", BTF_KIND_STRUCT).size(), 1u);
  // Going forgets it; it may come back (fixed).
  EXPECT_TRUE(registry_.ModuleGone("bad").ok());
  EXPECT_EQ(registry_.Stats().modules_failed, 0);
  ASSERT_TRUE(registry_.ModuleKnown("bad", CountingLoader(ModuleBytes("bad"), &calls, "bad")).ok());
  EXPECT_TRUE(registry_.TryGetModule("bad").ok());
}

TEST_F(LazyTest, AReloadedModuleIsANewObjectAndOldHoldersKeepTheOld) {
  ASSERT_TRUE(registry_.ModuleComing("mod", ModuleBytes("mod", 2)).ok());
  ASSERT_TRUE(registry_.ModuleLive("mod").ok());
  BtfRef old = *registry_.TryGetModule("mod");
  ASSERT_TRUE(registry_.ModuleGoing("mod").ok());
  // The module is loaded again (a different build: 4 structs).
  ASSERT_TRUE(registry_.ModuleComing("mod", ModuleBytes("mod", 4)).ok());
  ASSERT_TRUE(registry_.ModuleLive("mod").ok());
  BtfRef now = *registry_.TryGetModule("mod");
  EXPECT_NE(now.id(), old.id());
  EXPECT_FALSE(registry_.GetById(old.id()));
  EXPECT_TRUE(old.going());
  EXPECT_EQ(old->FindByName("mod_obj3", BTF_KIND_STRUCT), 0u);  // still the old types
  EXPECT_NE(old->FindByName("mod_obj1", BTF_KIND_STRUCT), 0u);
  EXPECT_NE(now->FindByName("mod_obj3", BTF_KIND_STRUCT), 0u);
  // The index follows: one mod_obj1 (the new module's), not two.
  std::vector<TypeMatch> found = registry_.FindTypes("mod_obj1", BTF_KIND_STRUCT);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].btf, now);
}

TEST_F(LazyTest, TypeIndexSpansBaseAndModulesAndFollowsThem) {
  ASSERT_TRUE(registry_.ModuleComing("m1", ModuleBytes("m1")).ok());
  ASSERT_TRUE(registry_.ModuleComing("m2", ModuleBytes("m2")).ok());
  // task_struct is in the base only.
  std::vector<TypeMatch> task = registry_.FindTypes("task_struct", BTF_KIND_STRUCT);
  ASSERT_EQ(task.size(), 1u);
  EXPECT_FALSE(task[0].btf.is_module());
  EXPECT_EQ(task[0].btf->type_name(task[0].type_id), "task_struct");
  std::vector<TypeMatch> m2 = registry_.FindTypes("m2_obj2", BTF_KIND_STRUCT);
  ASSERT_EQ(m2.size(), 1u);
  EXPECT_EQ(m2[0].btf.name(), "m2");
  EXPECT_EQ(m2[0].btf->type_name(m2[0].type_id), "m2_obj2");
  EXPECT_TRUE(registry_.FindTypes("m2_obj2", BTF_KIND_UNION).empty());
  // CO-RE: a local "task_struct___mine" finds the kernel's task_struct.
  std::vector<TypeMatch> cands = registry_.FindCandidates("task_struct___mine", BTF_KIND_STRUCT);
  ASSERT_EQ(cands.size(), 1u);
  EXPECT_EQ(cands[0].type_id, task[0].type_id);
  EXPECT_EQ(registry_.FindCandidates("m1_obj0___x", BTF_KIND_STRUCT).size(), 1u);
  ASSERT_TRUE(registry_.ModuleGoing("m2").ok());
  EXPECT_TRUE(registry_.FindTypes("m2_obj2", BTF_KIND_STRUCT).empty());
  EXPECT_EQ(registry_.FindTypes("m1_obj2", BTF_KIND_STRUCT).size(), 1u);
}

TEST_F(LazyTest, SearchScopeAllParsesKnownModules) {
  std::atomic<int> calls{0};
  ASSERT_TRUE(registry_.ModuleKnown("k", CountingLoader(ModuleBytes("k"), &calls, "k")).ok());
  EXPECT_TRUE(registry_.FindTypes("k_obj0", BTF_KIND_STRUCT).empty());  // kLoaded
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(registry_.FindTypes("k_obj0", BTF_KIND_STRUCT, Registry::Scope::kAll).size(), 1u);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(LazyTest, AKnownModuleThatGoesBeforeItIsAskedForIsForgotten) {
  std::atomic<int> calls{0};
  ASSERT_TRUE(registry_.ModuleKnown("brief", CountingLoader(ModuleBytes("brief"), &calls, "brief"), 5).ok());
  ASSERT_TRUE(registry_.ModuleGone("brief").ok());
  EXPECT_EQ(registry_.TryGetModule("brief").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(registry_.GetByKernelId(5));
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(registry_.Stats().modules_known, 0);
}

}  // namespace
}  // namespace btfreg
