#include "btf/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "btf/libbpf_status.h"

namespace btfreg {
namespace {

// read() until `len` bytes or the end; the bytes read, or -errno.
ssize_t ReadFully(int fd, uint8_t* out, size_t len) {
  size_t used = 0;
  while (used < len) {
    const ssize_t n = read(fd, out + used, len - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(used);
}

absl::Status TooLarge(absl::string_view path, size_t max_bytes) {
  return absl::ResourceExhaustedError(
      absl::StrCat(path, ": larger than the ", max_bytes, "-byte limit for BTF"));
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> ReadWholeFile(int fd, absl::string_view path,
                                                   size_t stat_size, size_t max_bytes) {
  if (stat_size > max_bytes) return TooLarge(path, max_bytes);
  if (stat_size != 0) {
    std::vector<uint8_t> out(stat_size);
    const ssize_t n = ReadFully(fd, out.data(), out.size());
    if (n < 0) return ErrnoError(path, "read failed", static_cast<int>(-n));
    uint8_t past = 0;  // one more byte would mean the file grew
    const ssize_t more = static_cast<size_t>(n) == stat_size ? ReadFully(fd, &past, 1) : 0;
    if (more < 0) return ErrnoError(path, "read failed", static_cast<int>(-more));
    if (static_cast<size_t>(n) != stat_size || more != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": changed size while it was read (fstat said ", stat_size, " bytes, then ",
          more != 0 ? absl::StrCat("more than ", stat_size) : absl::StrCat(n),
          " were read); is it being written?"));
    }
    return out;
  }
  std::vector<uint8_t> out(4096);
  size_t used = 0;
  for (;;) {
    const ssize_t n = ReadFully(fd, out.data() + used, out.size() - used);
    if (n < 0) return ErrnoError(path, "read failed", static_cast<int>(-n));
    used += static_cast<size_t>(n);
    if (used < out.size()) break;  // the end came first
    if (out.size() > max_bytes) return TooLarge(path, max_bytes);
    out.resize(std::min(out.size() * 2, max_bytes + 1));
  }
  out.resize(used);
  out.shrink_to_fit();
  return out;
}

absl::StatusOr<OpenFile> OpenFile::Open(absl::string_view path) {
  const std::string p(path);
  const int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, "cannot open", errno);
  OpenFile file(fd, 0, p);  // closes fd on the error returns below
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError(path, "cannot stat", errno);
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
  }
  file.size_ = st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  return file;
}

OpenFile::~OpenFile() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::vector<uint8_t>> OpenFile::ReadAll(size_t max_bytes) const {
  return ReadWholeFile(fd_, path_, size_, max_bytes);
}

absl::StatusOr<std::vector<uint8_t>> ReadPath(absl::string_view path, size_t max_bytes) {
  absl::StatusOr<OpenFile> file = OpenFile::Open(path);
  if (!file.ok()) return file.status();
  return file->ReadAll(max_bytes);
}

}  // namespace btfreg
