// GetById against a module that goes while it looks, made deterministic.
//
// GetById finds the object in the id table and then takes a reference with
// an increment-if-not-zero, as the kernel's btf_get_by_id does with
// refcount_inc_not_zero. Between the two, ModuleGoing and the last put may
// run on another thread: the count is then 0, a free is queued for after the
// grace period, and GetById must come back empty. A plain increment would
// revive the object (0 -> 1) and, on its own put, queue the same free a
// second time. This test is built with -DBTFREG_FAULT_INJECTION (see
// BUILD.bazel) for the hook that holds GetById in that window.

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"
#include "registry/fault.h"
#include "registry/rcu.h"
#include "registry/registry.h"

namespace btfreg {
namespace {

// The hook's rendezvous: GetById reports that it is in the window, then
// waits until the test lets it go.
struct Window {
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false;
  bool open = false;
};
Window g_window;

void HoldInWindow(uint32_t) {
  std::unique_lock<std::mutex> l(g_window.mu);
  g_window.inside = true;
  g_window.cv.notify_all();
  g_window.cv.wait(l, [] { return g_window.open; });
}

TEST(GetByIdWindowTest, AnObjectWhoseLastPutCameFirstIsNotRevived) {
  // Counted per thread, an object's count is summed only a grace period
  // after it goes, which this window holds up: it cannot reach 0 while a
  // reader is inside. An object counted in its atomic count alone (every
  // per-thread slot taken) can; this test publishes its objects so.
  fault::g_atomic_refs_only = true;
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase("tests/data/mini_vmlinux.btf").ok());
  absl::StatusOr<BtfRef> mod =
      registry.ModuleComingFromFile("nf_mini", "tests/data/mini_module.btf");
  ASSERT_TRUE(mod.ok()) << mod.status();
  ASSERT_TRUE(registry.ModuleLive("nf_mini").ok());
  const uint32_t id = mod->id();

  fault::g_get_by_id_window = HoldInWindow;
  BtfRef got;
  std::thread reader([&] { got = registry.GetById(id); });
  {
    std::unique_lock<std::mutex> l(g_window.mu);
    g_window.cv.wait(l, [] { return g_window.inside; });
  }
  // The reader holds a pointer to the object and no reference. The module
  // goes and the last reference is dropped: the count reaches 0.
  ASSERT_TRUE(registry.ModuleGoing("nf_mini").ok());
  {
    // A read section of this thread's, begun before the last put, keeps the
    // grace period that the free waits for from ending while the reader's
    // outcome is looked at: whatever was queued is still queued, nothing is
    // freed yet. (A read section begun after the free was queued would not:
    // a grace period waits only for the readers there when it starts.)
    rcu::ReadSection rs;
    AllowLocksInReadSectionForTesting stats_take_the_registry_lock;
    mod->reset();
    EXPECT_EQ(registry.Stats().awaiting_grace, 1);
    {
      std::lock_guard<std::mutex> l(g_window.mu);
      g_window.open = true;
    }
    g_window.cv.notify_all();
    reader.join();
    fault::g_get_by_id_window = nullptr;
    const RegistryStats s = registry.Stats();
    EXPECT_FALSE(got) << "GetById returned an object whose count had reached 0";
    EXPECT_EQ(s.awaiting_grace, 1)
        << "GetById revived an object whose last put came first: its own put "
           "queued the same free a second time";
    EXPECT_EQ(s.going_referenced, 0);
    EXPECT_EQ(s.freed, 0);
    if (::testing::Test::HasFailure()) {
      // A free queued twice would corrupt liburcu's callback queue once
      // the grace period ends: stop here, with the verdict above.
      fprintf(stderr, "stopping before the doubly queued free runs\n");
      fflush(stderr);
      _exit(1);
    }
  }
  rcu::Barrier();
  const RegistryStats s = registry.Stats();
  EXPECT_EQ(s.freed, 1) << "the object must be freed exactly once";
  EXPECT_EQ(s.awaiting_grace, 0);
  EXPECT_EQ(s.underflows, 0);
  EXPECT_FALSE(registry.GetById(id));
}

}  // namespace
}  // namespace btfreg
