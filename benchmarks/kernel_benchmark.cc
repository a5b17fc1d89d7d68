// What an id costs when the kernel keeps the registry: the kernel's own
// lookup (BPF_BTF_GET_FD_BY_ID, then close) beside the registry's, with the
// registry mirroring the running kernel (KernelMirror).
//
//   bazel run --config=opt //benchmarks:kernel_benchmark
//
// Needs the bpf syscall (root, or CAP_SYS_ADMIN); each benchmark reports an
// error where it is refused. Ratios are meaningful only within one run.

#include <bpf/bpf.h>
#include <errno.h>
#include <unistd.h>

#include <cstring>

#include "benchmark/benchmark.h"
#include "registry/kernel_mirror.h"
#include "registry/registry.h"

namespace btfreg {
namespace {

struct Mirrored {
  Registry registry;
  std::string error;
  uint32_t vmlinux_kernel_id = 0;
  uint32_t vmlinux_id = 0;
};

// The registry, mirrored from the kernel once per process.
Mirrored& GetMirrored() {
  static Mirrored* m = [] {
    auto* m = new Mirrored;
    KernelMirror mirror(m->registry);
    absl::StatusOr<KernelSync> s = mirror.Sync();
    if (!s.ok()) {
      m->error = s.status().ToString();
    } else if (s->source != KernelSync::Source::kSyscall) {
      m->error = "the bpf syscall is refused: " + s->fallback_reason;
    } else {
      m->vmlinux_kernel_id = m->registry.base().kernel_id();
      m->vmlinux_id = m->registry.base().id();
    }
    return m;
  }();
  return *m;
}

// The kernel: id -> fd (the object referenced) -> close (released).
void BM_KernelGetFdByIdAndClose(benchmark::State& state) {
  Mirrored& m = GetMirrored();
  if (!m.error.empty()) return state.SkipWithError(m.error.c_str());
  for (auto _ : state) {
    int fd = bpf_btf_get_fd_by_id(m.vmlinux_kernel_id);
    if (fd < 0) return state.SkipWithError(strerror(errno));
    close(fd);
  }
}

// The kernel, reading one field of the object as the others do: + info.
void BM_KernelGetFdByIdInfoAndClose(benchmark::State& state) {
  Mirrored& m = GetMirrored();
  if (!m.error.empty()) return state.SkipWithError(m.error.c_str());
  uint64_t sink = 0;
  for (auto _ : state) {
    int fd = bpf_btf_get_fd_by_id(m.vmlinux_kernel_id);
    if (fd < 0) return state.SkipWithError(strerror(errno));
    bpf_btf_info info = {};
    uint32_t len = sizeof(info);
    bpf_obj_get_info_by_fd(fd, &info, &len);
    sink += info.btf_size;
    close(fd);
  }
  benchmark::DoNotOptimize(sink);
}

// The registry: lock-free id lookup + reference + one field + put.
void BM_RegistryGetById(benchmark::State& state) {
  Mirrored& m = GetMirrored();
  if (!m.error.empty()) return state.SkipWithError(m.error.c_str());
  uint64_t sink = 0;
  for (auto _ : state) {
    BtfRef ref = m.registry.GetById(m.vmlinux_id);
    sink += ref->type_count();
  }
  benchmark::DoNotOptimize(sink);
}

// The registry by the kernel's id (a map under the registry's lock).
void BM_RegistryGetByKernelId(benchmark::State& state) {
  Mirrored& m = GetMirrored();
  if (!m.error.empty()) return state.SkipWithError(m.error.c_str());
  uint64_t sink = 0;
  for (auto _ : state) {
    BtfRef ref = m.registry.GetByKernelId(m.vmlinux_kernel_id);
    sink += ref->type_count();
  }
  benchmark::DoNotOptimize(sink);
}

// The registry, borrowing (no reference taken).
void BM_RegistryWithBtf(benchmark::State& state) {
  Mirrored& m = GetMirrored();
  if (!m.error.empty()) return state.SkipWithError(m.error.c_str());
  uint64_t sink = 0;
  for (auto _ : state) {
    m.registry.WithBtf(m.vmlinux_id, [&](const Btf& btf) { sink += btf.type_count(); });
  }
  benchmark::DoNotOptimize(sink);
}

BENCHMARK(BM_KernelGetFdByIdAndClose)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_KernelGetFdByIdInfoAndClose)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_RegistryGetById)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_RegistryGetByKernelId)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_RegistryWithBtf)->ThreadRange(1, 2)->UseRealTime();

}  // namespace
}  // namespace btfreg
