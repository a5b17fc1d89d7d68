#include "btf/libbpf_status.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace btfreg {
namespace {

thread_local std::string* t_capture = nullptr;

int CapturePrint(enum libbpf_print_level level, const char* format,
                 va_list args) {
  if (level == LIBBPF_DEBUG || t_capture == nullptr) return 0;
  char line[512];
  int n = vsnprintf(line, sizeof(line), format, args);
  if (n > 0 && t_capture->size() < 4096) t_capture->append(line);
  return n;
}

}  // namespace

LibbpfLog::LibbpfLog() : previous_(t_capture) {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(CapturePrint); });
  t_capture = &text_;
}

LibbpfLog::~LibbpfLog() { t_capture = previous_; }

std::string LibbpfLog::text() const {
  std::string out(absl::StripAsciiWhitespace(text_));
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

absl::Status LibbpfError(absl::string_view name, absl::string_view what,
                         int err, const LibbpfLog& log) {
  if (err < 0) err = -err;
  std::string message = absl::StrCat(name, ": ", what, ": ", strerror(err));
  std::string detail = log.text();
  if (!detail.empty()) absl::StrAppend(&message, " (", detail, ")");
  switch (err) {
    case ENOMEM:
      return absl::ResourceExhaustedError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    case EPERM:
    case EACCES:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InvalidArgumentError(message);
  }
}

absl::Status ErrnoError(absl::string_view name, absl::string_view what,
                        int err) {
  std::string message = absl::StrCat(name, ": ", what, ": ", strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EPERM:
    case EACCES:
      return absl::PermissionDeniedError(message);
    case ENOMEM:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace btfreg
