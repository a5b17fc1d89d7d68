// The one compilation unit that inlines liburcu's read side (LGPL-2.1; see
// rcu.h): nothing else in btfreg, and nothing of a user's, includes liburcu.
#include "registry/rcu.h"

#include "sync/mutex.h"

#define _LGPL_SOURCE
// liburcu declares its per-thread reader state `thread_local` when compiled
// as C++, though it defines it in C, as `__thread`: every read section then
// tests for a TLS init function, four times (issue 17 measured 3.43 -> 2.85
// ns a lookup without them). Declared here as it is defined, `__thread`:
// constant-initialized, nothing to call.
#include <urcu/tls-compat.h>
#undef URCU_TLS_STORAGE_CLASS
#define URCU_TLS_STORAGE_CLASS __thread
#include <urcu/urcu-memb.h>
#include <urcu/urcu-qsbr.h>
#include <urcu/call-rcu.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define BTFREG_TSAN 1
// In the TSan runtime, not declared in GCC 12's header: makes TSan ignore
// this thread's memory accesses until the matching end.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

#include <cassert>
#include <cstddef>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace btfreg {
namespace rcu {
namespace internal {

__thread bool t_registered = false;    // a memb reader
__thread bool t_qsbr_online = false;   // an online QSBR reader (rcu.h)
// Defined in every build: a user's debug build counts in it even when the
// library was built with NDEBUG.
__thread int t_qsbr_depth = 0;
__thread bool t_qsbr_registered = false;
char g_domain;
// Whether any thread ever became a QSBR reader: until one does, a grace
// period need not wait for QSBR readers at all.
std::atomic<bool> g_qsbr_readers{false};

namespace {
// Unregisters the thread when it exits. Its destructor runs before the
// thread's other thread_locals that were constructed earlier.
struct Registration {
  ~Registration() {
    urcu_memb_unregister_thread();
    t_registered = false;
  }
};
struct QsbrRegistration {
  ~QsbrRegistration() {
    if (t_qsbr_online) QsbrOffline();
    urcu_qsbr_unregister_thread();
    t_qsbr_registered = false;
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

// Callback's opaque head is liburcu's struct rcu_head.
static_assert(sizeof(struct rcu_head) <= sizeof(Callback::head) &&
                  alignof(struct rcu_head) <= alignof(Callback),
              "rcu::Callback::head must hold liburcu's struct rcu_head");

// Idempotent; every function here calls it. __thread rather than
// thread_local: no dynamic initialization, so the check is one TLS load.
inline void EnsureRegistered() {
  if (__builtin_expect(!internal::t_registered, 0)) internal::RegisterSlow();
}

inline struct rcu_head* Head(Callback* cb) {
  return reinterpret_cast<struct rcu_head*>(cb->head);
}

// Runs liburcu's own code with TSan ignoring this thread's memory accesses:
// liburcu is not built with TSan, so TSan cannot follow its ordering (plain
// volatile accesses to its counters and futex words), which the releases
// on g_domain below stand for instead.
template <typename Fn>
inline void UnseenByTsan(Fn fn) {
#ifdef BTFREG_TSAN
  __tsan_ignore_thread_begin();
#endif
  fn();
#ifdef BTFREG_TSAN
  __tsan_ignore_thread_end();
#endif
}

// The end of this thread's read sections, for TSan: a memb unlock, a QSBR
// reader's quiescent state or its going offline. Every deferred callback
// acquires g_domain (Trampoline), so a free is seen to follow the reads.
inline void EndOfReads() {
#ifdef BTFREG_TSAN
  __tsan_release(&internal::g_domain);
#endif
}

inline bool InMembSection() { return internal::t_registered && urcu_memb_read_ongoing(); }

}  // namespace

// liburcu's memb read side, inlined here (see rcu.h).
void ReadLock() {
  EnsureRegistered();
  UnseenByTsan([] { urcu_memb_read_lock(); });
#ifndef NDEBUG
  ++sync_internal::NoBlockDepth();  // Mutex::Lock refuses to block in here
#endif
}

void ReadUnlock() {
#ifndef NDEBUG
  assert(sync_internal::NoBlockDepth() > 0 && "rcu::ReadUnlock without ReadLock");
  --sync_internal::NoBlockDepth();
#endif
  EndOfReads();
  UnseenByTsan([] { urcu_memb_read_unlock(); });
}

namespace {

// Callbacks queued and not yet finished (Barrier's markers excluded).
std::atomic<int64_t> g_pending{0};

// The memb grace period has passed when liburcu runs this; the QSBR one,
// if any thread ever was a QSBR reader, is waited for here. (One wait per
// callback: callbacks are frees of objects and tables, at the rate of
// module unloads.)
void WaitForQsbrReaders() {
  if (!internal::g_qsbr_readers.load(std::memory_order_seq_cst)) return;
  UnseenByTsan([] { urcu_qsbr_synchronize_rcu(); });
}

void Trampoline(struct rcu_head* head) {
  // liburcu registered its callback thread itself; a callback that drops a
  // reference (a module's base) must not register it again.
  internal::t_registered = true;
  Callback* cb = reinterpret_cast<Callback*>(reinterpret_cast<unsigned char*>(head) -
                                             offsetof(Callback, head));
  WaitForQsbrReaders();
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
  Callback* cb = reinterpret_cast<Callback*>(reinterpret_cast<unsigned char*>(head) -
                                             offsetof(Callback, head));
#ifdef BTFREG_TSAN
  __tsan_acquire(cb);  // Barrier released &m.cb before queueing it
#endif
  Marker* m = static_cast<Marker*>(cb->arg);
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
  urcu_memb_call_rcu(Head(cb), Trampoline);
}

// Not urcu_memb_barrier(): its internal hand-off is invisible to TSan, which
// then reports its own allocations as races. A marker callback and a
// std::condition_variable give the same guarantee in a way TSan sees.
// Callbacks may queue more callbacks (a module's free drops its base), so
// this repeats until none is pending.
bool InReadSection() { return internal::t_qsbr_online || InMembSection(); }

// A QSBR reader's online and offline: liburcu's own, hidden from TSan as
// the memb read side is; going offline ends the reader's read sections, so
// it is a release on g_domain, as a memb unlock is.
void QsbrOnline() {
  assert(!InMembSection() && "rcu::QsbrOnline inside a memb read section");
  if (internal::t_qsbr_online) return;
  if (!internal::t_qsbr_registered) {
    static thread_local internal::QsbrRegistration registration;
    (void)registration;
    internal::g_qsbr_readers.store(true, std::memory_order_seq_cst);
    UnseenByTsan([] { urcu_qsbr_register_thread(); });  // registers online
    internal::t_qsbr_registered = true;
  } else {
    UnseenByTsan([] { urcu_qsbr_thread_online(); });
  }
  internal::t_qsbr_online = true;
}

void QsbrOffline() {
  if (!internal::t_qsbr_online) return;
  assert(internal::t_qsbr_depth == 0 && "rcu::QsbrOffline inside a read section");
  internal::t_qsbr_online = false;
  EndOfReads();
  UnseenByTsan([] { urcu_qsbr_thread_offline(); });
}

void QuiescentState() {
  if (!internal::t_qsbr_online) return;
  assert(internal::t_qsbr_depth == 0 && "rcu::QuiescentState inside a read section");
  EndOfReads();
  UnseenByTsan([] { urcu_qsbr_quiescent_state(); });
}

void Barrier() {
  assert(!InMembSection() && internal::t_qsbr_depth == 0 &&
         "rcu::Barrier inside a read section would wait forever");
  // An online QSBR reader would hold up the very grace periods it waits for.
  const bool was_online = internal::t_qsbr_online;
  QsbrOffline();
  EnsureRegistered();
  do {
    Marker m;
    m.cb.arg = &m;
#ifdef BTFREG_TSAN
    __tsan_release(&m.cb);
#endif
    urcu_memb_call_rcu(Head(&m.cb), MarkerRan);
    std::unique_lock<std::mutex> l(m.mu);
    m.cv.wait(l, [&] { return m.done; });
  } while (g_pending.load(std::memory_order_acquire) > 0);
  if (was_online) QsbrOnline();
}

}  // namespace rcu
}  // namespace btfreg
