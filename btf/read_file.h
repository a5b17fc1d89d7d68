// btf/read_file.h: reading a BTF file whole, into one buffer.
//
// Internal to btfreg (//btf:read_file: Btf::LoadFile and core/'s
// BpfObject::Load read through it); a header of its own so that a test can
// hand it a size that the file does not have, which is what a file that
// changes size between fstat and read looks like.

#ifndef BTFREG_BTF_READ_FILE_H_
#define BTFREG_BTF_READ_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace btfreg {

// Reads `fd` to its end, refusing more than `max_bytes` (ResourceExhausted).
// `stat_size` is the size fstat gave for it:
//  - nonzero: the file must hold exactly that many bytes, read into a
//    buffer of that size (no growing, no copy). A file that ends before it
//    or goes on past it changed size while it was read (it is being
//    written): FailedPrecondition, naming `path` and both sizes.
//  - 0: the size is not known (a pipe, a procfs file), and the buffer grows
//    as the bytes come.
absl::StatusOr<std::vector<uint8_t>> ReadWholeFile(int fd, absl::string_view path,
                                                   size_t stat_size, size_t max_bytes);

// A file opened read-only, with what fstat said of it; closed when it goes.
// Btf::LoadFile maps or reads through it, ReadPath reads.
class OpenFile {
 public:
  // Errors name `path`: it cannot be opened or stat'ed (the errno's code),
  // or it is a directory (InvalidArgument).
  static absl::StatusOr<OpenFile> Open(absl::string_view path);
  OpenFile(OpenFile&& other) noexcept : fd_(other.fd_), size_(other.size_), path_(std::move(other.path_)) {
    other.fd_ = -1;
  }
  OpenFile& operator=(OpenFile&&) = delete;
  ~OpenFile();

  int fd() const { return fd_; }
  // The size fstat gave; 0 when it gives none (procfs, a pipe).
  size_t size() const { return size_; }
  // ReadWholeFile with that size.
  absl::StatusOr<std::vector<uint8_t>> ReadAll(size_t max_bytes) const;

 private:
  OpenFile(int fd, size_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_;
  size_t size_;
  std::string path_;
};

// OpenFile::Open(path), then ReadAll.
absl::StatusOr<std::vector<uint8_t>> ReadPath(absl::string_view path, size_t max_bytes);

}  // namespace btfreg

#endif  // BTFREG_BTF_READ_FILE_H_
