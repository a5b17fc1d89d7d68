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
// Flavour: urcu-memb. A read section writes only this thread's own counter,
// so lookups share no cache line. Threads register themselves on first use
// and unregister when they exit.
//
// Licence: liburcu is LGPL-2.1. Its read side is inlined (_LGPL_SOURCE) in
// btfreg's own compilation unit (rcu.cc) only: this header includes nothing
// of liburcu, and ReadLock/ReadUnlock are ordinary calls into btfreg, so no
// LGPL code is compiled into a file of yours. (A call each way costs about a
// nanosecond; liburcu's own exported functions cost about 12 ns a pair.)
//
// Sanitizers: liburcu is not built with TSan, so its ordering is invisible
// to it. Pointers are published with std::atomic release/acquire, and every
// read section ends with a TSan release on one domain object that each
// deferred callback acquires (rcu.cc): TSan then sees that a free after a
// grace period happens after the reads it waited for.

#ifndef BTFREG_REGISTRY_RCU_H_
#define BTFREG_REGISTRY_RCU_H_

namespace btfreg {
namespace rcu {

// rcu_read_lock() / rcu_read_unlock() for the calling thread (registered
// on first use). Prefer ReadSection.
void ReadLock();
void ReadUnlock();

// Whether the calling thread is inside a read section (for checks).
bool InReadSection();

// RAII read section. Nestable. Do not block in it: writers' grace periods
// wait for it. In a debug build a btfreg::Mutex taken inside one fails an
// assert (sync/mutex.h).
class ReadSection {
 public:
  ReadSection() { ReadLock(); }
  ~ReadSection() { ReadUnlock(); }
  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;
};

// A deferred callback, embedded in the object it frees.
struct Callback {
  // liburcu's struct rcu_head, kept opaque here (rcu.cc checks that it fits).
  alignas(void*) unsigned char head[2 * sizeof(void*)];
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
