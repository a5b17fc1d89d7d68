// `btfreg walk STRUCT OFFSET SIZE`: what a load of SIZE bytes at OFFSET
// through a pointer to STRUCT gives, as the verifier's btf_struct_access
// decides it: the members walked, and a scalar or a pointer to which struct.
// A BPF developer's check of a raw load before the verifier sees it.

#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "btf/btf.h"
#include "btf/json.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace btfreg {
namespace {

constexpr char kWalkUsage[] =
    "usage: btfreg walk STRUCT OFFSET SIZE [--btf FILE] [--base FILE]\n"
    "                   [--mode unions|strict] [--json]\n"
    "  STRUCT        a struct or union name, or a type id\n"
    "  OFFSET SIZE   the load: SIZE (1, 2, 4 or 8) bytes at OFFSET\n"
    "  --btf FILE    BTF to read (default: the running kernel's vmlinux)\n"
    "  --base FILE   FILE is split BTF (a module) on this base\n"
    "  --mode M      a scalar read past its member's end: 'unions' (allowed\n"
    "                inside a union, as since the kernel's 2023 fix for fields\n"
    "                in unions; the default) or 'strict' (never, as before it)\n"
    "  --json        {\"struct\", \"offset\", \"size\", \"ok\", \"kind\", ...}\n"
    "Exit 0 if the verifier would accept the load, 1 if not (with its reason).\n";

std::string PathText(const WalkResult& w) {
  std::string out;
  for (const WalkStep& s : w.path) {
    if (!out.empty()) out += ".";
    out += s.name.empty() ? "(anon)" : std::string(s.name);
    if (s.array_index >= 0) absl::StrAppend(&out, "[", s.array_index, "]");
  }
  return out;
}

}  // namespace

int WalkCommand(int argc, char** argv) {
  Args args(argc, argv);
  const std::string path = args.Value("--btf", "");
  const std::string base_path = args.Value("--base", "");
  const std::string mode_name = args.Value("--mode", "unions");
  const bool json = args.Flag("--json");
  if (args.Flag("--help")) {
    fputs(kWalkUsage, stdout);
    return 0;
  }
  const std::string type = args.Positional();
  const std::string off_text = args.Positional();
  const std::string size_text = args.Positional();
  if (!args.Finish(kWalkUsage)) return 2;
  uint32_t off = 0, size = 0;
  if (type.empty() || !absl::SimpleAtoi(off_text, &off) || !absl::SimpleAtoi(size_text, &size) ||
      (size != 1 && size != 2 && size != 4 && size != 8)) {
    fprintf(stderr, "btfreg: walk takes STRUCT OFFSET SIZE (SIZE 1, 2, 4 or 8)\n\n%s",
            kWalkUsage);
    return 2;
  }
  WalkMode mode;
  if (mode_name == "unions") {
    mode = WalkMode::kMemberBoundOutsideUnions;
  } else if (mode_name == "strict") {
    mode = WalkMode::kMemberBound;
  } else {
    fprintf(stderr, "btfreg: --mode is 'unions' or 'strict', not '%s'\n\n%s",
            mode_name.c_str(), kWalkUsage);
    return 2;
  }
  absl::StatusOr<LoadedBtf> loaded = LoadBtfArgs(path, base_path);
  if (!loaded.ok()) return Fail(loaded.status());
  const Btf& btf = *loaded->btf;
  absl::StatusOr<uint32_t> id = ResolveTypeSpec(btf, type, {BTF_KIND_STRUCT, BTF_KIND_UNION});
  if (!id.ok()) return Fail(id.status());
  absl::StatusOr<WalkResult> w = btf.StructWalk(*id, off, size, mode);
  const std::string where = absl::StrCat(btf.type_name(*id), " +", off, " (", size, " bytes)");
  if (json) {
    std::string out = absl::StrCat("{\"struct\":", JsonQuote(btf.type_name(*id)),
                                   ",\"offset\":", off, ",\"size\":", size,
                                   ",\"ok\":", w.ok() ? "true" : "false");
    if (w.ok()) {
      absl::StrAppend(&out, ",\"kind\":\"",
                      w->kind == WalkKind::kPointer ? "pointer" : "scalar", "\",\"path\":",
                      JsonQuote(PathText(*w)), ",\"member_offset\":", w->member_offset,
                      ",\"type\":", JsonQuote(btf.TypeName(w->type_id).value_or("?")));
      if (w->kind == WalkKind::kPointer) {
        absl::StrAppend(&out, ",\"pointee\":", JsonQuote(btf.type_name(w->pointee_id)));
      }
    } else {
      absl::StrAppend(&out, ",\"error\":", JsonQuote(w.status().message()));
    }
    printf("%s}\n", out.c_str());
    return w.ok() ? 0 : 1;
  }
  if (!w.ok()) {
    printf("%s: refused: %s\n", where.c_str(), std::string(w.status().message()).c_str());
    return 1;
  }
  printf("%s: %s\n", where.c_str(), PathText(*w).c_str());
  printf("  member at +%u, %s\n", w->member_offset,
         btf.TypeName(w->type_id).value_or("?").c_str());
  if (w->kind == WalkKind::kPointer) {
    printf("  the register becomes a pointer to struct %s (PTR_TO_BTF_ID)\n",
           std::string(btf.type_name(w->pointee_id)).c_str());
  } else {
    printf("  the register becomes a scalar\n");
  }
  return 0;
}

}  // namespace btfreg
