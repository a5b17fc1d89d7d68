// btf/ costs on the running kernel's vmlinux (or the bundled fixture):
// name lookup through the index vs libbpf 1.1's linear btf__find_by_name_kind,
// and a full load (read + validate + index) vs a bare btf__parse.
//
//   bazel run --config=opt //benchmarks:btf_benchmark

#include <bpf/btf.h>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "btf/btf.h"
#include "harness/workload.h"

namespace btfreg {
namespace {

std::string BtfPath() { return VmlinuxOrFixture(); }

const Btf& Shared() {
  static const Btf* btf = [] {
    auto loaded = Btf::LoadFile(BtfPath());
    if (!loaded.ok()) {
      fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      abort();
    }
    return loaded->release();
  }();
  return *btf;
}

// 1,000 struct names sampled with a fixed seed.
const std::vector<std::string>& SampleNames() {
  static const std::vector<std::string> names = [] {
    const Btf& btf = Shared();
    std::vector<std::string> all;
    for (uint32_t id = 1; id < btf.type_count(); ++id) {
      if (btf.kind(id) == BTF_KIND_STRUCT && !btf.type_name(id).empty()) {
        all.emplace_back(btf.type_name(id));
      }
    }
    std::mt19937 rng(42);
    std::vector<std::string> out;
    for (int i = 0; i < 1000; ++i) out.push_back(all[rng() % all.size()]);
    return out;
  }();
  return names;
}

void BM_FindByName_Index(benchmark::State& state) {
  const Btf& btf = Shared();
  const auto& names = SampleNames();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(btf.FindByName(names[i++ % names.size()], BTF_KIND_STRUCT));
  }
  state.counters["types"] = btf.type_count();
}
BENCHMARK(BM_FindByName_Index);

void BM_FindByName_LibbpfScan(benchmark::State& state) {
  const Btf& btf = Shared();
  const auto& names = SampleNames();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(btf__find_by_name_kind(
        btf.libbpf_btf(), names[i++ % names.size()].c_str(), BTF_KIND_STRUCT));
  }
  state.counters["types"] = btf.type_count();
}
BENCHMARK(BM_FindByName_LibbpfScan);

void BM_Load_BtfregValidateAndIndex(benchmark::State& state) {
  const std::string path = BtfPath();
  size_t bytes = 0;
  for (auto _ : state) {
    auto loaded = Btf::LoadFile(path);
    if (!loaded.ok()) state.SkipWithError(loaded.status().ToString().c_str());
    bytes = (*loaded)->Memory().total();
  }
  state.counters["heap_bytes"] = bytes;
}
BENCHMARK(BM_Load_BtfregValidateAndIndex)->Unit(benchmark::kMillisecond);

void BM_Load_LibbpfParse(benchmark::State& state) {
  const std::string path = BtfPath();
  for (auto _ : state) {
    struct btf* b = btf__parse(path.c_str(), nullptr);
    if (b == nullptr) state.SkipWithError("btf__parse failed");
    btf__free(b);
  }
}
BENCHMARK(BM_Load_LibbpfParse)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace btfreg
