// registry/watcher.h: keep a KernelMirror in sync in the background.
//
//   btfreg::KernelMirror mirror(registry);
//   btfreg::KernelWatcher watcher(mirror);
//   absl::Status s = watcher.Start();  // the first Sync, then a thread
//   // ... modules come and go, and the registry follows by itself ...
//   watcher.Stop();                    // or let the destructor do it
//
// The thread calls KernelMirror::Sync whenever something may have changed:
//   - a module uevent (NETLINK_KOBJECT_UEVENT, SUBSYSTEM=module, ACTION=add
//     or remove). The kernel sends a module's "add" after its COMING
//     notifier has created the module's BTF, and "remove" after its GOING
//     notifier has dropped it, so a Sync then sees the change. This is the
//     event source for real modules; uevents reach only the initial network
//     namespace, so a containerized process may hear none.
//   - inotify on the mirror's sysfs directory. On a real /sys/kernel/btf it
//     reports nothing: kernfs creates and removes the kernel's nodes without
//     fsnotify events. It is what makes an ordinary directory (a test's fake
//     /sys/kernel/btf, a tool's BTF drop directory) work without polling.
//   - a timer (Options::poll_interval), the fallback that always works, and
//     the only way to notice BTF that programs load or free (the kernel
//     announces those to nobody).
// Bursts are coalesced: events that arrive while a Sync runs cause one more.
//
// Thread safety: Start, Stop and stats may be called from any thread. The
// watcher never holds a registry lock (Sync parses without one), so readers
// and other writers are never blocked behind a parse. The mirror must
// outlive the watcher.

#ifndef BTFREG_REGISTRY_WATCHER_H_
#define BTFREG_REGISTRY_WATCHER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "registry/kernel_mirror.h"
#include "sync/mutex.h"

namespace btfreg {

// True if `message`, one uevent as the kernel multicasts it
// ("ACTION@DEVPATH\0KEY=VALUE\0..."), reports a module added or removed.
bool IsModuleUevent(absl::string_view message);

class KernelWatcher {
 public:
  struct Options {
    std::chrono::milliseconds poll_interval{2000};
    bool uevents = true;  // listen for module uevents (if the socket opens)
    bool inotify = true;  // watch the mirror's sysfs directory
    // Called on the watcher's thread after every Sync that thread runs (not
    // after Start's first, whose result Start returns), without any lock of
    // the watcher's held (it may call stats(), not Stop()).
    std::function<void(const absl::StatusOr<KernelSync>&)> on_sync;
  };

  struct Stats {
    int64_t syncs = 0;
    int64_t by_uevent = 0, by_inotify = 0, by_poll = 0;  // what woke each
    int64_t errors = 0;       // Syncs that returned an error
    std::string last_error;
    int64_t uevents_seen = 0;   // uevents read, of any subsystem
    bool uevents_open = false;  // the netlink socket is listening
    bool inotify_open = false;  // the directory is watched
  };

  explicit KernelWatcher(KernelMirror& mirror) : KernelWatcher(mirror, Options()) {}
  KernelWatcher(KernelMirror& mirror, Options options);
  ~KernelWatcher();  // Stop()
  KernelWatcher(const KernelWatcher&) = delete;
  KernelWatcher& operator=(const KernelWatcher&) = delete;

  // Runs one Sync on the caller's thread and, whatever its outcome (a
  // refused syscall today may work later), starts the thread; returns that
  // first Sync's status. FailedPrecondition if already started. Event sources
  // that cannot be opened are left out (see stats()); polling remains.
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Stops and joins the thread (a Sync in progress finishes first).
  // Idempotent; Start may be called again afterwards.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  enum Wake { kUevent, kInotify, kPoll };
  void Run(int stop_fd, int uevent_fd, int inotify_fd);
  // Reads every pending uevent; true if one was a module coming or going.
  bool DrainUevents(int fd) ABSL_LOCKS_EXCLUDED(mu_);
  void SyncOnce(Wake why) ABSL_LOCKS_EXCLUDED(mu_);

  KernelMirror& mirror_;
  const Options options_;
  mutable Mutex mu_;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // Owned by Start/Stop, which serialize on control_mu_.
  Mutex control_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::thread thread_ ABSL_GUARDED_BY(control_mu_);
  int stop_fd_ ABSL_GUARDED_BY(control_mu_) = -1;
};

}  // namespace btfreg

#endif  // BTFREG_REGISTRY_WATCHER_H_
