// `btfreg compare`: the pointer-vs-id comparison on real kernel BTF, as a
// table, with Google Benchmark JSON and a gnuplot chart on request.

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "harness/compare.h"

namespace btfreg {
namespace {

constexpr char kUsage[] =
    "usage: btfreg compare [--quick | --full] [--btf FILE] [--json FILE]\n"
    "                      [--chart FILE.png|FILE.svg]\n"
    "Runs a verifier workload (mark, struct-access chains, state compares)\n"
    "with each register variant and prints ns per operation, the ratio to\n"
    "the pointer variant, bytes per state, and what an unload does to it.\n"
    "  (default)     10 modules; 1 and 2 threads; with and without a writer\n"
    "                churning module loads; median of 3 (about 30 s)\n"
    "  --quick       1 thread, no churn, short runs (a few seconds)\n"
    "  --full        1, 10, 1000 and 10000 modules, longer runs (a few minutes),\n"
    "                and how each variant's lookup grows with the module count\n"
    "  --btf FILE    base BTF (default: the running kernel's vmlinux, or the\n"
    "                bundled fixture where /sys/kernel/btf is missing)\n"
    "  --json FILE   write the runs as Google Benchmark JSON\n"
    "  --chart FILE  draw each variant as a multiple of the pointer variant, a\n"
    "                panel per scenario, with gnuplot (PNG or SVG)\n";

struct Result {
  CompareRunKey key;
  double ns_per_op = 0, lookups_per_op = 0, stale_hits = 0, skipped = 0, failed = 0;
  double bytes_per_reg = 0, bytes_per_state = 0, churn_cycles = 0;
};

// Collects every run, and reports progress on stderr as they finish.
class Collector : public benchmark::BenchmarkReporter {
 public:
  explicit Collector(int total) : total_(total) {}
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      // With repetitions, the median stands for the configuration.
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
      Result r;
      if (run.error_occurred || !ParseCompareRunName(run.benchmark_name(), &r.key)) {
        fprintf(stderr, "btfreg: run %s failed: %s\n", run.benchmark_name().c_str(),
                run.error_message.c_str());
        continue;
      }
      r.key.threads = static_cast<int>(run.threads);  // the name may end "_median"
      auto get = [&](const char* name) {
        auto it = run.counters.find(name);
        return it == run.counters.end() ? 0.0 : it->second.value;
      };
      r.ns_per_op = get("ns_per_op") * 1e9;
      r.lookups_per_op = get("lookups_per_op");
      r.stale_hits = get("stale_hits");
      r.skipped = get("skipped");
      r.failed = get("failed");
      r.bytes_per_reg = get("bytes_per_reg");
      r.bytes_per_state = get("bytes_per_state");
      r.churn_cycles = get("churn_cycles");
      results.push_back(r);
      fprintf(stderr, "  [%zu/%d] %-52s %8.1f ns/op\n", results.size(), total_,
              run.benchmark_name().c_str(), r.ns_per_op);
    }
  }
  void Finalize() override {}

  std::vector<Result> results;

 private:
  int total_;
};

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      return line.substr(line.find(':') + 2);
    }
  }
  return "unknown CPU";
}

// A group of the table, and a panel of the chart: one family at one module
// count, thread count and churn.
std::string GroupName(const CompareRunKey& k) {
  return absl::StrCat(k.resolve ? "resolve step: " : "workload: ", k.modules,
                      " modules, ", k.threads,
                      k.threads == 1 ? " thread" : " threads",
                      k.churn ? ", writer churning" : "");
}

// A short label for a bar.
std::string ShortName(Variant v) {
  switch (v) {
    case Variant::kPointer: return "pointer";
    case Variant::kRcuId: return "id";
    case Variant::kRcuIdPacked: return "id packed";
    case Variant::kRefcountId: return "id+ref";
    case Variant::kLockedId: return "id mutex";
    case Variant::kHandle: return "handle";
  }
  return "?";
}

// The chart a reader wants at a glance: one panel per scenario (resolve
// step and workload side by side, a row per thread count and churn), each
// variant's cost as a ratio to the pointer variant of the same panel, on a
// log axis, with the ratio and the ns written on its bar.
int DrawChart(const std::string& path, const std::vector<Result>& results,
              const std::vector<Variant>& variants) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
    fprintf(stderr, "btfreg: --chart needs gnuplot, which is not installed "
                    "(apt-get install gnuplot-nox)\n");
    return 1;
  }
  // Panels in the order: rows (modules, threads, churn), columns (resolve,
  // workload).
  struct PanelKey {
    int modules, threads;
    bool churn, workload;  // the resolve step (false) sorts first
    bool operator<(const PanelKey& o) const {
      return std::tie(modules, threads, churn, workload) <
             std::tie(o.modules, o.threads, o.churn, o.workload);
    }
  };
  std::map<PanelKey, std::map<std::string, double>> ns;  // panel, variant key
  std::map<PanelKey, std::string> titles;
  std::set<bool> families;
  for (const Result& r : results) {
    const PanelKey k{r.key.modules, r.key.threads, r.key.churn, !r.key.resolve};
    ns[k][r.key.variant] = r.ns_per_op;
    titles[k] = GroupName(r.key);
    families.insert(r.key.resolve);
  }
  const int columns = static_cast<int>(families.size());
  const int rows = (static_cast<int>(ns.size()) + columns - 1) / columns;
  char dir[] = "/tmp/btfreg-chart-XXXXXX";
  if (mkdtemp(dir) == nullptr) return Fail(absl::InternalError("mkdtemp failed"));
  const bool svg = path.size() > 4 && path.substr(path.size() - 4) == ".svg";
  const std::string script = absl::StrCat(dir, "/chart.gp");
  std::vector<std::string> files;
  std::ofstream s(script);
  s << (svg ? "set terminal svg size " : "set terminal pngcairo size ") << 560 * columns << ","
    << 300 * rows + 60 << (svg ? " dynamic\n" : " font ',9'\n")
    << "set output '" << path << "'\n"
    << "set termoption noenhanced\n"
    << "set multiplot layout " << rows << "," << columns
    << " title 'btfreg compare: cost as a multiple of the pointer variant (lower is better;"
       " bars: ratio and ns per operation)'\n"
    << "set style fill solid 0.75 border -1\nset boxwidth 0.7\nunset key\n"
    << "set logscale y\nset yrange [0.5:*]\nset ytics (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)\n"
    << "set grid ytics\nset ylabel 'x pointer'\nset datafile separator '\\t'\n"
    << "set xtics scale 0\nset offsets 0.5, 0.5, 0, 0\n";
  for (const auto& [key, by_variant] : ns) {
    const std::string file = absl::StrCat(dir, "/panel", files.size(), ".tsv");
    files.push_back(file);
    const double pointer = by_variant.count("pointer") ? by_variant.at("pointer") : 0;
    std::ofstream d(file);
    for (Variant v : variants) {
      auto it = by_variant.find(VariantKey(v));
      if (it == by_variant.end() || pointer <= 0) continue;
      const double ratio = it->second / pointer;
      d << ShortName(v) << "\t" << ratio << "\t"
        << absl::StrFormat("%.1fx\\n%.3g ns", ratio, it->second) << "\n";
    }
    s << "set title '" << titles[key] << "'\n"
      << "plot '" << file << "' using 0:2:xtic(1) with boxes lc rgb '"
      << (key.workload ? "#c44e52" : "#4c72b0") << "', \\\n"
      << "     '' using 0:2:3 with labels offset 0,1.2 font ',8', \\\n"
      << "     1 with lines lc rgb 'black' dt 2\n";
  }
  s << "unset multiplot\n";
  s.close();
  std::string cmd = absl::StrCat("gnuplot '", script, "'");
  int rc = system(cmd.c_str());
  for (const std::string& f : files) unlink(f.c_str());
  unlink(script.c_str());
  rmdir(dir);
  if (rc != 0) {
    fprintf(stderr, "btfreg: gnuplot failed (exit %d) drawing %s\n", rc, path.c_str());
    return 1;
  }
  fprintf(stderr, "btfreg: chart written to %s\n", path.c_str());
  return 0;
}

}  // namespace

int CompareCommand(int argc, char** argv) {
  Args args(argc, argv);
  if (args.Flag("--help")) {
    fputs(kUsage, stdout);
    return 0;
  }
  const bool quick = args.Flag("--quick");
  const bool full = args.Flag("--full");
  std::string btf = args.Value("--btf", "");
  const std::string json = args.Value("--json", "");
  const std::string chart = args.Value("--chart", "");
  if (!args.Finish(kUsage)) return 2;
  if (quick && full) {
    fprintf(stderr, "btfreg: --quick and --full exclude each other\n\n%s", kUsage);
    return 2;
  }
  std::string note;
  if (btf.empty()) btf = VmlinuxOrFixture(&note);
  // A base that does not load is refused here, with its error, rather than
  // by every benchmark of the run.
  if (absl::StatusOr<std::unique_ptr<Btf>> base = Btf::LoadVmlinux(btf); !base.ok()) {
    return Fail(base.status());
  }
  if (!note.empty()) fprintf(stderr, "btfreg: %s\n", note.c_str());

  CompareOptions o;
  o.base_path = btf;
  if (quick) {
    o.threads = {1};
    o.churn = {false};
    o.min_time = 0.05;
    o.repetitions = 1;
  } else if (full) {
    o.modules = {1, 10, 1000, 10000};
    o.min_time = 0.3;
    o.repetitions = 3;
  }
  // Unload outcomes, found by doing it once per variant.
  fprintf(stderr, "btfreg: checking what an unload does to each variant...\n");
  std::map<std::string, std::string> outcome;
  for (Variant v : o.variants) {
    std::string cyclic = UnloadOutcome(v, btf, /*reuse_ids=*/false);
    std::string reused = UnloadOutcome(v, btf, /*reuse_ids=*/true);
    outcome[VariantKey(v)] = cyclic == reused
                                 ? cyclic
                                 : absl::StrCat(cyclic, "; ", reused, " if ids are reused");
  }
  RegisterCompareBenchmarks(o);
  std::vector<std::string> gb_args = {"btfreg"};
  if (!json.empty()) {
    gb_args.push_back("--benchmark_out=" + json);
    gb_args.push_back("--benchmark_out_format=json");
  }
  std::vector<char*> gb_argv;
  for (auto& a : gb_args) gb_argv.push_back(a.data());
  int gb_argc = static_cast<int>(gb_argv.size());
  benchmark::Initialize(&gb_argc, gb_argv.data());
  const int total = static_cast<int>(2 * o.modules.size() * o.churn.size() *
                                     o.variants.size() * o.threads.size());
  fprintf(stderr, "btfreg: %d configurations, %d run(s) of %.2f s each, on %s\n",
          total, o.repetitions, o.min_time, btf.c_str());
  Collector collector(total);
  benchmark::JSONReporter file_reporter;
  benchmark::RunSpecifiedBenchmarks(&collector, json.empty() ? nullptr : &file_reporter);

  struct utsname u;
  uname(&u);
  printf("btfreg compare: a verifier workload with each register variant\n");
  printf("machine: %s, %ld CPUs, Linux %s\n", CpuModel().c_str(),
         sysconf(_SC_NPROCESSORS_ONLN), u.release);
  printf("BTF: %s\n", btf.c_str());
  printf("resolve step: register -> BTF object -> one field, the lookup alone.\n"
         "workload: ns per verifier operation (mark, struct access through\n"
         "  task_struct, sk_buff, file, module structs..., state compare).\n"
         "Per thread; median of %d run(s); ratio: to the pointer variant in\n"
         "the same group. B/state: one frame with 8 stack slots. The trace is\n"
         "programs of vmlinux + 4 modules each, the same for every variant;\n"
         "stale hits: lookups that found a module gone (under churn); skipped:\n"
         "chains whose module was not there (under churn); failed: accesses\n"
         "refused otherwise (0 unless something is wrong).\n",
         o.repetitions);
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Result*>> groups;
  for (const Result& r : collector.results) {
    std::string g = GroupName(r.key);
    if (!groups.count(g)) order.push_back(g);
    groups[g].push_back(&r);
  }
  for (const std::string& g : order) {
    const auto& rows = groups[g];
    double pointer = 0;
    for (const Result* r : rows) {
      if (r->key.variant == VariantKey(Variant::kPointer)) pointer = r->ns_per_op;
    }
    printf("\n%s\n", g.c_str());
    printf("  %-26s %9s %8s %11s %9s %11s %11s %9s %7s  %s\n", "variant", "ns/op",
           "ratio", "lookups/op", "B/reg", "B/state", "stale hits", "skipped", "failed",
           "on unload");
    for (const Result* r : rows) {
      Variant v = Variant::kPointer;
      for (Variant x : o.variants) {
        if (r->key.variant == VariantKey(x)) v = x;
      }
      printf("  %-26s %9.1f %7.2fx %11.2f %9.0f %11.0f %11.0f %9.0f %7.0f  %s\n",
             VariantName(v), r->ns_per_op,
             pointer > 0 ? r->ns_per_op / pointer : 0.0, r->lookups_per_op,
             r->bytes_per_reg, r->bytes_per_state, r->stale_hits, r->skipped, r->failed,
             outcome[r->key.variant].c_str());
    }
  }
  // How each variant's bare lookup grows with the modules loaded (one
  // thread, no churn), when the run had several module counts.
  std::set<int> counts;
  for (const Result& r : collector.results) counts.insert(r.key.modules);
  if (counts.size() > 1) {
    printf("\nresolve step by modules loaded (1 thread, no churn), ns per lookup\n");
    printf("  %-26s", "variant");
    for (int m : counts) printf(" %9s", absl::StrCat(m, " mod").c_str());
    printf(" %9s\n", "growth");
    for (Variant v : o.variants) {
      printf("  %-26s", VariantName(v));
      double lo = 0, hi = 0;
      for (int m : counts) {
        double ns = 0;
        for (const Result& r : collector.results) {
          if (r.key.resolve && !r.key.churn && r.key.threads == 1 && r.key.modules == m &&
              r.key.variant == VariantKey(v)) {
            ns = r.ns_per_op;
          }
        }
        printf(" %9.1f", ns);
        if (m == *counts.begin()) lo = ns;
        hi = ns;
      }
      printf(" %8.2fx\n", lo > 0 ? hi / lo : 0.0);
    }
  }
  if (!json.empty()) fprintf(stderr, "btfreg: JSON written to %s\n", json.c_str());
  if (!chart.empty()) return DrawChart(chart, collector.results, o.variants);
  return collector.results.empty() ? 1 : 0;
}

}  // namespace btfreg
