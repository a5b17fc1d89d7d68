// registry/rcu.h: the kernel's read-side model in user space, from liburcu.
//
// Readers bracket their use of published pointers with a read section;
// writers unpublish a pointer and free what it pointed to only after a grace
// period, when no read section that could have seen it is still running.
//
//   {
//     rcu::ReadSection rs;                        // rcu_read_lock()
//     const Object* o = table.load(std::memory_order_acquire);
//     Use(*o);                                    // cannot be freed here
//   }                                             // rcu_read_unlock()
//   table.store(nullptr, std::memory_order_release);
//   rcu::CallAfterGracePeriod(&o->rcu, FreeObject, o);  // batched, like call_rcu
//
// Flavour: urcu-memb, read side inlined (_LGPL_SOURCE): a read section writes
// only this thread's own counter, so lookups share no cache line. Threads
// register themselves on first use and unregister when they exit.
//
// Sanitizers: liburcu is not built with TSan, so its ordering is invisible
// to it (and its inlined read side looks racy). Pointers are published with
// std::atomic release/acquire, and every read section ends with a TSan
// release on one domain object that each deferred callback acquires: TSan
// then sees that a free after a grace period happens after the reads it
// waited for.

#ifndef BTFREG_REGISTRY_RCU_H_
#define BTFREG_REGISTRY_RCU_H_

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-memb.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define BTFREG_TSAN 1
// In the TSan runtime, not declared in GCC 12's header: makes TSan ignore
// this thread's memory accesses until the matching end.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace btfreg {
namespace rcu {

namespace internal {
// __thread rather than thread_local: no dynamic initialization, so reading
// it is one TLS load instead of a call through a TLS wrapper function.
extern __thread bool t_registered;
// Registers the calling thread with liburcu, and unregisters it at exit.
void RegisterSlow();
// What TSan synchronizes on (see the file comment).
extern char g_domain;
}  // namespace internal

// Idempotent; every function here calls it.
inline void EnsureRegistered() {
  if (__builtin_expect(!internal::t_registered, 0)) internal::RegisterSlow();
}

// Under TSan the inlined liburcu read side (which touches liburcu's own
// counters and futex word with plain volatile accesses) is hidden from it;
// its ordering is modelled by the release on g_domain instead.
inline void ReadLock() {
  EnsureRegistered();
#ifdef BTFREG_TSAN
  __tsan_ignore_thread_begin();
#endif
  urcu_memb_read_lock();
#ifdef BTFREG_TSAN
  __tsan_ignore_thread_end();
#endif
}

inline void ReadUnlock() {
#ifdef BTFREG_TSAN
  __tsan_release(&internal::g_domain);
  __tsan_ignore_thread_begin();
#endif
  urcu_memb_read_unlock();
#ifdef BTFREG_TSAN
  __tsan_ignore_thread_end();
#endif
}

// RAII read section. Nestable. Do not block in it for long: writers' grace
// periods wait for it.
class ReadSection {
 public:
  ReadSection() { ReadLock(); }
  ~ReadSection() { ReadUnlock(); }
  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;
};

// A deferred callback, embedded in the object it frees.
struct Callback {
  struct rcu_head head;
  void (*fn)(void* arg);
  void* arg;
};

// Runs `fn(arg)` on liburcu's callback thread after a grace period.
// Callbacks are batched: many frees share one grace period.
// REQUIRES: `cb` stays allocated until fn runs (typically `arg` owns it).
void CallAfterGracePeriod(Callback* cb, void (*fn)(void*), void* arg);

// Waits until every callback queued so far has run. REQUIRES: not inside a
// read section nor a callback. Tests and shutdown use it so that nothing is
// left for leak checkers.
void Barrier();

}  // namespace rcu
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_RCU_H_
