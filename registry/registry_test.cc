// Unit tests: one or more per contract line of registry.h.

#include "registry/registry.h"

#include <string>
#include <vector>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/testing.h"

namespace btfreg {
namespace {

using ::testing::HasSubstr;
using testing_util::kBasePath;
using testing_util::ModuleBytes;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto base = registry_.RegisterBase(kBasePath);
    ASSERT_TRUE(base.ok()) << base.status();
    base_id_ = base->id();
  }
  BtfRef Load(const std::string& name, bool live = true) {
    auto ref = registry_.ModuleComing(name, ModuleBytes(name));
    EXPECT_TRUE(ref.ok()) << ref.status();
    if (live) {
      EXPECT_TRUE(registry_.ModuleLive(name).ok());
    }
    return ref.ok() ? *ref : BtfRef();
  }
  Registry registry_;
  uint32_t base_id_ = 0;
};

TEST_F(RegistryTest, BaseIsRegisteredOnceWithIdOne) {
  EXPECT_EQ(base_id_, 1u);
  BtfRef base = registry_.base();
  ASSERT_TRUE(base);
  EXPECT_EQ(base.name(), "vmlinux");
  EXPECT_FALSE(base.is_module());
  EXPECT_NE(base->FindByName("task_struct", BTF_KIND_STRUCT), 0u);
  auto again = registry_.RegisterBase(kBasePath);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_.GetByName("vmlinux"), base);
}

TEST(RegistryNoBaseTest, RegisterBaseFromBtfAndModulesNeedABase) {
  Registry registry;
  auto early = registry.ModuleComing("m", ModuleBytes("m"));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  auto btf = Btf::LoadFile(kBasePath);
  ASSERT_TRUE(btf.ok());
  auto base = registry.RegisterBase(std::move(*btf));
  ASSERT_TRUE(base.ok());
  EXPECT_TRUE(registry.ModuleComing("m", ModuleBytes("m")).ok());
  auto missing = Registry().RegisterBase("/nonexistent/vmlinux");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, ModuleComingPublishesSplitBtfUnderANewId) {
  BtfRef mod = Load("nf_a", /*live=*/false);
  ASSERT_TRUE(mod);
  EXPECT_NE(mod.id(), 0u);
  EXPECT_NE(mod.id(), base_id_);
  EXPECT_TRUE(mod.is_module());
  EXPECT_EQ(mod->base(), registry_.base().get());
  uint32_t obj = mod->FindByName("nf_a_obj0", BTF_KIND_STRUCT);
  ASSERT_GE(obj, mod->start_id());
  // Its list_head is the base's.
  auto list = mod->StructWalk(obj, 0, 8);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->pointee_id, registry_.base()->FindByName("list_head", BTF_KIND_STRUCT));
  BtfRef found = registry_.GetById(mod.id());
  EXPECT_EQ(found, mod);
}

TEST_F(RegistryTest, ComingTwiceLiveBeforeComingLiveTwice) {
  Load("dup", /*live=*/false);
  auto twice = registry_.ModuleComing("dup", ModuleBytes("dup"));
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(twice.status().message(), HasSubstr("dup"));
  EXPECT_EQ(registry_.ModuleLive("never").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(registry_.ModuleLive("dup").ok());
  EXPECT_EQ(registry_.ModuleLive("dup").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_.ModuleLive("vmlinux").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RegistryTest, BadModuleBtfIsRefusedAndNamedAndChangesNothing) {
  RegistryStats before = registry_.Stats();
  std::vector<uint8_t> bad = ModuleBytes("bad");
  bad.resize(bad.size() / 2);
  auto refused = registry_.ModuleComing("bad", bad);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("module bad"));
  // Standalone BTF (a BPF object's) is not split BTF on this base.
  auto standalone = registry_.ModuleComing(
      "standalone", testing_util::ReadAll("tests/data/mini_prog.bpf.o"));
  EXPECT_EQ(standalone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(standalone.status().message(), HasSubstr("module standalone"));
  RegistryStats after = registry_.Stats();
  EXPECT_EQ(after.live_objects, before.live_objects);
  EXPECT_EQ(after.loads, before.loads);
  EXPECT_FALSE(registry_.GetByName("bad"));
  EXPECT_TRUE(Load("good"));
}

TEST_F(RegistryTest, ModuleGoingUnpublishesAtOnceButReferencesStayValid) {
  BtfRef mod = Load("going");
  const uint32_t id = mod.id();
  const Btf* btf = mod.get();
  ASSERT_TRUE(registry_.ModuleGoing("going").ok());
  EXPECT_FALSE(registry_.GetById(id));
  EXPECT_FALSE(registry_.WithBtf(id, [](const Btf&) {}));
  EXPECT_FALSE(registry_.GetByName("going"));
  EXPECT_EQ(registry_.TryGetModule("going").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(mod.going());
  // The object is intact for the holder.
  EXPECT_EQ(mod.get(), btf);
  EXPECT_NE(btf->FindByName("going_obj0", BTF_KIND_STRUCT), 0u);
  RegistryStats s = registry_.Stats();
  EXPECT_EQ(s.going_referenced, 1);
  EXPECT_EQ(s.unloads, 1);
  BtfRef copy = mod;
  mod.reset();
  rcu::Barrier();  // the references counted per thread are summed by then
  EXPECT_EQ(registry_.Stats().going_referenced, 1);
  copy.reset();
  EXPECT_EQ(registry_.Stats().going_referenced, 0);
  rcu::Barrier();
  EXPECT_EQ(registry_.Stats().awaiting_grace, 0);
  EXPECT_EQ(registry_.ModuleGoing("going").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_.ModuleGoing("vmlinux").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RegistryTest, TryGetModuleOnlyWhileLive) {
  Load("m", /*live=*/false);
  auto coming = registry_.TryGetModule("m");
  EXPECT_EQ(coming.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(registry_.ModuleLive("m").ok());
  auto live = registry_.TryGetModule("m");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->name(), "m");
  ASSERT_TRUE(registry_.ModuleGoing("m").ok());
  EXPECT_EQ(registry_.TryGetModule("m").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, TheBaseIsNoModuleAndModuleCallsSaySo) {
  // vmlinux is found by name, and every module call that names it says
  // that it is the base rather than "not loaded".
  EXPECT_TRUE(registry_.GetByName("vmlinux"));
  for (absl::Status s : {registry_.TryGetModule("vmlinux").status(),
                         registry_.TryPinModule("vmlinux").status(),
                         registry_.ModuleGoing("vmlinux"), registry_.ModuleGone("vmlinux"),
                         registry_.ModuleLive("vmlinux"), registry_.StateOf("vmlinux").status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(s.message(), HasSubstr("vmlinux is the base, not a module")) << s;
  }
  EXPECT_TRUE(registry_.base());  // still there
}

TEST_F(RegistryTest, StateOfFollowsAModuleThroughItsLife) {
  EXPECT_EQ(registry_.StateOf("m").status().code(), absl::StatusCode::kNotFound);
  Load("m", /*live=*/false);
  EXPECT_EQ(*registry_.StateOf("m"), ModuleState::kComing);
  ASSERT_TRUE(registry_.ModuleLive("m").ok());
  EXPECT_EQ(*registry_.StateOf("m"), ModuleState::kLive);
  ASSERT_TRUE(registry_.ModuleGoing("m").ok());
  EXPECT_EQ(registry_.StateOf("m").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(registry_.ModuleKnown("lazy", [](const Btf& base) -> absl::StatusOr<std::unique_ptr<const Btf>> {
    return Btf::LoadSplitBytes(ModuleBytes("lazy"), "lazy", base);
  }).ok());
  EXPECT_EQ(*registry_.StateOf("lazy"), ModuleState::kKnown);
  ASSERT_TRUE(registry_.TryGetModule("lazy").ok());
  EXPECT_EQ(*registry_.StateOf("lazy"), ModuleState::kLive);
  ASSERT_TRUE(registry_.ModuleKnown("broken", [](const Btf&) -> absl::StatusOr<std::unique_ptr<const Btf>> {
    return absl::InvalidArgumentError("broken: no BTF");
  }).ok());
  EXPECT_FALSE(registry_.TryGetModule("broken").ok());
  EXPECT_EQ(*registry_.StateOf("broken"), ModuleState::kFailed);
}

TEST_F(RegistryTest, AnUnloadThatWaitsIsNotStarvedByPinsTakenBackToBack) {
  // Two threads pin the module hand over hand (a new pin before the old one
  // goes), so it is never without a pin: a plain ModuleGoing is refused
  // every time. ModuleGoingWait refuses new pins at once and waits for the
  // ones there to go.
  Load("busy");
  std::atomic<bool> stop{false};
  std::atomic<int> holding{0};
  std::atomic<int64_t> pinned{0}, refused_going{0};
  auto pinner = [&] {
    absl::StatusOr<ModulePin> first = registry_.TryPinModule("busy");
    ASSERT_TRUE(first.ok()) << first.status();
    ModulePin held = std::move(*first);
    holding.fetch_add(1);
    while (!stop.load()) {
      absl::StatusOr<ModulePin> next = registry_.TryPinModule("busy");
      if (next.ok()) {
        held = std::move(*next);  // takes the new pin, then drops the old
        pinned.fetch_add(1);
        continue;
      }
      if (next.status().message().find("is going") != absl::string_view::npos) {
        refused_going.fetch_add(1);
      }
      held.Release();
      std::this_thread::yield();
    }
  };
  std::thread a(pinner), b(pinner);
  while (holding.load() < 2) std::this_thread::yield();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(registry_.ModuleGoing("busy").code(), absl::StatusCode::kFailedPrecondition);
  }
  const absl::Status s = registry_.ModuleGoingWait("busy", absl::Seconds(60));
  stop.store(true);
  a.join();
  b.join();
  printf("pins taken hand over hand: %lld; refused once the unload waited: %lld\n",
         static_cast<long long>(pinned.load()), static_cast<long long>(refused_going.load()));
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_GE(refused_going.load(), 2);  // each pinner was turned away
  EXPECT_FALSE(registry_.GetByName("busy"));
  EXPECT_EQ(registry_.StateOf("busy").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, AnUnloadThatWaitsGivesUpAtItsDeadlineAndLeavesTheModuleUsable) {
  Load("held");
  absl::StatusOr<ModulePin> pin = registry_.TryPinModule("held");
  ASSERT_TRUE(pin.ok());
  const absl::Status s = registry_.ModuleGoingWait("held", absl::Milliseconds(30));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_THAT(s.message(), HasSubstr("pinned by 1"));
  EXPECT_EQ(*registry_.StateOf("held"), ModuleState::kLive);
  absl::StatusOr<ModulePin> again = registry_.TryPinModule("held");
  EXPECT_TRUE(again.ok()) << again.status();
  again->Release();

  // While one unload waits: no new pin, no second waiting unload; when the
  // last pin goes, the module goes.
  absl::Status waited = absl::UnknownError("not run");
  std::thread unloader([&] { waited = registry_.ModuleGoingWait("held", absl::Seconds(30)); });
  while (registry_.StateOf("held").value_or(ModuleState::kLive) != ModuleState::kGoing) {
    std::this_thread::yield();
  }
  EXPECT_EQ(registry_.TryPinModule("held").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_.TryGetModule("held").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_.ModuleGoingWait("held", absl::ZeroDuration()).code(),
            absl::StatusCode::kFailedPrecondition);
  pin->Release();
  unloader.join();
  EXPECT_TRUE(waited.ok()) << waited;
  EXPECT_FALSE(registry_.GetByName("held"));
  EXPECT_EQ(registry_.ModuleGoingWait("held", absl::Seconds(1)).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, ModuleComingWithEmptyBracesIsBytes) {
  // Not ambiguous: the parsed-object overload has a name of its own.
  auto empty = registry_.ModuleComing("empty", {});
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("module empty"));
}

TEST_F(RegistryTest, IdsAreCyclicNeverZeroAndNotReused) {
  std::vector<uint32_t> ids;
  for (int i = 0; i < 50; ++i) {
    BtfRef m = Load("cycle");
    ids.push_back(m.id());
    ASSERT_TRUE(registry_.ModuleGoing("cycle").ok());
  }
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i], ids[i - 1]);
  // Across the wrap: ..., kMaxId - 1, kMaxId, then 1 (the base's: skipped), 2.
  registry_.SetNextIdForTesting(Registry::kMaxId - 1);
  std::vector<uint32_t> wrapped;
  for (int i = 0; i < 4; ++i) {
    BtfRef m = Load("w" + std::to_string(i));
    wrapped.push_back(m.id());
  }
  EXPECT_EQ(wrapped[0], Registry::kMaxId - 1);
  EXPECT_EQ(wrapped[1], Registry::kMaxId);
  EXPECT_NE(wrapped[2], 0u);
  EXPECT_NE(wrapped[2], base_id_);
  EXPECT_LT(wrapped[2], wrapped[3]);
  EXPECT_EQ(registry_.GetById(0), BtfRef());
}

TEST_F(RegistryTest, ManyModulesGrowTheTable) {
  std::vector<BtfRef> refs;
  for (int i = 0; i < 100; ++i) refs.push_back(Load("grow" + std::to_string(i)));
  for (int i = 0; i < 100; ++i) {
    BtfRef again = registry_.GetById(refs[i].id());
    ASSERT_EQ(again, refs[i]) << i;
    EXPECT_EQ(again.name(), "grow" + std::to_string(i));
  }
  EXPECT_EQ(registry_.Stats().live_objects, 101);
  EXPECT_EQ(registry_.Stats().modules_live, 100);
}

TEST_F(RegistryTest, BorrowingReadsTakeNoReference) {
  BtfRef mod = Load("borrow");
  bool called = false;
  EXPECT_TRUE(registry_.WithBtf(mod.id(), [&](const Btf& btf) {
    called = true;
    EXPECT_NE(btf.FindByName("borrow_obj1", BTF_KIND_STRUCT), 0u);
  }));
  EXPECT_TRUE(called);
  {
    rcu::ReadSection rs;
    EXPECT_EQ(registry_.Borrow(mod.id(), rs), mod.get());
    EXPECT_EQ(registry_.Borrow(mod.id() + 1000, rs), nullptr);
  }
  mod.reset();
  // Only the registry holds it now: going frees it (after a grace period).
  ASSERT_TRUE(registry_.ModuleGoing("borrow").ok());
  rcu::Barrier();
  EXPECT_EQ(registry_.Stats().going_referenced, 0);
  EXPECT_EQ(registry_.Stats().awaiting_grace, 0);
}

// A QSBR reader (rcu.h) borrows without a read section: what it borrowed
// stays readable until its next quiescent state, and the free waits for it.
TEST_F(RegistryTest, AQsbrReaderHoldsUpTheFreeUntilItsQuiescentState) {
  const uint32_t id = Load("qsbr").id();  // only the registry holds it
  std::mutex mu;
  std::condition_variable cv;
  int stage = 0;  // 1: borrowed; 2: read it again and announce; 3: announced
  auto advance_to = [&](int s) {
    std::lock_guard<std::mutex> l(mu);
    stage = s;
    cv.notify_all();
  };
  auto wait_for = [&](int s) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return stage >= s; });
  };
  std::thread reader([&] {
    rcu::QsbrReader online;
    EXPECT_TRUE(rcu::QsbrIsOnline());
    EXPECT_TRUE(rcu::InReadSection());  // always, while online
    const Btf* btf = nullptr;
    {
      rcu::ReadSection rs;  // costs nothing here
      btf = registry_.Borrow(id, rs);
    }
    ASSERT_NE(btf, nullptr);  // and still readable after the section
    advance_to(1);
    // Spin rather than block: a QSBR reader goes offline before it blocks,
    // and going offline would end what it borrowed.
    while ([&] { std::lock_guard<std::mutex> l(mu); return stage < 2; }()) {}
    EXPECT_NE(btf->FindByName("qsbr_obj0", BTF_KIND_STRUCT), 0u);  // ASan: not freed
    rcu::QuiescentState();
    advance_to(3);
  });
  wait_for(1);
  ASSERT_TRUE(registry_.ModuleGoing("qsbr").ok());
  std::atomic<bool> barrier_done{false};
  std::thread waiter([&] {
    rcu::Barrier();
    barrier_done = true;
  });
  // The frees cannot run while the reader has not announced: neither the
  // drain of its count nor the object's free.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(barrier_done.load());
  EXPECT_EQ(registry_.Stats().freed, 0);
  advance_to(2);
  reader.join();
  waiter.join();
  EXPECT_TRUE(barrier_done.load());
  EXPECT_EQ(registry_.Stats().freed, 1);
  EXPECT_FALSE(rcu::QsbrIsOnline());  // this thread never was
}

// use_count sums the threads' counts while they are kept, including in the
// grace period between an object's going and the drain of its counts.
TEST_F(RegistryTest, UseCountIsExactBeforeTheCountsAreSummed) {
  BtfRef mod = Load("counted");
  BtfRef by_id = registry_.GetById(mod.id());  // counted in this thread's counter
  EXPECT_EQ(mod.use_count(), 3);  // the registry's, mod, by_id
  {
    rcu::ReadSection rs;  // holds up the grace period the drain waits for
    AllowLocksInReadSectionForTesting going_takes_the_registry_lock;
    ASSERT_TRUE(registry_.ModuleGoing("counted").ok());
    EXPECT_EQ(mod.use_count(), 2);
    by_id.reset();
    EXPECT_EQ(mod.use_count(), 1);
    EXPECT_EQ(registry_.Stats().going_referenced, 1);
  }
  rcu::Barrier();  // drained: the count is in the atomic count alone
  EXPECT_EQ(mod.use_count(), 1);
  mod.reset();
  rcu::Barrier();
  EXPECT_EQ(registry_.Stats().going_referenced, 0);
  EXPECT_EQ(registry_.Stats().awaiting_grace, 0);
}

TEST_F(RegistryTest, SnapshotListsBaseFirstThenModulesById) {
  Load("s1");
  Load("s2", /*live=*/false);
  std::vector<BtfRef> snap = registry_.Snapshot();
  ASSERT_EQ(snap.size(), 3u);
  EXPECT_EQ(snap[0].name(), "vmlinux");
  EXPECT_EQ(snap[1].name(), "s1");
  EXPECT_EQ(snap[2].name(), "s2");
  ASSERT_TRUE(registry_.ModuleGoing("s1").ok());
  EXPECT_EQ(registry_.Snapshot().size(), 2u);
  EXPECT_FALSE(snap[1]->name().empty());  // the snapshot still holds s1
}

TEST_F(RegistryTest, ObserversHearEveryChangeInOrder) {
  std::vector<std::string> heard;
  int handle = registry_.AddObserver([&](const RegistryEvent& e) {
    static const char* kinds[] = {"loaded", "live", "going"};
    heard.push_back(std::string(kinds[e.kind]) + " " + e.name);
    if (e.kind != RegistryEvent::kGoing) {
      EXPECT_TRUE(e.ref);
    }
  });
  Load("o1");
  ASSERT_TRUE(registry_.ModuleGoing("o1").ok());
  registry_.RemoveObserver(handle);
  Load("o2");
  EXPECT_THAT(heard, ::testing::ElementsAre("loaded o1", "live o1", "going o1"));
}

TEST_F(RegistryTest, PinnedModuleCannotGo) {
  Load("pinned", /*live=*/false);
  EXPECT_EQ(registry_.TryPinModule("pinned").status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(registry_.ModuleLive("pinned").ok());
  auto pin = registry_.TryPinModule("pinned");
  ASSERT_TRUE(pin.ok());
  absl::Status refused = registry_.ModuleGoing("pinned");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("pinned by 1"));
  EXPECT_TRUE(registry_.TryGetModule("pinned").ok());
  pin->Release();
  EXPECT_FALSE(*pin);
  EXPECT_TRUE(registry_.ModuleGoing("pinned").ok());
  EXPECT_EQ(registry_.TryPinModule("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, ModuleGoneIgnoresPinsWhichKeepTheObjectReadable) {
  Load("unloaded");
  auto pin = registry_.TryPinModule("unloaded");
  ASSERT_TRUE(pin.ok());
  const uint32_t id = pin->ref().id();
  ASSERT_TRUE(registry_.ModuleGone("unloaded").ok());  // the kernel decided
  EXPECT_FALSE(registry_.GetById(id));
  EXPECT_FALSE(registry_.GetByName("unloaded"));
  EXPECT_TRUE(pin->ref().going());
  EXPECT_NE(pin->ref()->FindByName("unloaded_obj0", BTF_KIND_STRUCT), 0u);
  EXPECT_EQ(registry_.ModuleGone("unloaded").code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, ParsedModulesWithKernelIds) {
  BtfRef base = registry_.base();
  auto split = Btf::LoadSplitBytes(ModuleBytes("kmod"), "kmod", *base);
  ASSERT_TRUE(split.ok()) << split.status();
  auto kmod = registry_.ModuleComingParsed("kmod", std::move(*split), 42);
  ASSERT_TRUE(kmod.ok()) << kmod.status();
  EXPECT_EQ(kmod->kernel_id(), 42u);
  EXPECT_EQ(registry_.GetByKernelId(42), *kmod);
  EXPECT_FALSE(registry_.GetByKernelId(43));
  EXPECT_EQ(base.kernel_id(), 0u);  // registered from a file

  // Standalone BTF (what a program loads into the kernel) is a module too.
  auto standalone = Btf::LoadFile(kBasePath);
  ASSERT_TRUE(standalone.ok());
  auto prog = registry_.ModuleComingParsed("btf#43", std::move(*standalone), 43);
  ASSERT_TRUE(prog.ok()) << prog.status();
  EXPECT_EQ(registry_.GetByKernelId(43), *prog);

  // A kernel id is registered once; BTF split on another base is refused.
  auto dup = Btf::LoadFile(kBasePath);
  EXPECT_EQ(registry_.ModuleComingParsed("other", std::move(*dup), 42).status().code(),
            absl::StatusCode::kAlreadyExists);
  auto other_base = Btf::LoadFile(kBasePath);
  auto foreign = Btf::LoadSplitBytes(ModuleBytes("f"), "f", **other_base);
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(registry_.ModuleComingParsed("f", std::move(*foreign)).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(registry_.ModuleGoing("kmod").ok());
  EXPECT_FALSE(registry_.GetByKernelId(42));
  EXPECT_TRUE(kmod->going());
}

TEST_F(RegistryTest, StatsCountObjectsLoadsUnloadsAndBytes) {
  RegistryStats s0 = registry_.Stats();
  EXPECT_EQ(s0.live_objects, 1);
  EXPECT_EQ(s0.loads, 1);
  EXPECT_GT(s0.bytes, 0);
  BtfRef a = Load("a");
  Load("b", /*live=*/false);
  RegistryStats s1 = registry_.Stats();
  EXPECT_EQ(s1.live_objects, 3);
  EXPECT_EQ(s1.modules_live, 1);
  EXPECT_EQ(s1.modules_coming, 1);
  EXPECT_EQ(s1.loads, 3);
  EXPECT_GT(s1.bytes, s0.bytes);
  ASSERT_TRUE(registry_.ModuleGoing("a").ok());
  ASSERT_TRUE(registry_.ModuleGoing("b").ok());
  rcu::Barrier();  // b's count, kept per thread, is summed (to 0) by then
  RegistryStats s2 = registry_.Stats();
  EXPECT_EQ(s2.unloads, 2);
  EXPECT_EQ(s2.going_referenced, 1);  // `a` is held
  a.reset();
  rcu::Barrier();
  EXPECT_EQ(registry_.Stats().bytes, s0.bytes);
}

TEST(BtfRefTest, CopyMoveAndOutlivingTheRegistry) {
  BtfRef kept;
  {
    Registry registry;
    ASSERT_TRUE(registry.RegisterBase(kBasePath).ok());
    auto mod = registry.ModuleComing("m", ModuleBytes("m"));
    ASSERT_TRUE(mod.ok());
    BtfRef copy = *mod;
    EXPECT_EQ(copy, *mod);
    BtfRef moved = std::move(copy);
    EXPECT_FALSE(copy);  // NOLINT: moved-from is empty by contract
    kept = moved;
  }
  // The registry is gone; the module and (through it) its base live on.
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept.going());
  uint32_t obj = kept->FindByName("m_obj0", BTF_KIND_STRUCT);
  auto walk = kept->StructWalk(obj, 0, 8);
  ASSERT_TRUE(walk.ok()) << walk.status();
  EXPECT_NE(kept->base()->FindByName("list_head", BTF_KIND_STRUCT), 0u);
  kept.reset();
  rcu::Barrier();
}


TEST_F(RegistryTest, HandlesResolveAndDetectSlotReuse) {
  BtfRef a = Load("ha");
  const BtfHandle ha = a.handle();
  ASSERT_NE(ha.gen, 0);
  {
    const BtfRef base = registry_.base();  // base() takes the lock: not in a read section
    rcu::ReadSection rs;
    EXPECT_EQ(registry_.BorrowByHandle(ha, rs), a.get());
    EXPECT_EQ(registry_.BorrowByHandle(base.handle(), rs), base.get());
  }
  ASSERT_TRUE(registry_.ModuleGoing("ha").ok());
  BtfRef b = Load("hb");
  // The slot is reused at once, under a new generation.
  EXPECT_EQ(b.handle().slot, ha.slot);
  EXPECT_NE(b.handle().gen, ha.gen);
  rcu::ReadSection rs;
  EXPECT_EQ(registry_.BorrowByHandle(ha, rs), nullptr);
  EXPECT_EQ(registry_.BorrowByHandle(b.handle(), rs), b.get());
  EXPECT_EQ(registry_.BorrowByHandle(BtfHandle{}, rs), nullptr);
  EXPECT_FALSE(registry_.GetByHandle(ha));
  EXPECT_EQ(registry_.GetByHandle(b.handle()), b);
}

// What the cyclic ids prevent: an id reused at once (as a plain idr_alloc
// would give it) makes a stale id find another object.
TEST(RegistryIdReuseTest, AnIdReusedAtOnceFindsAnotherObject) {
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  auto a = registry.ModuleComing("a", ModuleBytes("a"));
  ASSERT_TRUE(a.ok());
  const uint32_t stale = a->id();
  ASSERT_TRUE(registry.ModuleGoing("a").ok());
  registry.SetNextIdForTesting(stale);
  auto b = registry.ModuleComing("b", ModuleBytes("b"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->id(), stale);  // the hazard the default policy avoids
  BtfRef found = registry.GetById(stale);
  ASSERT_TRUE(found);
  EXPECT_EQ(found.name(), "b");
}

}  // namespace
}  // namespace btfreg
