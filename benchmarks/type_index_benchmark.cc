// CO-RE candidate search over vmlinux plus 100 generated modules: the
// registry's type index against a libbpf-style scan (bpf_core_find_cands
// walks every type of vmlinux, then of each module in turn, comparing kinds
// and essential names).
//
//   bazel run --config=opt //benchmarks:type_index_benchmark
//
// Both sides answer the same sample of local names (vmlinux structs, module
// structs, names with a ___flavor suffix, and absent names); the set-up
// checks that they find the same candidates. Ratios within one run only.

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "btf/synth.h"
#include "registry/registry.h"
#include "harness/workload.h"

namespace btfreg {
namespace {

constexpr int kModules = 100;

struct World {
  Registry registry;
  std::vector<BtfRef> objects;      // base first, then modules
  std::vector<std::string> names;   // the sample of local names
  std::string error;
};

// What bpf_core_find_cands does: every type of every object, in turn.
size_t ScanCandidates(const std::vector<BtfRef>& objects, absl::string_view local, int kind) {
  const absl::string_view essential = EssentialName(local);
  size_t found = 0;
  for (const BtfRef& obj : objects) {
    const Btf& btf = *obj;
    for (uint32_t id = btf.start_id(); id < btf.type_count(); ++id) {
      if (btf.kind(id) != kind) continue;
      const absl::string_view name = btf.type_name(id);
      if (name.empty() || EssentialName(name) != essential) continue;
      ++found;
    }
  }
  return found;
}

World& GetWorld() {
  static World* w = [] {
    auto* w = new World;
    const std::string base = VmlinuxOrFixture();
    if (!w->registry.RegisterBase(base).ok()) abort();
    auto synth = ModuleSynth::CreateFromFile(base);
    if (!synth.ok()) abort();
    for (int i = 0; i < kModules; ++i) {
      const std::string name = "mod" + std::to_string(i);
      auto bytes = (*synth)->Make(name, 1 + i % 12);
      if (!bytes.ok() || !w->registry.ModuleComing(name, *bytes).ok()) abort();
    }
    w->objects = w->registry.Snapshot();
    // The sample: 70% vmlinux structs, 20% module structs, 10% absent;
    // every other one with a local flavor suffix, as CO-RE programs write.
    std::vector<std::string> vmlinux_structs;
    const Btf& b = *w->objects[0];
    for (uint32_t id = 1; id < b.type_count(); ++id) {
      if (b.kind(id) == BTF_KIND_STRUCT && !b.type_name(id).empty()) {
        vmlinux_structs.emplace_back(b.type_name(id));
      }
    }
    std::mt19937 rng(1);
    for (int i = 0; i < 1000; ++i) {
      std::string n;
      const int pick = i % 10;
      if (pick < 7) {
        n = vmlinux_structs[rng() % vmlinux_structs.size()];
      } else if (pick < 9) {
        n = "mod" + std::to_string(rng() % kModules) + "_obj0";
      } else {
        n = "no_such_struct_" + std::to_string(i);
      }
      if (i % 2) n += "___local";
      w->names.push_back(n);
    }
    for (const std::string& n : w->names) {
      if (w->registry.FindCandidates(n, BTF_KIND_STRUCT).size() !=
          ScanCandidates(w->objects, n, BTF_KIND_STRUCT)) {
        w->error = "the index and the scan disagree on " + n;
        break;
      }
    }
    return w;
  }();
  return *w;
}

void BM_RegistryIndex(benchmark::State& state) {
  World& w = GetWorld();
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  size_t i = 0, found = 0;
  for (auto _ : state) {
    found += w.registry.FindCandidates(w.names[i++ % w.names.size()], BTF_KIND_STRUCT).size();
  }
  benchmark::DoNotOptimize(found);
  state.counters["objects"] = static_cast<double>(w.objects.size());
}

void BM_ScanEachObject(benchmark::State& state) {
  World& w = GetWorld();
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  size_t i = 0, found = 0;
  for (auto _ : state) {
    found += ScanCandidates(w.objects, w.names[i++ % w.names.size()], BTF_KIND_STRUCT);
  }
  benchmark::DoNotOptimize(found);
  state.counters["objects"] = static_cast<double>(w.objects.size());
}

BENCHMARK(BM_RegistryIndex);
BENCHMARK(BM_ScanEachObject)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace btfreg
