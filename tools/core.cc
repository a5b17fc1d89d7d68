// `btfreg core OBJ.bpf.o`: every CO-RE relocation of a BPF object, resolved
// against the kernel's BTF as libbpf would resolve it when loading: which
// instruction, what it asks for, the type it found and where, and the value
// before and after. The facts of libbpf's debug log, as a table or JSON.

#include <linux/bpf.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "btf/json.h"
#include "core/bpf_object.h"
#include "core/relocate.h"
#include "registry/kernel_mirror.h"
#include "registry/registry.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace btfreg {
namespace {

constexpr char kCoreUsage[] =
    "usage: btfreg core OBJ.bpf.o [--btf FILE [--module NAME=FILE]...] [--json]\n"
    "                             [--apply -o OUT.o]\n"
    "  OBJ.bpf.o          a BPF object (clang -target bpf -g) with CO-RE relocations\n"
    "  --btf FILE         the target's vmlinux BTF (default: the running kernel's\n"
    "                     vmlinux and its modules, as `bpftool btf list` shows them)\n"
    "  --module NAME=FILE a module's split BTF on --btf, searched as libbpf searches\n"
    "                     modules (only for types vmlinux lacks); repeatable\n"
    "  --json             one object per relocation\n"
    "  --apply -o OUT.o   also write the object relocated: its instructions patched\n"
    "                     as libbpf patches them and its CO-RE relocations removed,\n"
    "                     so that any loader loads it as it is\n"
    "Exit 0 when every relocation resolves (a poisoned one included, as libbpf\n"
    "loads it), 1 with libbpf's reason when one cannot (ambiguity, a bad object).\n";

std::string ValueText(const CoreResult& r) {
  if (r.poison) return absl::StrCat(r.insn_value, " -> poisoned");
  return absl::StrCat(r.insn_value, " -> ", r.new_value);
}

std::string TargetText(const CoreResult& r) {
  if (!r.target) return r.kind == BPF_CORE_TYPE_ID_LOCAL ? "(local)" : "(no match)";
  return absl::StrCat(r.target.name(), " [", r.target_type_id, "]");
}

void PrintJson(const std::vector<CoreResult>& results) {
  printf("[");
  for (size_t i = 0; i < results.size(); ++i) {
    const CoreResult& r = results[i];
    printf("%s\n  {\"section\": %s, \"relo\": %u, \"program\": %s, \"insn\": %u, \"kind\": %s, "
           "\"local_spec\": %s, \"target\": %s, \"target_registry_id\": %u, "
           "\"target_kernel_id\": %u, \"target_type_id\": %u, \"target_spec\": %s, "
           "\"matched\": %d, \"old\": %llu, \"new\": %llu, \"poison\": %s}",
           i ? "," : "", JsonQuote(r.section).c_str(), r.relo_index, JsonQuote(r.program).c_str(),
           r.insn, JsonQuote(CoreReloKindName(r.kind)).c_str(), JsonQuote(r.local_spec).c_str(),
           r.target ? JsonQuote(r.target.name()).c_str() : "null",
           r.target ? r.target.id() : 0, r.target ? r.target.kernel_id() : 0, r.target_type_id,
           JsonQuote(r.target_spec).c_str(), r.matched,
           static_cast<unsigned long long>(r.insn_value),
           static_cast<unsigned long long>(r.new_value), r.poison ? "true" : "false");
  }
  printf("\n]\n");
}

void PrintTable(const BpfObject& obj, const std::vector<CoreResult>& results) {
  printf("%s: %zu CO-RE relocations\n", obj.name().c_str(), results.size());
  printf("%-24s %5s %-24s %5s %-15s %-24s %s\n", "section", "relo", "program", "insn", "kind",
         "value", "target");
  for (const CoreResult& r : results) {
    printf("%-24s %5u %-24s %5u %-15s %-24s %s\n", r.section.c_str(), r.relo_index,
           r.program.c_str(), r.insn, CoreReloKindName(r.kind), ValueText(r).c_str(),
           TargetText(r).c_str());
    printf("    local  %s\n", r.local_spec.c_str());
    if (!r.target_spec.empty()) printf("    target %s\n", r.target_spec.c_str());
  }
}

}  // namespace

int CoreCommand(int argc, char** argv) {
  Args args(argc, argv);
  const std::string btf_path = args.Value("--btf", "");
  std::vector<std::string> modules;
  for (std::string m; !(m = args.Value("--module", "")).empty();) modules.push_back(m);
  const bool json = args.Flag("--json");
  const bool apply = args.Flag("--apply");
  const std::string out_path = args.Value("-o", "");
  if (args.Flag("--help")) {
    fputs(kCoreUsage, stdout);
    return 0;
  }
  const std::string obj_path = args.Positional();
  if (!args.Finish(kCoreUsage)) return 2;
  if (obj_path.empty() || (btf_path.empty() && !modules.empty()) || apply != !out_path.empty()) {
    fprintf(stderr,
            "btfreg: core takes OBJ.bpf.o (--module only with --btf, --apply with -o OUT.o)\n\n%s",
            kCoreUsage);
    return 2;
  }
  absl::StatusOr<std::unique_ptr<BpfObject>> obj = BpfObject::Load(obj_path);
  if (!obj.ok()) return Fail(obj.status());
  Registry registry;
  std::unique_ptr<KernelMirror> mirror;
  if (btf_path.empty()) {
    mirror = std::make_unique<KernelMirror>(registry);
    absl::StatusOr<KernelSync> sync = mirror->Sync();
    if (!sync.ok()) return Fail(sync.status());
  } else {
    absl::StatusOr<BtfRef> base = registry.RegisterBase(btf_path);
    if (!base.ok()) return Fail(base.status());
    for (const std::string& m : modules) {
      const std::vector<std::string> parts = absl::StrSplit(m, absl::MaxSplits('=', 1));
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
        fprintf(stderr, "btfreg: --module takes NAME=FILE, not '%s'\n", m.c_str());
        return 2;
      }
      absl::StatusOr<BtfRef> mod = registry.ModuleComingFromFile(parts[0], parts[1]);
      if (!mod.ok()) return Fail(mod.status());
      if (absl::Status s = registry.ModuleLive(parts[0]); !s.ok()) return Fail(s);
    }
  }
  CoreRelocator relocator(&registry);
  absl::StatusOr<std::vector<CoreResult>> results = relocator.Relocate(**obj);
  if (!results.ok()) return Fail(results.status());
  if (json) {
    PrintJson(*results);
  } else {
    PrintTable(**obj, *results);
  }
  if (apply) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ApplyRelocations(**obj, *results);
    if (!bytes.ok()) return Fail(bytes.status());
    FILE* f = fopen(out_path.c_str(), "wb");
    if (f == nullptr || fwrite(bytes->data(), 1, bytes->size(), f) != bytes->size() ||
        fclose(f) != 0) {
      return Fail(absl::UnavailableError(absl::StrCat(out_path, ": cannot write")));
    }
    fprintf(stderr, "btfreg: wrote %s (%zu relocations applied)\n", out_path.c_str(),
            results->size());
  }
  return 0;
}

}  // namespace btfreg
