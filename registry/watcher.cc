#include "registry/watcher.h"

#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace btfreg {
namespace {

// A socket on the kernel's uevent multicast group, or -1.
int OpenUevents() {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                  NETLINK_KOBJECT_UEVENT);
  if (fd < 0) return -1;
  sockaddr_nl addr = {};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = 1;  // the kernel's own events (udev's are group 2)
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int OpenInotify(const std::string& dir) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return -1;
  const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                        IN_CLOSE_WRITE | IN_ATTRIB;
  if (inotify_add_watch(fd, dir.c_str(), mask) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads every pending inotify event; true if there was one.
bool Drain(int fd) {
  bool any = false;
  alignas(inotify_event) char buf[4096];
  while (read(fd, buf, sizeof(buf)) > 0) any = true;
  return any;
}

}  // namespace

bool IsModuleUevent(absl::string_view message) {
  bool is_module = false, add_or_remove = false;
  while (!message.empty()) {
    const size_t end = std::min(message.find('\0'), message.size());
    const absl::string_view field = message.substr(0, end);
    if (field == "SUBSYSTEM=module") is_module = true;
    if (field == "ACTION=add" || field == "ACTION=remove") add_or_remove = true;
    message.remove_prefix(std::min(end + 1, message.size()));
  }
  return is_module && add_or_remove;
}

bool KernelWatcher::DrainUevents(int fd) {
  bool module = false;
  int64_t seen = 0;
  char buf[8192];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0; ++seen) {
    module |= IsModuleUevent(absl::string_view(buf, n));
  }
  MutexLock l(mu_);
  stats_.uevents_seen += seen;
  return module;
}

KernelWatcher::KernelWatcher(KernelMirror& mirror, Options options)
    : mirror_(mirror), options_(std::move(options)) {}

KernelWatcher::~KernelWatcher() { Stop(); }

absl::Status KernelWatcher::Start() {
  MutexLock c(control_mu_);
  if (thread_.joinable()) {
    return absl::FailedPreconditionError("the kernel watcher is already running");
  }
  const int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) return absl::ErrnoToStatus(errno, "kernel watcher: eventfd");
  const int uevent_fd = options_.uevents ? OpenUevents() : -1;
  const int inotify_fd =
      options_.inotify ? OpenInotify(mirror_.options().sysfs_dir) : -1;
  {
    MutexLock l(mu_);
    stats_.uevents_open = uevent_fd >= 0;
    stats_.inotify_open = inotify_fd >= 0;
  }
  // The first Sync here, after the sources opened: nothing that happens from
  // now on can be missed.
  absl::StatusOr<KernelSync> first = mirror_.Sync();
  {
    MutexLock l(mu_);
    ++stats_.syncs;
    if (!first.ok()) {
      ++stats_.errors;
      stats_.last_error = first.status().ToString();
    }
  }
  stop_fd_ = stop_fd;
  thread_ = std::thread([this, stop_fd, uevent_fd, inotify_fd] {
    Run(stop_fd, uevent_fd, inotify_fd);
  });
  return first.status();
}

void KernelWatcher::Stop() {
  MutexLock c(control_mu_);
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) {
    // An eventfd write of 1 fails only on counter overflow: it is set already.
  }
  thread_.join();
  close(stop_fd_);
  stop_fd_ = -1;
}

KernelWatcher::Stats KernelWatcher::stats() const {
  MutexLock l(mu_);
  return stats_;
}

void KernelWatcher::Run(int stop_fd, int uevent_fd, int inotify_fd) {
  pollfd fds[3] = {{stop_fd, POLLIN, 0}, {uevent_fd, POLLIN, 0},
                   {inotify_fd, POLLIN, 0}};  // poll skips fd -1
  const int timeout_ms = static_cast<int>(options_.poll_interval.count());
  for (;;) {
    const int n = poll(fds, 3, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // cannot happen with valid fds; stop rather than spin
    }
    if (fds[0].revents != 0) break;
    const bool module = uevent_fd >= 0 && fds[1].revents != 0 && DrainUevents(uevent_fd);
    const bool dir = inotify_fd >= 0 && fds[2].revents != 0 && Drain(inotify_fd);
    if (n == 0) {
      SyncOnce(kPoll);
    } else if (module) {
      SyncOnce(kUevent);
    } else if (dir) {
      SyncOnce(kInotify);
    }
  }
  if (uevent_fd >= 0) close(uevent_fd);
  if (inotify_fd >= 0) close(inotify_fd);
}

void KernelWatcher::SyncOnce(Wake why) {
  absl::StatusOr<KernelSync> result = mirror_.Sync();
  {
    MutexLock l(mu_);
    ++stats_.syncs;
    if (why == kUevent) ++stats_.by_uevent;
    if (why == kInotify) ++stats_.by_inotify;
    if (why == kPoll) ++stats_.by_poll;
    if (!result.ok()) {
      ++stats_.errors;
      stats_.last_error = result.status().ToString();
    }
  }
  if (options_.on_sync) options_.on_sync(result);
}

}  // namespace btfreg
