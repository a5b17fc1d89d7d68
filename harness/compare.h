// harness/compare.h: the pointer-vs-id comparison as Google
// Benchmark runs, shared by benchmarks/verifier_benchmark and
// `btfreg compare`.
//
//   CompareOptions o;                      // modules {10}, threads {1, 2}, ...
//   RegisterCompareBenchmarks(o);
//   benchmark::RunSpecifiedBenchmarks(reporter);
//   // runs are named "{resolve,verifier}/<variant>/modules:N/churn:C/threads:T"
//
// Two families: "resolve/..." times the bare step "register -> BTF object ->
// one field" (64 registers naming random objects per iteration), and
// "verifier/..." runs one chain of the Workload's trace (workload.h) per
// iteration, walks included, with one register variant. Counters:
// "ns_per_op" (wall time per operation), "lookups_per_op", "stale_hits"
// (lookups that found the module gone, under churn), "skipped" (chains not
// run because their module was not there, under churn), "failed" (accesses
// refused for another reason: 0 unless something is wrong), "bytes_per_reg",
// "bytes_per_state", "churn_cycles".

#ifndef BTFREG_HARNESS_COMPARE_H_
#define BTFREG_HARNESS_COMPARE_H_

#include <string>
#include <vector>

#include "harness/workload.h"

namespace btfreg {

struct CompareOptions {
  std::string base_path = std::string(kVmlinuxPath);
  std::vector<int> modules = {10};
  std::vector<int> threads = {1, 2};
  std::vector<bool> churn = {false, true};
  std::vector<Variant> variants = std::vector<Variant>(
      std::begin(kAllVariants), std::end(kAllVariants));
  double min_time = 0.1;  // seconds per run
  // Runs per configuration; with more than one, only the mean, median and
  // spread are reported (use the median: the machine is noisy).
  int repetitions = 3;
};

void RegisterCompareBenchmarks(const CompareOptions& options);

// The parts of a run's name, parsed back ("verifier/rcu_id/modules:10/...").
struct CompareRunKey {
  bool resolve = false;  // the bare resolve step, not the workload
  std::string variant;   // VariantKey()
  int modules = 0;
  bool churn = false;
  int threads = 1;
};
bool ParseCompareRunName(const std::string& name, CompareRunKey* key);

}  // namespace btfreg

#endif  // BTFREG_HARNESS_COMPARE_H_
