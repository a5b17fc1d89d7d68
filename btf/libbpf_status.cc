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
  absl::Status s = ErrnoError(name, what, err < 0 ? -err : err);
  const std::string detail = log.text();
  if (detail.empty()) return s;
  return absl::Status(s.code(), absl::StrCat(s.message(), " (", detail, ")"));
}

absl::Status ErrnoError(absl::string_view name, absl::string_view what,
                        int err) {
  return absl::ErrnoToStatus(err, absl::StrCat(name, ": ", what));
}

}  // namespace btfreg
