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
// NDEBUG build it checks nothing.

#ifndef BTFREG_SYNC_MUTEX_H_
#define BTFREG_SYNC_MUTEX_H_

#include <atomic>
#include <cassert>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"

namespace btfreg {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_.lock();
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    mu_.unlock();
  }
  // REQUIRES: the calling thread holds the mutex (checked in debug builds).
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {
#ifndef NDEBUG
    assert(owner_.load(std::memory_order_relaxed) == std::this_thread::get_id() &&
           "btfreg::Mutex is not held by this thread");
#endif
  }

 private:
  std::mutex mu_;
  // Recorded in every build, so that the layout does not depend on NDEBUG
  // (a Mutex sits inside classes that code built either way shares).
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
