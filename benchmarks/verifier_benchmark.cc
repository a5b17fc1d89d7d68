// The bare resolve step and the verifier workload with every register
// variant (harness/compare.h), on the running
// kernel's BTF (or the fixture): 1, 10 and 1,000 modules, 1 and 2 threads,
// with and without a writer churning module loads and unloads.
//
//   bazel run --config=opt //benchmarks:verifier_benchmark
//
// `btfreg compare` runs the same benchmarks and prints them as a table.

#include "benchmark/benchmark.h"
#include "harness/compare.h"

namespace {

const bool registered = [] {
  btfreg::CompareOptions o;
  o.base_path = btfreg::VmlinuxOrFixture();
  o.modules = {1, 10, 1000};
  btfreg::RegisterCompareBenchmarks(o);
  return true;
}();

}  // namespace
