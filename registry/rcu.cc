#include "registry/rcu.h"

#include <urcu/call-rcu.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace btfreg {
namespace rcu {
namespace internal {

__thread bool t_registered = false;
char g_domain;

namespace {
// Unregisters the thread when it exits. Its destructor runs before the
// thread's other thread_locals that were constructed earlier.
struct Registration {
  ~Registration() {
    urcu_memb_unregister_thread();
    t_registered = false;
  }
};
}  // namespace

void RegisterSlow() {
  static thread_local Registration registration;
  (void)registration;
  urcu_memb_register_thread();
  t_registered = true;
}

}  // namespace internal

namespace {

// Callbacks queued and not yet finished (Barrier's markers excluded).
std::atomic<int64_t> g_pending{0};

void Trampoline(struct rcu_head* head) {
  // liburcu registered its callback thread itself; a callback that drops a
  // reference (a module's base) must not register it again.
  internal::t_registered = true;
  Callback* cb = caa_container_of(head, Callback, head);
#ifdef BTFREG_TSAN
  __tsan_acquire(&internal::g_domain);
  __tsan_acquire(cb);
#endif
  cb->fn(cb->arg);
  g_pending.fetch_sub(1, std::memory_order_acq_rel);
}

// A callback that only says it ran. liburcu runs callbacks in the order they
// were queued, so once it runs every callback queued before it has too.
struct Marker {
  Callback cb;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

void MarkerRan(struct rcu_head* head) {
  internal::t_registered = true;
  Marker* m = caa_container_of(head, Marker, cb.head);
#ifdef BTFREG_TSAN
  __tsan_acquire(m);
#endif
  std::lock_guard<std::mutex> l(m->mu);
  m->done = true;
  m->cv.notify_all();
}
}  // namespace

void CallAfterGracePeriod(Callback* cb, void (*fn)(void*), void* arg) {
  EnsureRegistered();
  cb->fn = fn;
  cb->arg = arg;
  g_pending.fetch_add(1, std::memory_order_relaxed);
#ifdef BTFREG_TSAN
  __tsan_release(cb);
#endif
  urcu_memb_call_rcu(&cb->head, Trampoline);
}

// Not urcu_memb_barrier(): its internal hand-off is invisible to TSan, which
// then reports its own allocations as races. A marker callback and a
// std::condition_variable give the same guarantee in a way TSan sees.
// Callbacks may queue more callbacks (a module's free drops its base), so
// this repeats until none is pending.
void Barrier() {
  EnsureRegistered();
  do {
    Marker m;
#ifdef BTFREG_TSAN
    __tsan_release(&m);
#endif
    urcu_memb_call_rcu(&m.cb.head, MarkerRan);
    std::unique_lock<std::mutex> l(m.mu);
    m.cv.wait(l, [&] { return m.done; });
  } while (g_pending.load(std::memory_order_acquire) > 0);
}

}  // namespace rcu
}  // namespace btfreg
