// What a new user of btfreg pays to load BTF, against libbpf 1.1 parsing
// the same file, in one process, interleaved round by round: vmlinux
// (Btf::LoadVmlinux against btf__parse), and module BTF split on it
// (Btf::LoadSplitFile against btf__parse_split): the repo's fixture module
// and a large synthetic one. For each: the median wall time, the heap held
// after the load (glibc's own mallinfo2 count: small chunks plus mmapped
// ones) and the peak heap during it (counted by this binary's malloc,
// below). And FindByName over every named vmlinux type, shuffled, against
// an absl::flat_hash_map of the same (name, kind) keys.
//
//   MALLOC_MMAP_THRESHOLD_=131072 bazel run --config=opt //benchmarks:load_benchmark
//
// With MALLOC_MMAP_THRESHOLD_ set, every large buffer comes from fresh pages,
// as for the first load in a new process.

#include <bpf/btf.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "benchmarks/measure.h"
#include "btf/btf.h"
#include "btf/synth.h"
#include "harness/workload.h"

// The peak heap: every allocation of this process goes through these (the
// executable's malloc takes the place of glibc's, for libbpf too), which
// count the usable size glibc gives each chunk and keep the highest total
// since the last reset. glibc's own entry points do the work.
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {

std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

void Counted(int64_t delta) {
  const int64_t now = g_live.fetch_add(delta, std::memory_order_relaxed) + delta;
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}
void* Allocated(void* p) {
  if (p != nullptr) Counted(static_cast<int64_t>(malloc_usable_size(p)));
  return p;
}

}  // namespace

extern "C" {
void* malloc(size_t n) { return Allocated(__libc_malloc(n)); }
void* calloc(size_t n, size_t size) { return Allocated(__libc_calloc(n, size)); }
void* memalign(size_t align, size_t n) { return Allocated(__libc_memalign(align, n)); }
void* aligned_alloc(size_t align, size_t n) { return Allocated(__libc_memalign(align, n)); }
int posix_memalign(void** out, size_t align, size_t n) {
  void* p = Allocated(__libc_memalign(align, n));
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void* realloc(void* p, size_t n) {
  const int64_t old = p != nullptr ? static_cast<int64_t>(malloc_usable_size(p)) : 0;
  void* q = __libc_realloc(p, n);
  if (q != nullptr) {
    Counted(static_cast<int64_t>(malloc_usable_size(q)) - old);
  } else if (n == 0) {
    Counted(-old);  // freed
  }
  return q;
}
void free(void* p) {
  if (p != nullptr) Counted(-static_cast<int64_t>(malloc_usable_size(p)));
  __libc_free(p);
}
}

namespace btfreg {
namespace {

// A load under test: returns an owner of what it loaded (destroyed after
// the heap is read), or nullptr on failure.
using LoadFn = std::function<std::shared_ptr<void>()>;

// 15 rounds, each loading with btfreg then with libbpf (the order flips
// every round). Reports the medians, their ratio, the heap each holds after
// its load, and the peak during it.
void Interleave(benchmark::State& state, const LoadFn& ours, const LoadFn& theirs) {
  constexpr int kRounds = 15;
  for (auto _ : state) {
    std::vector<double> ms[2];
    int64_t held[2] = {0, 0}, counted[2] = {0, 0}, peak[2] = {0, 0};
    for (int r = 0; r < kRounds; ++r) {
      for (int which = 0; which < 2; ++which) {
        const int who = (which == 0) == (r % 2 == 0) ? 0 : 1;  // 0: btfreg
        const int64_t before = HeapInUse();
        const int64_t live_before = g_live.load();
        g_peak.store(live_before);
        const auto start = std::chrono::steady_clock::now();
        std::shared_ptr<void> loaded = who == 0 ? ours() : theirs();
        const auto end = std::chrono::steady_clock::now();
        if (loaded == nullptr) return state.SkipWithError(who == 0 ? "btfreg failed" : "libbpf failed");
        ms[who].push_back(Ms(end - start));
        held[who] = HeapInUse() - before;
        counted[who] = g_live.load() - live_before;
        peak[who] = g_peak.load() - live_before;
      }
    }
    for (auto& v : ms) std::sort(v.begin(), v.end());
    state.counters["btfreg_ms"] = ms[0][kRounds / 2];
    state.counters["libbpf_ms"] = ms[1][kRounds / 2];
    state.counters["ratio"] = ms[0][kRounds / 2] / ms[1][kRounds / 2];
    state.counters["btfreg_heap_MiB"] = held[0] / 1048576.0;
    state.counters["libbpf_heap_MiB"] = held[1] / 1048576.0;
    state.counters["btfreg_peak_MiB"] = peak[0] / 1048576.0;
    state.counters["libbpf_peak_MiB"] = peak[1] / 1048576.0;
    // Peak over held, both as this binary's malloc counts them (mallinfo2
    // moves in steps too coarse for a small module).
    state.counters["btfreg_peak_per_held"] = double(peak[0]) / counted[0];
    state.counters["libbpf_peak_per_held"] = double(peak[1]) / counted[1];
  }
}

void BM_LoadVmlinuxInterleaved(benchmark::State& state) {
  const std::string path = VmlinuxOrFixture();
  Interleave(
      state,
      [&]() -> std::shared_ptr<void> {
        auto btf = Btf::LoadVmlinux(path);
        return btf.ok() ? std::shared_ptr<void>(std::move(*btf)) : nullptr;
      },
      [&]() -> std::shared_ptr<void> {
        struct btf* b = btf__parse(path.c_str(), nullptr);
        return b != nullptr ? std::shared_ptr<void>(b, [](void* p) { btf__free(static_cast<struct btf*>(p)); })
                            : nullptr;
      });
}
BENCHMARK(BM_LoadVmlinuxInterleaved)->Iterations(1)->Unit(benchmark::kMillisecond);

// Split BTF on the base each library loaded once, before the rounds:
// module:0 is the repo's fixture module on its fixture vmlinux; module:1 a
// synthetic module of 4,000 structs (ModuleSynth) on this machine's vmlinux
// (or the fixture), written to a file first so that both read a file.
void BM_LoadSplitInterleaved(benchmark::State& state) {
  std::string base_path = "tests/data/mini_vmlinux.btf";
  std::string path = "tests/data/mini_module.btf";
  std::string made;
  if (state.range(0) == 1) {
    base_path = VmlinuxOrFixture();
    auto synth = ModuleSynth::CreateFromFile(base_path);
    if (!synth.ok()) return state.SkipWithError(synth.status().ToString().c_str());
    auto bytes = (*synth)->Make("synth", 4000);
    if (!bytes.ok()) return state.SkipWithError(bytes.status().ToString().c_str());
    char tmp[] = "/tmp/load_benchmark_XXXXXX";
    const int fd = mkstemp(tmp);
    if (fd < 0 || write(fd, bytes->data(), bytes->size()) != ssize_t(bytes->size())) {
      return state.SkipWithError("cannot write the synthetic module");
    }
    close(fd);
    path = made = tmp;
    state.counters["module_KiB"] = bytes->size() / 1024.0;
  }
  auto base = Btf::LoadFile(base_path);
  struct btf* libbpf_base = btf__parse(base_path.c_str(), nullptr);
  if (!base.ok() || libbpf_base == nullptr) return state.SkipWithError("cannot load the base");
  const Btf& ours_base = **base;
  Interleave(
      state,
      [&]() -> std::shared_ptr<void> {
        auto btf = Btf::LoadSplitFile(path, ours_base);
        return btf.ok() ? std::shared_ptr<void>(std::move(*btf)) : nullptr;
      },
      [&]() -> std::shared_ptr<void> {
        struct btf* b = btf__parse_split(path.c_str(), libbpf_base);
        return b != nullptr ? std::shared_ptr<void>(b, [](void* p) { btf__free(static_cast<struct btf*>(p)); })
                            : nullptr;
      });
  btf__free(libbpf_base);
  if (!made.empty()) unlink(made.c_str());
}
BENCHMARK(BM_LoadSplitInterleaved)
    ->ArgName("module")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Every named type's (name, kind), shuffled with a fixed seed. The map's
// keys are all allocated before the queries: built together, each query's
// string lay beside the map's copy of it, and the cache line the query's
// own miss brought in served the map's compare too (the map took 41 ns a
// lookup that way, 47 ns this way, in one run each).
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
      // The first id of a name and kind.
      k->map.emplace(std::make_pair(std::string(name), k->btf->kind(id)), id);
    }
    for (uint32_t id = 1; id < k->btf->type_count(); ++id) {
      const absl::string_view name = k->btf->type_name(id);
      if (name.empty()) continue;
      k->keys.emplace_back(std::string(name), k->btf->kind(id));
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
