// Each of the registry's internal tables by itself: the id table, the handle
// table, the known-module table and the type index.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "btf/btf.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/internal/handle_table.h"
#include "registry/internal/id_table.h"
#include "registry/internal/kernel_id_table.h"
#include "registry/internal/known_modules.h"
#include "registry/internal/thread_refs.h"
#include "registry/internal/type_index.h"
#include "registry/rcu.h"
#include "registry/testing.h"

namespace btfreg {
namespace internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing_util::kBasePath;
using testing_util::ModuleBytes;

// Objects over real BTF, owned by the test (no registry): freed directly,
// as none is ever referenced from elsewhere.
class Objects {
 public:
  Objects() : counters_(std::make_shared<Counters>()) {
    base_ = *Btf::LoadVmlinux(kBasePath);
  }
  BtfObject* Make(uint32_t id, const std::string& module = "", uint32_t kernel_id = 0) {
    std::unique_ptr<const Btf> btf;
    if (module.empty()) {
      btf = *Btf::LoadVmlinux(kBasePath);
    } else {
      btf = *Btf::LoadSplitBytes(ModuleBytes(module), module, *base_);
    }
    owned_.push_back(std::make_unique<BtfObject>(id, module.empty() ? "vmlinux" : module,
                                                 !module.empty(), kernel_id, std::move(btf),
                                                 counters_));
    return owned_.back().get();
  }

 private:
  std::shared_ptr<Counters> counters_;
  std::unique_ptr<Btf> base_;
  std::vector<std::unique_ptr<BtfObject>> owned_;
};

TEST(IdTableTest, PublishedIdsAreFoundAndGoneOnesAreNot) {
  Mutex mu;
  Objects objects;
  MutexLock l(mu);
  IdTable ids(mu);
  const uint32_t a_id = ids.AllocateId();
  BtfObject* a = objects.Make(a_id);
  ids.Publish(a);
  const uint32_t b_id = ids.AllocateId();
  BtfObject* b = objects.Make(b_id);
  ids.Publish(b);
  EXPECT_EQ(a_id, 1u);
  EXPECT_EQ(b_id, 2u);
  {
    rcu::ReadSection rs;
    EXPECT_EQ(ids.Lookup(a_id), a);
    EXPECT_EQ(ids.Lookup(b_id), b);
    EXPECT_EQ(ids.Lookup(0), nullptr);
    EXPECT_EQ(ids.Lookup(a_id + ids.capacity()), nullptr);  // same slot, other id
  }
  ids.Unpublish(a);
  EXPECT_EQ(ids.published(), 1u);
  rcu::ReadSection rs;
  EXPECT_EQ(ids.Lookup(a_id), nullptr);
  EXPECT_EQ(ids.TakeAll(), std::vector<BtfObject*>{b});
}

TEST(IdTableTest, IdsAreCyclicAndWrapPastTheLargest) {
  Mutex mu;
  Objects objects;
  MutexLock l(mu);
  IdTable ids(mu);
  BtfObject* first = objects.Make(ids.AllocateId());
  ids.Publish(first);
  ids.Unpublish(first);
  EXPECT_EQ(ids.AllocateId(), 2u);  // 1 is free, and not reused
  ids.SetNextId(IdTable::kMaxId);
  EXPECT_EQ(ids.AllocateId(), IdTable::kMaxId);
  EXPECT_EQ(ids.AllocateId(), 1u);  // wrapped; never 0
  ids.TakeAll();
}

TEST(IdTableTest, GrowsWhenHalfFullAndKeepsEveryObject) {
  Mutex mu;
  Objects objects;
  MutexLock l(mu);
  IdTable ids(mu);
  const size_t initial = ids.capacity();
  std::vector<BtfObject*> published;
  for (size_t i = 0; i < 3 * initial; ++i) {
    published.push_back(objects.Make(ids.AllocateId()));
    ids.Publish(published.back());
    EXPECT_LE(ids.published() * 2, ids.capacity());
  }
  EXPECT_GE(ids.capacity(), 4 * initial);
  rcu::ReadSection rs;
  for (BtfObject* obj : published) EXPECT_EQ(ids.Lookup(obj->id()), obj);
  EXPECT_EQ(ids.TakeAll().size(), published.size());
}

TEST(IdTableDeathTest, WritersMustHoldTheLock) {
#ifdef NDEBUG
  GTEST_SKIP() << "the lock is checked in debug builds only";
#endif
  Mutex mu;
  IdTable ids(mu);
  EXPECT_DEATH(ids.AllocateId(), "not held");
}

// The registry's contracts, checked in debug builds.
TEST(ContractDeathTest, ALockTakenInsideAReadSectionFails) {
#ifdef NDEBUG
  GTEST_SKIP() << "contracts are checked in debug builds only";
#endif
  Registry registry;
  EXPECT_DEATH(
      {
        rcu::ReadSection rs;
        registry.base();  // takes the registry's lock
      },
      "inside a read section");
}

TEST(ContractDeathTest, ALookupOutsideAReadSectionFails) {
#ifdef NDEBUG
  GTEST_SKIP() << "contracts are checked in debug builds only";
#endif
  Mutex mu;
  IdTable ids(mu);
  EXPECT_DEATH(ids.Lookup(1), "outside a read section");
}

TEST(HandleTableTest, AStaleHandleFindsNothingWhenItsSlotIsReused) {
  Mutex mu;
  Objects objects;
  MutexLock l(mu);
  HandleTable handles(mu);
  BtfObject* a = objects.Make(1);
  handles.Publish(a);
  const BtfHandle ha = a->handle();
  EXPECT_NE(ha.gen, 0);
  handles.Unpublish(a);
  BtfObject* b = objects.Make(2);
  handles.Publish(b);
  EXPECT_EQ(b->handle().slot, ha.slot);  // last freed, first reused
  EXPECT_NE(b->handle().gen, ha.gen);
  rcu::ReadSection rs;
  EXPECT_EQ(handles.Lookup(ha), nullptr);
  EXPECT_EQ(handles.Lookup(b->handle()), b);
  EXPECT_EQ(handles.Lookup(BtfHandle{}), nullptr);
  EXPECT_EQ(handles.Lookup(BtfHandle{HandleTable::kSlots, 1}), nullptr);
}

TEST(KernelIdTableTest, ObjectsAreFoundByKernelIdUntilRemovedOrGoing) {
  Mutex mu;
  Objects objects;
  MutexLock l(mu);
  KernelIdTable table(mu);
  // More than one snapshot size, and kernel ids that collide in a small one.
  std::vector<BtfObject*> objs;
  for (uint32_t k = 0; k < 40; ++k) {
    objs.push_back(objects.Make(k + 1, "", /*kernel_id=*/8 * k + 3));
    table.Insert(objs.back());
  }
  {
    rcu::ReadSection rs;
    for (BtfObject* obj : objs) EXPECT_EQ(table.Lookup(obj->kernel_id()), obj);
    EXPECT_EQ(table.Lookup(0), nullptr);
    EXPECT_EQ(table.Lookup(4), nullptr);
  }
  table.Remove(objs[5]);
  EXPECT_FALSE(table.Contains(objs[5]->kernel_id()));
  EXPECT_EQ(table.Find(objs[6]->kernel_id()), objs[6]);
  {
    rcu::ReadSection rs;
    EXPECT_EQ(table.Lookup(objs[5]->kernel_id()), nullptr);
    EXPECT_EQ(table.Lookup(objs[6]->kernel_id()), objs[6]);
  }
  table.Clear();
  rcu::ReadSection rs;
  EXPECT_EQ(table.Lookup(objs[6]->kernel_id()), nullptr);
}

TEST(KnownModulesTest, AKnownModuleIsSettledOnceAsParsedOrFailed) {
  KnownModules known;
  auto loader = [](const Btf&) -> absl::StatusOr<std::unique_ptr<const Btf>> {
    return absl::InternalError("unused");
  };
  known.Add("a", loader, 7);
  known.Add("b", loader, 0);
  EXPECT_TRUE(known.Contains("a"));
  EXPECT_TRUE(known.ContainsKernelId(7));
  EXPECT_EQ(known.NameOfKernelId(7), "a");
  EXPECT_EQ(known.unparsed(), 2u);
  const ParseOnce* a_once = known.FindKnown("a")->once.get();
  EXPECT_FALSE(known.Settle("a", known.FindKnown("b")->once.get(), absl::OkStatus()));
  EXPECT_TRUE(known.Settle("a", a_once, absl::OkStatus()));  // parsed: gone from here
  EXPECT_FALSE(known.Contains("a"));
  EXPECT_FALSE(known.ContainsKernelId(7));
  EXPECT_TRUE(known.Settle("b", known.FindKnown("b")->once.get(),
                           absl::InvalidArgumentError("module b: bad")));
  EXPECT_EQ(known.FindKnown("b"), nullptr);
  ASSERT_TRUE(known.FailedError("b").has_value());
  EXPECT_EQ(known.FailedError("b")->message(), "module b: bad");
  EXPECT_EQ(known.unparsed(), 1u);
  ASSERT_EQ(known.Failed().size(), 1u);
  EXPECT_EQ(known.Failed()[0].name, "b");
  EXPECT_TRUE(known.Forget("b"));
  EXPECT_FALSE(known.Forget("b"));
  EXPECT_EQ(known.unparsed(), 0u);
}

TEST(TypeIndexTest, PostingsFollowTheObjectsAddedAndRemoved) {
  Objects objects;
  BtfObject* m1 = objects.Make(2, "m1");
  BtfObject* m2 = objects.Make(3, "m2");
  TypeIndex index;
  index.Add(m1);
  index.Add(m2);
  auto ids_of = [&](absl::string_view name) {
    std::vector<std::string> out;
    for (const TypeIndex::Posting& p : index.Find(name, BTF_KIND_STRUCT)) {
      out.push_back(p.obj->name() + ":" + std::string(p.obj->btf().type_name(p.type_id)));
    }
    return out;
  };
  EXPECT_THAT(ids_of("m1_obj0"), ElementsAre("m1:m1_obj0"));
  EXPECT_THAT(ids_of("m2_obj1"), ElementsAre("m2:m2_obj1"));
  index.Remove(m1);
  EXPECT_THAT(ids_of("m1_obj0"), IsEmpty());
  EXPECT_THAT(ids_of("m2_obj0"), ElementsAre("m2:m2_obj0"));
  EXPECT_THAT(index.Find("m2_obj0", BTF_KIND_UNION), IsEmpty());
  EXPECT_EQ(KindClass(BTF_KIND_ENUM64), BTF_KIND_ENUM);
}

}  // namespace
}  // namespace internal
}  // namespace btfreg

namespace btfreg {
namespace internal {
namespace {

// A count kept per thread survives its thread: the block passes to the next
// thread, and the sums stay right; a drained slot comes back zeroed.
TEST(ThreadRefsTest, CountsOutliveTheirThreadsAndDrainToTheirSum) {
  const uint32_t slot = ThreadRefs::AllocateSlot();
  ASSERT_NE(slot, ThreadRefs::kNoSlot);
  EXPECT_EQ(ThreadRefs::Sum(slot), 0);
  std::thread taker([&] {
    for (int i = 0; i < 3; ++i) ThreadRefs::Took(ThreadRefs::Counter(slot));  // three taken
  });
  taker.join();  // ... and the thread is gone, its block idle
  std::thread dropper([&] {
    ThreadRefs::Dropped(ThreadRefs::Counter(slot));  // one dropped elsewhere
  });
  dropper.join();
  ThreadRefs::Dropped(ThreadRefs::Counter(slot));  // and one here
  EXPECT_EQ(ThreadRefs::Sum(slot), 1);
  EXPECT_EQ(ThreadRefs::Drain(slot), 1);
  // Drained and free again: the next slot given out is this one, at zero.
  const uint32_t again = ThreadRefs::AllocateSlot();
  EXPECT_EQ(again, slot);
  EXPECT_EQ(ThreadRefs::Sum(again), 0);
  EXPECT_EQ(ThreadRefs::Drain(again), 0);
}

// Slots far apart land in different chunks of a thread's block.
TEST(ThreadRefsTest, EverySlotHasItsOwnCounter) {
  std::vector<uint32_t> slots;
  for (uint32_t i = 0; i < ThreadRefs::kChunk + 2; ++i) {
    const uint32_t s = ThreadRefs::AllocateSlot();
    ASSERT_NE(s, ThreadRefs::kNoSlot);
    slots.push_back(s);
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    for (size_t n = 0; n <= i; ++n) ThreadRefs::Took(ThreadRefs::Counter(slots[i]));
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(ThreadRefs::Drain(slots[i]), static_cast<int64_t>(i) + 1);
  }
}

}  // namespace
}  // namespace internal
}  // namespace btfreg
