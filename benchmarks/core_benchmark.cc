// CO-RE relocation: btfreg against libbpf 1.1 doing the same work from
// scratch, in one process, interleaved round by round.
//
//   sudo bazel run --config=opt //benchmarks:core_benchmark
//
// The corpus object is tests/data/core/core_kernel.bpf.o against this
// machine's vmlinux (core_fixture.bpf.o against the fixture where there is
// no /sys/kernel/btf), with 100 synthetic modules (ModuleSynth) in the
// registry. Per round:
//   btfreg cold   BpfObject::Load, then a new CoreRelocator's Relocate: the
//                 registry (vmlinux and modules, parsed once per process)
//                 is shared, the relocator's cache is empty;
//   btfreg warm   a second object with the same types (the file loaded
//                 again) through the relocator that relocated the first;
//   libbpf        bpf_object__open_file, then bpf_object__load up to its
//                 last CO-RE relocation: what libbpf does for every object
//                 it opens (vmlinux BTF parsed again, candidates searched by
//                 a scan of every type). The end is the timestamp of its last
//                 "patched insn"/"substituting insn" debug line, taken by a
//                 print callback that formats nothing; the programs' loading
//                 into the kernel, which follows, is not counted. Needs the
//                 bpf syscall (root); skipped with the reason otherwise.
// Counters: medians over the rounds and their ratios; the heap the warm
// relocator's cache holds (mallinfo2, measured), per cached match and per
// relocated root type.

#include <bpf/libbpf.h>
#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/measure.h"
#include "btf/synth.h"
#include "core/bpf_object.h"
#include "core/relocate.h"
#include "harness/workload.h"
#include "registry/registry.h"

namespace btfreg {
namespace {

using Clock = std::chrono::steady_clock;

// libbpf's last CO-RE patch, stamped without formatting the message.
Clock::time_point g_last_patch;
int StampPatches(enum libbpf_print_level level, const char* fmt, va_list) {
  // "libbpf: prog '%s': relo #%d: patched insn ..." / "... substituting insn ..."
  static const size_t kPrefix = strlen("libbpf: prog '%s': relo #%d: ");
  if (level == LIBBPF_DEBUG && strncmp(fmt, "libbpf: prog '%s': relo #%d: ", kPrefix) == 0 &&
      (strncmp(fmt + kPrefix, "patched insn", 12) == 0 ||
       strncmp(fmt + kPrefix, "substituting insn", 17) == 0)) {
    g_last_patch = Clock::now();
  }
  return 0;
}

// libbpf from scratch: open, then load up to the last relocation. -1 when
// it relocated nothing (no bpf syscall).
double LibbpfFromScratch(const std::string& path, const std::string& custom_btf) {
  LIBBPF_OPTS(bpf_object_open_opts, opts,
              .btf_custom_path = custom_btf.empty() ? nullptr : custom_btf.c_str());
  g_last_patch = Clock::time_point();
  const auto start = Clock::now();
  struct bpf_object* obj = bpf_object__open_file(path.c_str(), &opts);
  if (obj == nullptr) return -1;
  bpf_object__load(obj);  // programs may be refused: relocation came first
  bpf_object__close(obj);
  if (g_last_patch == Clock::time_point()) return -1;
  return Ms(g_last_patch - start);
}

struct Setup {
  Registry registry;
  std::string object;
  std::string custom_btf;  // libbpf's target when the fixture stands in
  int modules = 0;
};

Setup* MakeSetup() {
  auto* s = new Setup;
  std::string note;
  const std::string vmlinux = VmlinuxOrFixture(&note);
  const bool real = vmlinux.rfind("/sys/", 0) == 0;
  s->object = real ? "tests/data/core/core_kernel.bpf.o" : "tests/data/core/core_fixture.bpf.o";
  if (!real) s->custom_btf = vmlinux;
  if (!s->registry.RegisterBase(vmlinux).ok()) abort();
  auto synth = ModuleSynth::CreateFromFile(vmlinux);
  if (!synth.ok()) abort();
  for (int i = 0; i < 100; ++i) {
    const std::string name = "synth" + std::to_string(i);
    auto bytes = (*synth)->Make(name, 1 + i % 12);
    if (!bytes.ok() || !s->registry.ModuleComing(name, *bytes).ok()) abort();
    ++s->modules;
  }
  return s;
}

void BM_CoreRelocateInterleaved(benchmark::State& state) {
  static Setup* s = MakeSetup();
  constexpr int kRounds = 15;
  libbpf_print_fn_t old = libbpf_set_print(StampPatches);
  for (auto _ : state) {
    std::vector<double> cold, warm, warm_relocate, libbpf;
    size_t relocations = 0;
    int64_t cache_heap = 0;
    CoreCacheStats stats;
    std::set<std::string> roots;
    for (int r = 0; r < kRounds; ++r) {
      for (int which = 0; which < 2; ++which) {
        if ((which == 0) != (r % 2 == 0)) {
          const double ms = LibbpfFromScratch(s->object, s->custom_btf);
          if (ms < 0) {
            libbpf_set_print(old);
            return state.SkipWithError("libbpf relocated nothing (the bpf syscall refused?)");
          }
          libbpf.push_back(ms);
          continue;
        }
        const int64_t heap_before = HeapInUse();
        auto relocator = std::make_unique<CoreRelocator>(&s->registry);
        const int64_t heap_empty = HeapInUse();
        auto start = Clock::now();
        auto first = BpfObject::Load(s->object);
        auto results = first.ok() ? relocator->Relocate(**first) : first.status();
        cold.push_back(Ms(Clock::now() - start));
        if (!results.ok()) return state.SkipWithError(results.status().ToString().c_str());
        relocations = results->size();
        for (const CoreResult& res : *results) {
          roots.insert(res.local_spec.substr(0, res.local_spec.find_first_of(".:(", 1)));
        }
        results->clear();
        first->reset();
        cache_heap = HeapInUse() - heap_empty;
        (void)heap_before;
        start = Clock::now();
        auto second = BpfObject::Load(s->object);
        const auto opened = Clock::now();
        auto again = second.ok() ? relocator->Relocate(**second) : second.status();
        warm.push_back(Ms(Clock::now() - start));
        warm_relocate.push_back(Ms(Clock::now() - opened));
        if (!again.ok()) return state.SkipWithError(again.status().ToString().c_str());
        stats = relocator->Stats();
      }
    }
    for (auto* v : {&cold, &warm, &warm_relocate, &libbpf}) std::sort(v->begin(), v->end());
    const double c = cold[kRounds / 2], w = warm[kRounds / 2], wr = warm_relocate[kRounds / 2],
                 l = libbpf[kRounds / 2];
    state.counters["relocations"] = relocations;
    state.counters["modules"] = s->modules;
    state.counters["btfreg_cold_ms"] = c;
    state.counters["btfreg_warm_ms"] = w;
    state.counters["btfreg_warm_relocate_ms"] = wr;
    state.counters["libbpf_ms"] = l;
    state.counters["cold_vs_libbpf"] = c / l;
    state.counters["libbpf_vs_warm"] = l / w;
    state.counters["libbpf_vs_warm_relocate"] = l / wr;
    state.counters["cache_KiB"] = cache_heap / 1024.0;
    state.counters["cache_B_per_match"] = double(cache_heap) / std::max<size_t>(1, stats.match_entries);
    state.counters["cache_B_per_root_type"] = double(cache_heap) / std::max<size_t>(1, roots.size());
    state.counters["match_hits_warm"] = stats.match_hits;
  }
  libbpf_set_print(old);
}
BENCHMARK(BM_CoreRelocateInterleaved)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace btfreg
