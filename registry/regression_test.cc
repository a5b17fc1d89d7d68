// One regression test for each BTF lifetime bug the kernel had.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "registry/registry.h"
#include "registry/testing.h"

namespace btfreg {
namespace {

using testing_util::kBasePath;
using testing_util::ModuleBytes;

class RegressionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(registry_.RegisterBase(kBasePath).ok()); }
  BtfRef Load(const std::string& name) {
    auto ref = registry_.ModuleComing(name, ModuleBytes(name));
    EXPECT_TRUE(ref.ok()) << ref.status();
    EXPECT_TRUE(registry_.ModuleLive(name).ok());
    return *ref;
  }
  Registry registry_;
};

// Kernel 146bd2a87a65: a module's BTF id stayed findable (through the idr)
// after the module went, as long as something held a reference.
TEST_F(RegressionTest, GoneModuleIdIsNotFindableWhileReferenced) {
  BtfRef held = Load("m");
  const uint32_t id = held.id();
  ASSERT_TRUE(registry_.ModuleGoing("m").ok());
  EXPECT_FALSE(registry_.GetById(id));
  EXPECT_FALSE(registry_.WithBtf(id, [](const Btf&) {}));
  rcu::ReadSection rs;
  EXPECT_EQ(registry_.Borrow(id, rs), nullptr);
}

// An id reused and handed to an old id holder as a different object.
TEST_F(RegressionTest, StaleIdNeverFindsAnotherObject) {
  const uint32_t stale = Load("old").id();
  ASSERT_TRUE(registry_.ModuleGoing("old").ok());
  for (int i = 0; i < 200; ++i) {
    BtfRef fresh = Load("new");
    EXPECT_NE(fresh.id(), stale);
    EXPECT_FALSE(registry_.GetById(stale)) << "stale id " << stale
                                           << " found an object";
    ASSERT_TRUE(registry_.ModuleGoing("new").ok());
  }
}

// Kernel 18688de203b4: a reference was handed out for a module that never
// became LIVE (its init failed), and the module's memory went away.
TEST_F(RegressionTest, NoModuleReferenceBeforeLive) {
  auto coming = registry_.ModuleComing("failing", ModuleBytes("failing"));
  ASSERT_TRUE(coming.ok());
  coming->reset();
  EXPECT_FALSE(registry_.TryGetModule("failing").ok());
  EXPECT_FALSE(registry_.TryPinModule("failing").ok());
  // Its init failed: it goes straight from COMING.
  ASSERT_TRUE(registry_.ModuleGoing("failing").ok());
  rcu::Barrier();
  EXPECT_EQ(registry_.Stats().going_referenced, 0);
  EXPECT_EQ(registry_.Stats().awaiting_grace, 0);
}

// Kernel ccd2d799ed44: a BTF used after the registry let go of it, by a
// user that held no reference. Here a borrowing reader inside a read
// section must keep the object alive across a concurrent ModuleGoing.
TEST_F(RegressionTest, BorrowerInReadSectionOutlivesConcurrentGoing) {
  const uint32_t id = Load("borrowed").id();  // the registry holds the only ref
  std::atomic<bool> gone{false};
  {
    rcu::ReadSection rs;
    const Btf* btf = registry_.Borrow(id, rs);
    ASSERT_NE(btf, nullptr);
    std::thread unloader([&] {
      EXPECT_TRUE(registry_.ModuleGoing("borrowed").ok());
      gone = true;
    });
    unloader.join();
    ASSERT_TRUE(gone);
    AllowLocksInReadSectionForTesting stats_take_the_registry_lock;
    // Not freed: its count, kept per thread, is summed only after the grace
    // period that this read section holds up.
    EXPECT_EQ(registry_.Stats().going_referenced, 1);
    EXPECT_EQ(registry_.Stats().freed, 0);
    // Still readable (ASan would flag a use after free).
    EXPECT_NE(btf->FindByName("borrowed_obj0", BTF_KIND_STRUCT), 0u);
  }
  rcu::Barrier();
  EXPECT_EQ(registry_.Stats().awaiting_grace, 0);
  EXPECT_EQ(registry_.Stats().freed, 1);
}

// Kernel acf1c3d68e9a: btf_put() dropped the last reference under the idr
// lock and its free path took the same lock: a deadlock. Here observers run
// without the registry lock, so one may drop the last reference and look
// things up. ModuleGoing runs on a thread of its own and is given 10 s: if
// it ever deadlocks again, the test says so and stops, rather than hanging
// until Bazel's timeout.
TEST_F(RegressionTest, LastPutFromAnObserverDoesNotDeadlock) {
  BtfRef captured = Load("put_under_lock");
  int lookups = 0;
  registry_.AddObserver([&](const RegistryEvent& e) {
    if (e.kind != RegistryEvent::kGoing) return;
    captured.reset();                        // the last reference
    lookups += registry_.GetByName("vmlinux") ? 1 : 0;  // takes mu_
    lookups += registry_.GetById(e.id) ? 10 : 0;        // gone: not found
    (void)registry_.Stats();
  });
  std::packaged_task<absl::Status()> going(
      [&] { return registry_.ModuleGoing("put_under_lock"); });
  std::future<absl::Status> done = going.get_future();
  std::thread unloader(std::move(going));
  if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "ModuleGoing did not return within 10 s: an observer that "
                     "drops the last reference or looks something up "
                     "deadlocked (is it called with the registry lock held?)";
    fflush(stdout);
    _exit(1);  // the unloader cannot be joined
  }
  unloader.join();
  ASSERT_TRUE(done.get().ok());
  EXPECT_FALSE(captured);
  EXPECT_EQ(lookups, 1);
  rcu::Barrier();
  EXPECT_EQ(registry_.Stats().going_referenced, 0);
}

}  // namespace
}  // namespace btfreg
