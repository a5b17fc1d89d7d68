// What BTF costs in memory, and what sharing it through the registry saves:
// the heap one vmlinux load holds (libbpf's copy, its offsets, our
// indexes), then N consumers that each parse their own copy against N
// consumers that take a reference from one registry.
//
//   bazel run --config=opt //benchmarks:memory_benchmark
//
// Heap is glibc's in-use count (mallinfo2: heap chunks plus mmap()ed
// blocks), read before and after; each
// benchmark runs once (memory, not time, is the result).

#include <malloc.h>
#include <sys/stat.h>

#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/measure.h"
#include "registry/registry.h"
#include "harness/workload.h"

namespace btfreg {
namespace {

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

// One consumer parses vmlinux: the heap it holds, and how it splits.
void BM_OneVmlinuxLoad(benchmark::State& state) {
  const std::string path = VmlinuxOrFixture();
  for (auto _ : state) {
    const int64_t before = HeapInUse();
    auto btf = Btf::LoadVmlinux(path);
    if (!btf.ok()) return state.SkipWithError(btf.status().ToString().c_str());
    const int64_t held = HeapInUse() - before;
    BtfMemory m = (*btf)->Memory();
    state.counters["heap_bytes"] = held;
    state.counters["raw_btf_bytes"] = FileSize(path);
    state.counters["raw_heap_bytes"] = m.raw_bytes;
    state.counters["raw_mapped_bytes"] = m.mapped_bytes;
    state.counters["libbpf_bytes"] = m.libbpf_bytes;
    state.counters["index_bytes"] = m.index_bytes;
  }
}

// N consumers, each with its own parsed copy (what every tool does today).
void BM_ConsumersEachParse(benchmark::State& state) {
  const std::string path = VmlinuxOrFixture();
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const int64_t before = HeapInUse();
    std::vector<std::unique_ptr<Btf>> consumers;
    for (int i = 0; i < n; ++i) {
      auto btf = Btf::LoadVmlinux(path);
      if (!btf.ok()) return state.SkipWithError(btf.status().ToString().c_str());
      consumers.push_back(std::move(*btf));
    }
    const int64_t held = HeapInUse() - before;
    state.counters["heap_bytes"] = held;
    state.counters["heap_bytes_per_consumer"] = static_cast<double>(held) / n;
  }
}

// N consumers sharing one registry: one parse, N references.
void BM_ConsumersShareTheRegistry(benchmark::State& state) {
  const std::string path = VmlinuxOrFixture();
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const int64_t before = HeapInUse();
    Registry registry;
    if (!registry.RegisterBase(path).ok()) return state.SkipWithError("no base");
    std::vector<BtfRef> consumers;
    consumers.reserve(n);  // the vector is the consumers' own, not BTF
    const int64_t one = HeapInUse() - before;
    for (int i = 0; i < n; ++i) consumers.push_back(registry.base());
    const int64_t held = HeapInUse() - before;
    state.counters["heap_bytes"] = held;
    state.counters["heap_bytes_first"] = one;
    state.counters["heap_bytes_per_extra_consumer"] =
        n > 1 ? static_cast<double>(held - one) / (n - 1) : 0;
    consumers.clear();
  }
}

BENCHMARK(BM_OneVmlinuxLoad)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConsumersEachParse)->Arg(1)->Arg(4)->Arg(16)->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConsumersShareTheRegistry)->Arg(1)->Arg(4)->Arg(16)->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace btfreg
