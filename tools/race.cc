// `btfreg race`: the module unload race harness (harness/race.h).

#include <cstdio>
#include <string>

#include "tools/args.h"
#include "tools/commands.h"
#include "harness/race.h"

namespace btfreg {
namespace {

constexpr char kUsage[] =
    "usage: btfreg race [--duration SECONDS] [--threads N] [--modules N]\n"
    "                   [--seed N] [--qsbr] [--btf FILE]\n"
    "Verifier threads use modules (pinned pointer, id, handle) while a writer\n"
    "loads and unloads them; lifetime rules are checked throughout. Exits 1\n"
    "on any violation. Run it built with --config=asan or --config=tsan too.\n"
    "  --duration SECONDS  how long to run (default 5)\n"
    "  --threads N         verifier threads besides the writer (default 2)\n"
    "  --modules N         module names the writer cycles through (default 8)\n"
    "  --seed N            varies module sizes and the threads' choices (default 1)\n"
    "  --qsbr              verifier threads read as QSBR readers (rcu.h),\n"
    "                      announcing a quiescent state every 16 operations\n"
    "  --btf FILE          base BTF (default: the running kernel's vmlinux,\n"
    "                      or the bundled fixture where it is missing)\n";

}  // namespace

int RaceCommand(int argc, char** argv) {
  Args args(argc, argv);
  if (args.Flag("--help")) {
    fputs(kUsage, stdout);
    return 0;
  }
  RaceOptions o;
  const long seconds = args.Number("--duration", 5);
  o.threads = static_cast<int>(args.Number("--threads", 2));
  o.modules = static_cast<int>(args.Number("--modules", 8));
  o.seed = static_cast<uint64_t>(args.Number("--seed", 1));
  o.qsbr = args.Flag("--qsbr");
  std::string btf = args.Value("--btf", "");
  if (!args.Finish(kUsage)) return 2;
  if (seconds < 0 || seconds > 3600 || o.threads < 1 || o.threads > 64 ||
      o.modules < 1 || o.modules > 4096) {
    fprintf(stderr, "btfreg: --duration 0..3600, --threads 1..64, --modules 1..4096\n\n%s", kUsage);
    return 2;
  }
  o.duration_ms = static_cast<int>(seconds * 1000);
  std::string note;
  o.base_path = btf.empty() ? VmlinuxOrFixture(&note) : btf;
  if (!note.empty()) fprintf(stderr, "btfreg: %s\n", note.c_str());
  fprintf(stderr, "btfreg: racing %d verifier thread(s)%s against a writer over %d module(s) for %ld s on %s\n",
          o.threads, o.qsbr ? " (QSBR readers)" : "", o.modules, seconds, o.base_path.c_str());
  absl::StatusOr<RaceReport> report = RunRace(o);
  if (!report.ok()) return Fail(report.status());
  fputs(report->Summary().c_str(), stdout);
  return report->violation_count == 0 ? 0 : 1;
}

}  // namespace btfreg
