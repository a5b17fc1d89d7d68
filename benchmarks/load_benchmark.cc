// What a new user of btfreg pays to load vmlinux, against libbpf 1.1's
// btf__parse of the same file, in one process, interleaved round by round:
// wall time, and the heap each holds after its load (glibc's own mallinfo2
// count: small chunks plus mmapped ones). And FindByName over every named
// type, shuffled, against an absl::flat_hash_map of the same (name, kind)
// keys.
//
//   MALLOC_MMAP_THRESHOLD_=131072 bazel run --config=opt //benchmarks:load_benchmark
//
// With MALLOC_MMAP_THRESHOLD_ set, every large buffer comes from fresh pages,
// as for the first load in a new process.

#include <bpf/btf.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "btf/btf.h"
#include "harness/workload.h"

namespace btfreg {
namespace {

int64_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// 15 rounds, each loading with btfreg then with libbpf (the order flips
// every round). Reports the medians, their ratio, and the heap held.
void BM_LoadVmlinuxInterleaved(benchmark::State& state) {
  const std::string path = VmlinuxOrFixture();
  constexpr int kRounds = 15;
  for (auto _ : state) {
    std::vector<double> ours, theirs;
    int64_t ours_heap = 0, theirs_heap = 0;
    for (int r = 0; r < kRounds; ++r) {
      for (int which = 0; which < 2; ++which) {
        const bool btfreg_now = (which == 0) == (r % 2 == 0);
        const int64_t before = HeapInUse();
        const auto start = std::chrono::steady_clock::now();
        if (btfreg_now) {
          auto btf = Btf::LoadVmlinux(path);
          const auto end = std::chrono::steady_clock::now();
          if (!btf.ok()) return state.SkipWithError(btf.status().ToString().c_str());
          ours.push_back(Ms(end - start));
          ours_heap = HeapInUse() - before;
        } else {
          struct btf* b = btf__parse(path.c_str(), nullptr);
          const auto end = std::chrono::steady_clock::now();
          if (b == nullptr) return state.SkipWithError("btf__parse failed");
          theirs.push_back(Ms(end - start));
          theirs_heap = HeapInUse() - before;
          btf__free(b);
        }
      }
    }
    std::sort(ours.begin(), ours.end());
    std::sort(theirs.begin(), theirs.end());
    state.counters["btfreg_ms"] = ours[kRounds / 2];
    state.counters["libbpf_ms"] = theirs[kRounds / 2];
    state.counters["ratio"] = ours[kRounds / 2] / theirs[kRounds / 2];
    state.counters["btfreg_heap_MiB"] = ours_heap / 1048576.0;
    state.counters["libbpf_heap_MiB"] = theirs_heap / 1048576.0;
  }
}
BENCHMARK(BM_LoadVmlinuxInterleaved)->Iterations(1)->Unit(benchmark::kMillisecond);

// Every named type's (name, kind), shuffled with a fixed seed.
struct Keys {
  std::unique_ptr<Btf> btf;
  std::vector<std::pair<std::string, int>> keys;
  absl::flat_hash_map<std::pair<std::string, int>, uint32_t> map;
};
const Keys& GetKeys() {
  static const Keys* keys = [] {
    auto* k = new Keys;
    k->btf = *Btf::LoadVmlinux(VmlinuxOrFixture());
    for (uint32_t id = 1; id < k->btf->type_count(); ++id) {
      const absl::string_view name = k->btf->type_name(id);
      if (name.empty()) continue;
      k->keys.emplace_back(std::string(name), k->btf->kind(id));
      k->map.emplace(k->keys.back(), id);  // the first id of a name and kind
    }
    std::shuffle(k->keys.begin(), k->keys.end(), std::mt19937(1));
    return k;
  }();
  return *keys;
}

// Both lookups in one loop, alternating, so that they share the machine's
// state; each timed apart by the counter of its own half.
void BM_FindEveryNamedType(benchmark::State& state) {
  const Keys& k = GetKeys();
  const bool ours = state.range(0) == 0;
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    const auto& key = k.keys[i++ % k.keys.size()];
    if (ours) {
      sum += k.btf->FindByName(key.first, key.second);
    } else {
      sum += k.map.find(key)->second;
    }
  }
  benchmark::DoNotOptimize(sum);
  state.counters["keys"] = k.keys.size();
}
BENCHMARK(BM_FindEveryNamedType)->ArgName("flat_hash_map")->Arg(0)->Arg(1)->Arg(0)->Arg(1);

}  // namespace
}  // namespace btfreg


