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
// Two kinds of reader, chosen per thread:
//
// - Every thread, by default, reads as liburcu's urcu-memb: a read section
//   writes only this thread's own counter, so lookups share no cache line.
//   Threads register themselves on first use and unregister when they exit.
//   A section costs a few nanoseconds (two calls into btfreg, below).
//
// - A thread that looks objects up all the time may become a QSBR reader
//   (liburcu's urcu-qsbr; the kernel's own RCU works this way): while it is
//   online its read sections cost nothing at all, and in exchange it
//   announces quiescent states, points where it holds no borrowed pointer,
//   regularly (QuiescentState), and goes offline before it blocks:
//
//     rcu::QsbrReader reader;          // this thread: online QSBR reader
//     for (;;) {
//       Event e = queue.Pop();         // (a blocking pop: offline around it,
//                                      //  see QsbrOffline)
//       registry.WithBtf(e.id, ...);   // read section: free
//       if (++n % 1024 == 0) rcu::QuiescentState();
//     }
//
//   Grace periods wait for both kinds: every deferred free waits until each
//   online QSBR reader has announced a quiescent state (or gone offline)
//   after the free was queued. A QSBR reader that stays online without
//   announcing holds up every deferred free of the process: memory grows,
//   and Barrier (so ~Registry) waits.
//
// Licence: liburcu is LGPL-2.1. Its code is inlined (_LGPL_SOURCE) in
// btfreg's own compilation unit (rcu.cc) only: this header includes nothing
// of liburcu, and ReadLock/ReadUnlock are ordinary calls into btfreg, so no
// LGPL code is compiled into a file of yours. (A call each way costs about a
// nanosecond; liburcu's own exported functions cost about 12 ns a pair.) A
// QSBR reader's read section is btfreg's own code: one test of a
// thread-local flag.
//
// Sanitizers: liburcu is not built with TSan, so its ordering is invisible
// to it. Pointers are published with std::atomic release/acquire, and the
// end of every read section (a memb section's unlock; a QSBR reader's
// quiescent state or going offline) is a TSan release on one domain object
// that each deferred callback acquires (rcu.cc): TSan then sees that a free
// after a grace period happens after the reads it waited for.

#ifndef BTFREG_REGISTRY_RCU_H_
#define BTFREG_REGISTRY_RCU_H_

namespace btfreg {
namespace rcu {

namespace internal {
// Whether the calling thread is an online QSBR reader. btfreg's own
// variable (rcu.cc), read inline; never liburcu's.
extern __thread bool t_qsbr_online;
// Read sections a QSBR reader is inside (debug builds count them, and check
// that it does not announce a quiescent state in one).
extern __thread int t_qsbr_depth;
}  // namespace internal

// rcu_read_lock() / rcu_read_unlock() of the memb flavour for the calling
// thread (registered on first use). Prefer ReadSection.
void ReadLock();
void ReadUnlock();

// Whether the calling thread is inside a read section: an online QSBR
// reader always is (for checks).
bool InReadSection();

// RAII read section. Nestable. Do not block in it: writers' grace periods
// wait for it. In a debug build a btfreg::Mutex taken inside a memb section
// fails an assert (sync/mutex.h). On an online QSBR reader it does nothing
// (its protection lasts until its next quiescent state).
class ReadSection {
 public:
  ReadSection() : memb_(!internal::t_qsbr_online) {
    if (memb_) {
      ReadLock();
    } else {
#ifndef NDEBUG
      ++internal::t_qsbr_depth;
#endif
    }
  }
  ~ReadSection() {
    if (memb_) {
      ReadUnlock();
    } else {
#ifndef NDEBUG
      --internal::t_qsbr_depth;
#endif
    }
  }
  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;

 private:
  const bool memb_;  // a memb section; else the thread is an online QSBR reader
};

// QSBR readers (see the top of this file). QsbrOnline makes the calling
// thread an online QSBR reader (registering it the first time); QsbrOffline
// takes it offline, where it reads as a memb thread again and holds up no
// grace period: go offline before blocking. A thread that exits while online
// is unregistered. REQUIRES for both: not inside a read section.
void QsbrOnline();
void QsbrOffline();
inline bool QsbrIsOnline() { return internal::t_qsbr_online; }
// Announces that the calling QSBR reader holds no pointer it borrowed
// (a no-op on a thread that is not one). REQUIRES: not inside a read
// section. Costs a few tens of nanoseconds (two full memory barriers):
// announce every thousand lookups or so, not after each.
void QuiescentState();

// RAII: the calling thread is an online QSBR reader for the object's
// lifetime (and offline after it, whatever it was before).
class QsbrReader {
 public:
  QsbrReader() { QsbrOnline(); }
  ~QsbrReader() { QsbrOffline(); }
  QsbrReader(const QsbrReader&) = delete;
  QsbrReader& operator=(const QsbrReader&) = delete;
};

// A deferred callback, embedded in the object it frees.
struct Callback {
  // liburcu's struct rcu_head, kept opaque here (rcu.cc checks that it fits).
  alignas(void*) unsigned char head[2 * sizeof(void*)];
  void (*fn)(void* arg);
  void* arg;
};

// Runs `fn(arg)` on liburcu's callback thread after a grace period of both
// kinds of reader. Callbacks are batched: many frees share one grace period.
// REQUIRES: `cb` stays allocated until fn runs (typically `arg` owns it).
void CallAfterGracePeriod(Callback* cb, void (*fn)(void*), void* arg);

// Waits until every callback queued so far has run (an online QSBR reader
// goes offline while it waits). REQUIRES: not inside a read section nor a
// callback. Tests and shutdown use it so that nothing is left for leak
// checkers.
void Barrier();

}  // namespace rcu
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_RCU_H_
