// sync/mutex.h: a std::mutex that clang's thread-safety analysis understands.
//
// Why not absl::Mutex: Debian's prebuilt libabsl is not built with TSan, so
// TSan cannot see its synchronization and reports false races on the data it
// guards. std::mutex is intercepted by TSan; this wrapper adds the
// ABSL_LOCKABLE annotations so that ABSL_GUARDED_BY & co still check under
// `--config=clang`.
//
//   btfreg::Mutex mu_;
//   int count_ ABSL_GUARDED_BY(mu_);
//   { btfreg::MutexLock l(mu_); ++count_; }
//   void BumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { mu_.AssertHeld(); ++count_; }
//
// AssertHeld checks, in a debug build (no NDEBUG), that the calling thread
// holds the mutex: the owner is recorded at Lock (a relaxed store). In an
// NDEBUG build nothing is recorded and nothing checked. Build the code that
// locks a Mutex and the code that asserts on it alike.

#ifndef BTFREG_SYNC_MUTEX_H_
#define BTFREG_SYNC_MUTEX_H_

#include <atomic>
#include <cassert>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"

namespace btfreg {
namespace sync_internal {
// How deep the calling thread is in regions where it must not block: RCU
// read sections (registry/rcu.cc counts them in debug builds).
inline int& NoBlockDepth() {
  static thread_local int depth = 0;
  return depth;
}
}  // namespace sync_internal

// For tests that hold a read section on purpose, to keep a grace period
// open while they look at the registry through calls that take its lock
// (Stats): lifts the debug check of Mutex::Lock for its scope.
class AllowLocksInReadSectionForTesting {
 public:
  AllowLocksInReadSectionForTesting() : saved_(sync_internal::NoBlockDepth()) {
    sync_internal::NoBlockDepth() = 0;
  }
  ~AllowLocksInReadSectionForTesting() { sync_internal::NoBlockDepth() = saved_; }
  AllowLocksInReadSectionForTesting(const AllowLocksInReadSectionForTesting&) = delete;
  AllowLocksInReadSectionForTesting& operator=(const AllowLocksInReadSectionForTesting&) =
      delete;

 private:
  const int saved_;
};

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // REQUIRES: not inside an RCU read section (checked in debug builds):
  // grace periods, and so every unload, would wait for the lock's holder.
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    assert(sync_internal::NoBlockDepth() == 0 && "btfreg::Mutex taken inside a read section");
    AssertNotHeld();
    mu_.lock();
#ifndef NDEBUG
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
#endif
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
#ifndef NDEBUG
    owner_.store(std::thread::id(), std::memory_order_relaxed);
#endif
    mu_.unlock();
  }
  // REQUIRES: the calling thread holds the mutex (checked in debug builds).
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {
    assert(owner_.load(std::memory_order_relaxed) == std::this_thread::get_id() &&
           "btfreg::Mutex is not held by this thread");
  }
  // REQUIRES: the calling thread does not hold the mutex (checked in debug
  // builds): taking it again would deadlock.
  void AssertNotHeld() const {
    assert(owner_.load(std::memory_order_relaxed) != std::this_thread::get_id() &&
           "btfreg::Mutex already held by this thread: taking it again deadlocks");
  }

 private:
  std::mutex mu_;
  // Recorded in debug builds only, so that an NDEBUG build locks exactly as
  // std::mutex does; present in every build, so that the layout does not
  // depend on NDEBUG (a Mutex sits inside classes that code built either
  // way shares).
  std::atomic<std::thread::id> owner_{};
};

// Holds `mu` for the lifetime of the scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_.Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace btfreg

#endif  // BTFREG_SYNC_MUTEX_H_
