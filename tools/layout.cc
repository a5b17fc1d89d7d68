// `btfreg layout` and `btfreg dump`: a struct's layout as pahole prints it,
// and a type's C declaration as bpftool's `format c` writes it.

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "btf/btf.h"
#include "btf/layout.h"
#include "tools/args.h"
#include "btf/json.h"
#include "tools/commands.h"

namespace btfreg {
namespace {

constexpr char kLayoutUsage[] =
    "usage: btfreg layout STRUCT [--btf FILE] [--base FILE] [--json]\n"
    "  STRUCT       a struct or union name (\"union foo\" for a union whose name\n"
    "               a struct shares), or a type id\n"
    "  --btf FILE   BTF to read (default: the running kernel's vmlinux)\n"
    "  --base FILE  FILE is split BTF (a module) on this base\n"
    "  --json       the numbers as JSON\n";

constexpr char kDumpUsage[] =
    "usage: btfreg dump TYPE [--btf FILE] [--base FILE] [--deps] [--json]\n"
    "  TYPE         a struct, union, enum or typedef name (\"enum foo\" to pick\n"
    "               the kind), or a type id\n"
    "  --deps       also every type it needs, first (as bpftool emits them)\n"
    "  --json       {\"id\", \"kind\", \"name\", \"c\"}\n";

}  // namespace

absl::StatusOr<uint32_t> ResolveTypeSpec(const Btf& btf, const std::string& spec,
                                         std::initializer_list<int> kinds) {
  uint32_t id = 0;
  if (absl::SimpleAtoi(spec, &id)) {
    if (id == 0 || !btf.valid_id(id)) {
      return absl::NotFoundError(absl::StrCat(btf.name(), ": no type id ", spec));
    }
    return id;
  }
  std::string name = spec;
  std::vector<int> order(kinds);
  for (auto [word, kind] : {std::pair<const char*, int>{"struct ", BTF_KIND_STRUCT},
                            {"union ", BTF_KIND_UNION},
                            {"enum ", BTF_KIND_ENUM}}) {
    if (absl::StartsWith(spec, word)) {
      name = spec.substr(strlen(word));
      order = {kind};
      if (kind == BTF_KIND_ENUM) order.push_back(BTF_KIND_ENUM64);
    }
  }
  for (int kind : order) {
    if (uint32_t found = btf.FindByName(name, kind); found != 0) return found;
  }
  return absl::NotFoundError(absl::StrCat(btf.name(), ": no type named '", spec, "'"));
}

namespace {

// Parses the options both commands share; returns an exit code or -1.
struct Common {
  std::string type, path, base_path;
  bool json = false;
};

int Parse(Args& args, const char* usage, Common& c, bool* deps) {
  c.path = args.Value("--btf", "");
  c.base_path = args.Value("--base", "");
  c.json = args.Flag("--json");
  if (deps != nullptr) *deps = args.Flag("--deps");
  if (args.Flag("--help")) {
    fputs(usage, stdout);
    return 0;
  }
  c.type = args.Positional();
  if (!args.Finish(usage)) return 2;
  if (c.type.empty()) {
    fprintf(stderr, "btfreg: which type?\n\n%s", usage);
    return 2;
  }
  return -1;
}

}  // namespace

int LayoutCommand(int argc, char** argv) {
  Args args(argc, argv);
  Common c;
  if (int rc = Parse(args, kLayoutUsage, c, nullptr); rc >= 0) return rc;
  absl::StatusOr<LoadedBtf> loaded = LoadBtfArgs(c.path, c.base_path);
  if (!loaded.ok()) return Fail(loaded.status());
  const Btf& btf = *loaded->btf;
  absl::StatusOr<uint32_t> id = ResolveTypeSpec(btf, c.type, {BTF_KIND_STRUCT, BTF_KIND_UNION});
  if (!id.ok()) return Fail(id.status());
  absl::StatusOr<Layout> layout = StructLayout(btf, *id);
  if (!layout.ok()) return Fail(layout.status());
  fputs((c.json ? LayoutJson(btf, *layout) + "\n" : LayoutText(btf, *layout)).c_str(), stdout);
  return 0;
}

int DumpCommand(int argc, char** argv) {
  Args args(argc, argv);
  Common c;
  bool deps = false;
  if (int rc = Parse(args, kDumpUsage, c, &deps); rc >= 0) return rc;
  absl::StatusOr<LoadedBtf> loaded = LoadBtfArgs(c.path, c.base_path);
  if (!loaded.ok()) return Fail(loaded.status());
  const Btf& btf = *loaded->btf;
  absl::StatusOr<uint32_t> id =
      ResolveTypeSpec(btf, c.type, {BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_TYPEDEF,
                            BTF_KIND_ENUM, BTF_KIND_ENUM64});
  if (!id.ok()) return Fail(id.status());
  absl::StatusOr<std::string> decl = CDeclaration(btf, *id, deps);
  if (!decl.ok()) return Fail(decl.status());
  if (c.json) {
    printf("{\"id\":%u,\"kind\":%s,\"name\":%s,\"c\":%s}\n", *id,
           JsonQuote(KindName(btf.kind(*id))).c_str(),
           JsonQuote(btf.type_name(*id)).c_str(), JsonQuote(*decl).c_str());
  } else {
    fputs(decl->c_str(), stdout);
  }
  return 0;
}

}  // namespace btfreg
