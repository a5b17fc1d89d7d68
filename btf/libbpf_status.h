// btf/libbpf_status.h: libbpf's NULL + errno, turned into an absl::Status.
//
// libbpf reports why it failed through its print callback. While a
// `LibbpfLog` is alive, warnings that libbpf prints on this thread are kept
// (instead of going to stderr) so that `LibbpfError` can put them in the
// Status message. Installing the callback is process-wide and happens once,
// on first use; a program that sets its own libbpf print callback afterwards
// only loses these details from our messages.
//
// Internal to btf/.

#ifndef BTFREG_BTF_LIBBPF_STATUS_H_
#define BTFREG_BTF_LIBBPF_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace btfreg {

class LibbpfLog {
 public:
  LibbpfLog();
  ~LibbpfLog();
  LibbpfLog(const LibbpfLog&) = delete;
  LibbpfLog& operator=(const LibbpfLog&) = delete;

  // What libbpf printed on this thread since construction, trimmed.
  std::string text() const;

 private:
  std::string text_;
  std::string* previous_;
};

// The one place where a libbpf failure becomes a Status:
// "<name>: <what>: <strerror(err)> (libbpf: <log>)".
absl::Status LibbpfError(absl::string_view name, absl::string_view what,
                         int err, const LibbpfLog& log);

// An errno as a Status: "<name>: <what>: <strerror(err)>", with the code
// Abseil gives that errno (absl::ErrnoToStatus, the one errno mapping used
// throughout btfreg: registry/kernel_mirror.cc and watcher.cc call it directly).
absl::Status ErrnoError(absl::string_view name, absl::string_view what,
                        int err);

}  // namespace btfreg

#endif  // BTFREG_BTF_LIBBPF_STATUS_H_
