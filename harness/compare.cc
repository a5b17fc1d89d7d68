#include "harness/compare.h"

#include <atomic>
#include <map>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "sync/mutex.h"

namespace btfreg {
namespace {

// One Workload per (base, module count), made on first use and kept for
// the process (benchmarks of one configuration share it).
class WorkloadCache {
 public:
  // The workload, or why it could not be made (a base that does not load).
  absl::StatusOr<Workload*> Get(const std::string& base, int modules) {
    MutexLock l(mu_);
    std::unique_ptr<Workload>& slot = cache_[{base, modules}];
    if (!slot) {
      WorkloadOptions o;
      o.base_path = base;
      o.modules = modules;
      absl::StatusOr<std::unique_ptr<Workload>> w = Workload::Create(o);
      if (!w.ok()) return w.status();
      slot = std::move(*w);
    }
    return slot.get();
  }

 private:
  Mutex mu_;
  std::map<std::pair<std::string, int>, std::unique_ptr<Workload>> cache_ ABSL_GUARDED_BY(mu_);
};

WorkloadCache& Workloads() {
  static WorkloadCache* cache = new WorkloadCache;  // never destroyed: benchmarks may outlive main
  return *cache;
}

struct Shared {
  std::atomic<int> running{0};
};

// `resolve`: the bare lookup (64 per iteration); else one workload chain.
void Run(benchmark::State& state, Variant v, const std::string& base,
         int modules, bool churn, bool resolve, std::shared_ptr<Shared> shared) {
  absl::StatusOr<Workload*> made = Workloads().Get(base, modules);
  if (!made.ok()) {
    state.SkipWithError(std::string(made.status().message()).c_str());
    return;
  }
  Workload& w = **made;
  std::unique_ptr<Runner> runner = MakeRunner(w, v);
  if (shared->running.fetch_add(1) == 0 && churn) w.StartChurn();
  const int64_t cycles0 = w.churn_cycles();
  RunStats total;
  for (auto _ : state) {
    RunStats s = resolve ? runner->Resolve(64) : runner->Run(1);
    total.ops += s.ops;
    total.lookups += s.lookups;
    total.stale_hits += s.stale_hits;
    total.skipped += s.skipped;
    total.failed += s.failed;
  }
  const int64_t cycles = w.churn_cycles() - cycles0;
  runner.reset();  // unpins before the churn is stopped
  if (shared->running.fetch_sub(1) == 1 && churn) w.StopChurn();
  state.SetItemsProcessed(total.ops);
  using C = benchmark::Counter;
  // Wall time per operation, per thread.
  state.counters["ns_per_op"] = C(static_cast<double>(total.ops), C::kIsRate | C::kInvert | C::kAvgThreads);
  state.counters["lookups_per_op"] = C(total.ops ? double(total.lookups) / total.ops : 0, C::kAvgThreads);
  state.counters["stale_hits"] = C(static_cast<double>(total.stale_hits));
  state.counters["skipped"] = C(static_cast<double>(total.skipped));
  state.counters["failed"] = C(static_cast<double>(total.failed));
  state.counters["bytes_per_reg"] = C(static_cast<double>(RegBytes(v)), C::kAvgThreads);
  state.counters["bytes_per_state"] = C(static_cast<double>(StateBytes(v)), C::kAvgThreads);
  state.counters["churn_cycles"] = C(static_cast<double>(cycles), C::kAvgThreads);
}

}  // namespace

void RegisterCompareBenchmarks(const CompareOptions& o) {
  for (const char* kind : {"resolve", "verifier"}) {
  const bool resolve = kind[0] == 'r';
  for (int modules : o.modules) {
    for (bool churn : o.churn) {
      for (Variant v : o.variants) {
        const std::string name =
            absl::StrCat(kind, "/", VariantKey(v), "/modules:", modules,
                         "/churn:", churn ? 1 : 0);
        auto shared = std::make_shared<Shared>();
        auto* b = benchmark::RegisterBenchmark(
            name.c_str(), [=](benchmark::State& state) {
              Run(state, v, o.base_path, modules, churn, resolve, shared);
            });
        b->UseRealTime()->MinTime(o.min_time);
        if (o.repetitions > 1) {
          b->Repetitions(o.repetitions)->ReportAggregatesOnly(true);
        }
        for (int t : o.threads) b->Threads(t);
      }
    }
  }
  }
}

bool ParseCompareRunName(const std::string& name, CompareRunKey* key) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() < 4 || (parts[0] != "verifier" && parts[0] != "resolve")) {
    return false;
  }
  key->resolve = parts[0] == "resolve";
  key->variant = parts[1];
  for (size_t i = 2; i < parts.size(); ++i) {
    std::pair<std::string, std::string> kv = absl::StrSplit(parts[i], ':');
    int n = 0;
    if (!absl::SimpleAtoi(kv.second, &n)) continue;
    if (kv.first == "modules") key->modules = n;
    if (kv.first == "churn") key->churn = n != 0;
    if (kv.first == "threads") key->threads = n;
  }
  return true;
}

}  // namespace btfreg
