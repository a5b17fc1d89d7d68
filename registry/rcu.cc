#include "registry/rcu.h"

#include <urcu/call-rcu.h>

namespace btfreg {
namespace rcu {
namespace internal {

thread_local bool t_registered = false;
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
}
}  // namespace

void CallAfterGracePeriod(Callback* cb, void (*fn)(void*), void* arg) {
  EnsureRegistered();
  cb->fn = fn;
  cb->arg = arg;
#ifdef BTFREG_TSAN
  __tsan_release(cb);
#endif
  urcu_memb_call_rcu(&cb->head, Trampoline);
}

void Synchronize() {
  EnsureRegistered();
  urcu_memb_synchronize_rcu();
#ifdef BTFREG_TSAN
  __tsan_acquire(&internal::g_domain);
#endif
}

void Barrier() {
  EnsureRegistered();
  urcu_memb_barrier();
}

}  // namespace rcu
}  // namespace btfreg
