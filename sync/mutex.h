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

#ifndef BTFREG_SYNC_MUTEX_H_
#define BTFREG_SYNC_MUTEX_H_

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace btfreg {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  std::mutex mu_;
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
