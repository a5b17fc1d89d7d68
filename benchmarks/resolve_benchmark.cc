// The bare resolve step, "register -> BTF object -> one field", for each
// scheme, beside a raw array index as the floor. 1,000 modules loaded.
//
//   bazel run --config=opt //benchmarks:resolve_benchmark

#include <unistd.h>

#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "verifier_state/workload.h"

namespace btfreg {
namespace {

Workload& World() {
  static Workload* w = [] {
    WorkloadOptions o;
    if (access(std::string(kVmlinuxPath).c_str(), R_OK) != 0) {
      o.base_path = "tests/data/mini_vmlinux.btf";
    }
    o.modules = 1000;
    o.chains = 8;
    return Workload::Create(o)->release();
  }();
  return *w;
}

// 4,096 registers naming random modules, in each layout.
template <typename R>
std::vector<typename R::Reg> Regs(const R& r) {
  Workload& w = World();
  std::mt19937 rng(7);
  std::vector<typename R::Reg> regs(4096);
  for (auto& reg : regs) {
    BtfRef ref = w.registry().GetByName(w.module_names()[rng() % w.module_names().size()]);
    MarkBtfId(r, reg, ref, ref->start_id());
  }
  return regs;
}

template <typename R>
void Resolve(benchmark::State& state, const R& r) {
  auto regs = Regs(r);
  size_t i = 0;
  uint64_t sink = 0;
  for (auto _ : state) {
    r.With(regs[i++ & 4095], [&](const Btf& btf) { sink += btf.type_count(); });
  }
  benchmark::DoNotOptimize(sink);
}

void BM_ArrayIndexFloor(benchmark::State& state) {
  std::vector<const Btf*> ptrs;
  for (auto& reg : Regs(PointerResolver())) ptrs.push_back(reg.btf);
  std::vector<uint32_t> idx(4096);
  std::mt19937 rng(3);
  for (auto& x : idx) x = rng() % ptrs.size();
  size_t i = 0;
  uint64_t sink = 0;
  for (auto _ : state) sink += ptrs[idx[i++ & 4095]]->type_count();
  benchmark::DoNotOptimize(sink);
}
void BM_Pointer(benchmark::State& s) { Resolve(s, PointerResolver()); }
void BM_RcuId(benchmark::State& s) { Resolve(s, RcuIdResolver<IdRegState>(World().registry())); }
void BM_RefcountId(benchmark::State& s) { Resolve(s, RefcountIdResolver<IdRegState>(World().registry())); }
void BM_LockedId(benchmark::State& s) {
  Resolve(s, LockedIdResolver<IdRegState>(World().registry(), World().locked_idr()));
}
void BM_Handle(benchmark::State& s) { Resolve(s, HandleResolver(World().registry())); }

BENCHMARK(BM_ArrayIndexFloor)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_Pointer)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_RcuId)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_RefcountId)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_LockedId)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_Handle)->ThreadRange(1, 2)->UseRealTime();

}  // namespace
}  // namespace btfreg
