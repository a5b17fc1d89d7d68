// tests/kernel_btf_load.h: the kernel's BTF checker as an oracle for tests:
// BPF_BTF_LOAD on raw bytes, its verdict and its complaint.

#ifndef BTFREG_TESTS_KERNEL_BTF_LOAD_H_
#define BTFREG_TESTS_KERNEL_BTF_LOAD_H_

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace btfreg {

// The kernel's verdict on `b`: true if it loads. Otherwise `*log` gets the
// last line of the verifier's log (what it complains of) and `*err` errno
// (EPERM and the like: the syscall itself was refused).
inline bool KernelAccepts(const std::vector<uint8_t>& b, std::string* log, int* err) {
  static char buf[1 << 16];
  buf[0] = '\0';
  LIBBPF_OPTS(bpf_btf_load_opts, opts, .log_buf = buf, .log_level = 1,
              .log_size = sizeof(buf));
  const int fd = bpf_btf_load(b.data(), b.size(), &opts);
  *err = fd < 0 ? errno : 0;
  if (fd >= 0) {
    close(fd);
    return true;
  }
  std::string all(buf);
  while (!all.empty() && all.back() == '\n') all.pop_back();
  const size_t nl = all.rfind('\n');
  *log = nl == std::string::npos ? all : all.substr(nl + 1);
  return false;
}

}  // namespace btfreg

#endif  // BTFREG_TESTS_KERNEL_BTF_LOAD_H_
