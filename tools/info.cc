// `btfreg info`: what a BTF object holds: types by kind, bytes, the largest
// structs.

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "btf/btf.h"
#include "registry/kernel_mirror.h"
#include "registry/registry.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "btf/json.h"

namespace btfreg {
namespace {

constexpr char kUsage[] =
    "usage: btfreg info [--btf FILE] [--base FILE] [--top N] [--json]\n"
    "       btfreg info --kernel [--check] [--sysfs DIR] [--json]\n"
    "  --btf FILE   BTF to describe (default: the running kernel's vmlinux,\n"
    "               or the bundled fixture where /sys/kernel/btf is missing)\n"
    "  --base FILE  FILE is split BTF (a module) on this base\n"
    "  --top N      how many of the largest structs to list (default 10)\n"
    "  --json       machine-readable output\n"
    "  --kernel     list the kernel's BTF objects as `bpftool btf list` does\n"
    "               (through the bpf syscall; /sys/kernel/btf where refused)\n"
    "  --check      also parse every module and list those that fail (exit 3\n"
    "               if any does)\n"
    "  --sysfs DIR  list DIR's BTF files (vmlinux + modules) instead\n"
    "Without --btf, the running kernel's objects are listed after vmlinux.\n";

std::string Mib(size_t bytes) {
  return absl::StrFormat("%.2f MiB", bytes / 1048576.0);
}

// The kernel's BTF objects; `why` says why sysfs stood in, if it did.
std::vector<KernelBtfInfo> KernelObjects(std::string* why) {
  absl::StatusOr<std::vector<KernelBtfInfo>> listed = ListBtfObjects(kSysfsBtfDir, why);
  if (!listed.ok()) {
    *why = std::string(listed.status().message());
    return {};
  }
  if (!why->empty()) absl::StrAppend(why, "; listing ", kSysfsBtfDir, " instead (no kernel ids)");
  return *listed;
}

std::string KernelObjectsJson(const std::vector<KernelBtfInfo>& objects) {
  std::string out = "[";
  for (const KernelBtfInfo& o : objects) {
    absl::StrAppend(&out, out.size() > 1 ? "," : "", "{\"id\":", o.id,
                    ",\"size\":", o.size, ",\"kernel\":", o.kernel ? "true" : "false",
                    ",\"name\":", JsonQuote(o.name), "}");
  }
  return out + "]";
}

// As bpftool: "1: name [vmlinux]  size 5520272B" (brackets: the kernel's own).
void PrintKernelObjects(const std::vector<KernelBtfInfo>& objects) {
  for (const KernelBtfInfo& o : objects) {
    std::string name = o.name.empty()  ? "<anon>"
                       : o.kernel      ? absl::StrCat("[", o.name, "]")
                                       : o.name;
    if (o.id != 0) {
      printf("%u: name %s  size %uB\n", o.id, name.c_str(), o.size);
    } else {
      printf("-: name %s  size %uB\n", name.c_str(), o.size);
    }
  }
}

// Mirrors the kernel's objects (or `sysfs_dir`'s files) lazily into a
// registry, parses them all, and returns those that failed.
absl::StatusOr<std::vector<FailedModule>> CheckObjects(const std::string& sysfs_dir,
                                                       RegistryStats* stats) {
  Registry registry;
  KernelMirror::Options o;
  o.lazy = true;
  if (!sysfs_dir.empty()) {
    o.use = KernelMirror::Options::Use::kSysfs;
    o.sysfs_dir = sysfs_dir;
  }
  KernelMirror mirror(registry, o);
  absl::StatusOr<KernelSync> s = mirror.Sync();
  if (!s.ok()) return s.status();
  registry.PreloadModules();
  *stats = registry.Stats();
  return registry.FailedModules();
}

int KernelList(bool json, bool check, const std::string& sysfs_dir) {
  std::string why;
  std::vector<KernelBtfInfo> objects;
  if (sysfs_dir.empty()) {
    objects = KernelObjects(&why);
  } else {
    absl::StatusOr<std::vector<KernelBtfInfo>> files = ListSysfsBtf(sysfs_dir);
    if (!files.ok()) return Fail(files.status());
    objects = *files;
  }
  if (!why.empty()) fprintf(stderr, "btfreg: %s\n", why.c_str());
  std::vector<FailedModule> failed;
  RegistryStats stats;
  if (check) {
    absl::StatusOr<std::vector<FailedModule>> f = CheckObjects(sysfs_dir, &stats);
    if (!f.ok()) return Fail(f.status());
    failed = *f;
  }
  if (json) {
    std::string out = KernelObjectsJson(objects);
    if (check) {
      out = absl::StrCat("{\"objects\":", out, ",\"modules_live\":", stats.modules_live,
                         ",\"failed\":[");
      for (size_t i = 0; i < failed.size(); ++i) {
        absl::StrAppend(&out, i ? "," : "", "{\"name\":", JsonQuote(failed[i].name),
                        ",\"kernel_id\":", failed[i].kernel_id, ",\"error\":",
                        JsonQuote(failed[i].error.message()), "}");
      }
      out += "]}";
    }
    printf("%s\n", out.c_str());
  } else {
    PrintKernelObjects(objects);
    if (check) {
      printf("\nchecked: %lld module(s) parsed, %zu failed\n",
             static_cast<long long>(stats.modules_live), failed.size());
      for (const FailedModule& f : failed) {
        printf("  failed: %s: %s\n", f.name.c_str(), std::string(f.error.message()).c_str());
      }
    }
  }
  if (objects.empty()) return 1;
  return failed.empty() ? 0 : 3;
}

}  // namespace

int InfoCommand(int argc, char** argv) {
  Args args(argc, argv);
  std::string path = args.Value("--btf", "");
  std::string base_path = args.Value("--base", "");
  long top = args.Number("--top", 10);
  bool json = args.Flag("--json");
  bool kernel = args.Flag("--kernel");
  bool check = args.Flag("--check");
  std::string sysfs_dir = args.Value("--sysfs", "");
  if (args.Flag("--help")) {
    fputs(kUsage, stdout);
    return 0;
  }
  if (!args.Finish(kUsage)) return 2;
  if (kernel) return KernelList(json, check, sysfs_dir);

  std::string note;
  // Describing the running kernel: its BTF objects are listed too.
  const bool running_kernel = path.empty() && base_path.empty();
  if (path.empty()) path = VmlinuxOrFixture(&note);
  std::unique_ptr<Btf> base;
  absl::StatusOr<std::unique_ptr<Btf>> loaded;
  if (!base_path.empty()) {
    auto b = Btf::LoadFile(base_path);
    if (!b.ok()) return Fail(b.status());
    base = std::move(*b);
    loaded = Btf::LoadSplitFile(path, *base);
  } else {
    loaded = Btf::LoadFile(path);
  }
  if (!loaded.ok()) return Fail(loaded.status());
  const Btf& btf = **loaded;

  std::map<std::string, size_t> by_kind;
  size_t named = 0;
  std::vector<std::pair<uint32_t, uint32_t>> structs;  // size, id
  for (uint32_t id = btf.start_id(); id < btf.type_count(); ++id) {
    int kind = btf.kind(id);
    ++by_kind[std::string(KindName(kind))];
    if (!btf.type_name(id).empty()) ++named;
    if (kind == BTF_KIND_STRUCT && !btf.type_name(id).empty()) {
      structs.push_back({btf.raw_size(id), id});
    }
  }
  std::sort(structs.begin(), structs.end(),
            [](auto a, auto b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  if (top < 0) top = 0;
  if (structs.size() > static_cast<size_t>(top)) structs.resize(top);
  BtfMemory mem = btf.Memory();
  const uint32_t own = btf.type_count() - btf.start_id();

  if (json) {
    printf("{\"btf\": %s, \"types\": %u, \"named\": %zu, ",
           JsonQuote(btf.name()).c_str(), own, named);
    printf("\"raw_bytes\": %zu, \"mapped_bytes\": %zu, \"libbpf_bytes\": %zu, "
           "\"index_bytes\": %zu, ",
           mem.raw_bytes, mem.mapped_bytes, mem.libbpf_bytes, mem.index_bytes);
    printf("\"kinds\": {");
    const char* sep = "";
    for (const auto& [kind, n] : by_kind) {
      printf("%s%s: %zu", sep, JsonQuote(kind).c_str(), n);
      sep = ", ";
    }
    printf("}, \"largest_structs\": [");
    sep = "";
    for (auto [size, id] : structs) {
      printf("%s{\"id\": %u, \"name\": %s, \"size\": %u}", sep, id,
             JsonQuote(btf.type_name(id)).c_str(), size);
      sep = ", ";
    }
    printf("]");
    if (running_kernel) {
      std::string why;
      std::vector<KernelBtfInfo> objects = KernelObjects(&why);
      printf(", \"kernel_objects\": %s", KernelObjectsJson(objects).c_str());
      if (!why.empty()) printf(", \"kernel_objects_note\": %s", JsonQuote(why).c_str());
    }
    printf("}\n");
    return 0;
  }
  if (!note.empty()) fprintf(stderr, "btfreg: %s\n", note.c_str());
  printf("BTF %s: %u types (%zu named), ids %u..%u\n", btf.name().c_str(), own,
         named, btf.start_id(), btf.type_count() - 1);
  printf("memory: %s raw BTF %s, %s type offsets and indexes%s\n\n",
         Mib(mem.raw_bytes + mem.mapped_bytes).c_str(),
         mem.mapped_bytes != 0 ? "(mapped read-only, not heap)" : "(heap)",
         Mib(mem.index_bytes).c_str(),
         mem.libbpf_bytes != 0 ? absl::StrCat(", ", Mib(mem.libbpf_bytes), " libbpf's object").c_str()
                               : "");
  printf("%-12s %8s\n", "kind", "types");
  for (const auto& [kind, n] : by_kind) printf("%-12s %8zu\n", kind.c_str(), n);
  printf("\nlargest structs\n%8s  %s\n", "bytes", "name");
  for (auto [size, id] : structs) {
    printf("%8u  struct %s\n", size, std::string(btf.type_name(id)).c_str());
  }
  if (running_kernel) {
    std::string why;
    std::vector<KernelBtfInfo> objects = KernelObjects(&why);
    printf("\nkernel BTF objects (as `bpftool btf list`)\n");
    if (!why.empty()) printf("(%s)\n", why.c_str());
    PrintKernelObjects(objects);
  }
  return 0;
}

}  // namespace btfreg
