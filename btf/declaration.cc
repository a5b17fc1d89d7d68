// CDeclaration (btf/layout.h): a type's C as bpftool's `format c` writes it,
// through libbpf's btf_dump, guarded against input that would make btf_dump
// recurse without bound or write without end.

#include <bpf/btf.h>

#include <algorithm>
#include <cstdarg>
#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "btf/layout.h"
#include "btf/spelling.h"
#include "btf/spelling_cost.h"
#include "btf/validate.h"

namespace btfreg {
namespace {

// The longest text CDeclaration writes (the whole of vmlinux, every type,
// is about 3 MiB). Hostile BTF can make btf_dump write far more; past this,
// output is dropped (cheaply) and the declaration fails.
constexpr size_t kMaxDeclaration = 8u << 20;

// The most padding lines (`long: 64;`) a declaration may hold: 256 KiB of
// gaps. vmlinux's largest struct is 236 KiB in all, and its gaps are a few
// bytes each; a hostile struct may have gigabytes of them.
constexpr uint64_t kMaxPaddingLines = 32768;

// The most btf__align_of calls a declaration may cost libbpf (see
// SpellingCost::AlignWork): about 10 ms.
constexpr uint64_t kMaxAlignWork = uint64_t{1} << 20;

// btf_dump's output.
struct DumpSink {
  std::string text;
  bool overflow = false;
};

void SinkPrintf(void* ctx, const char* fmt, va_list args) {
  auto* sink = static_cast<DumpSink*>(ctx);
  if (sink->text.size() > kMaxDeclaration) {
    sink->overflow = true;
    return;
  }
  va_list copy;
  va_copy(copy, args);
  const int n = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return;
  const size_t at = sink->text.size();
  sink->text.resize(at + n + 1);
  vsnprintf(&sink->text[at], n + 1, fmt, args);
  sink->text.resize(at + n);
}



// The type's own declaration in what btf_dump wrote for it: each
// declaration ends with a blank line, and the type's own is usually last.
// Not always: a typedef of a struct that refers back to the typedef
// (`typedef struct journal_s journal_t;`) comes before the struct, so the
// declaration is found by what it declares.
std::string OwnDeclaration(const std::string& text, int kind, absl::string_view name) {
  std::vector<absl::string_view> chunks;
  for (absl::string_view c : absl::StrSplit(text, "\n\n", absl::SkipEmpty())) {
    chunks.push_back(c);
  }
  if (chunks.empty()) return text;
  const std::string n(name);
  auto declares = [&](absl::string_view c) {
    switch (kind) {
      case BTF_KIND_STRUCT:
        return absl::StartsWith(c, "struct " + n + " {");
      case BTF_KIND_UNION:
        return absl::StartsWith(c, "union " + n + " {");
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64:
        return absl::StartsWith(c, "enum " + n + " {");
      case BTF_KIND_TYPEDEF: {
        if (!absl::StartsWith(c, "typedef ")) return false;
        // The name ends the last line: "... name;", "... name[4];",
        // "... (*name)(...);".
        const absl::string_view last = c.substr(c.rfind('\n') + 1);
        for (const std::string& end : {" " + n + ";", "*" + n + ";", " " + n + "[",
                                       "(*" + n + ")("}) {
          if (absl::StrContains(last, end)) return true;
        }
        return false;
      }
      default:
        return false;
    }
  };
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) {
    if (declares(*it)) return absl::StrCat(*it, "\n\n");
  }
  return absl::StrCat(chunks.back(), "\n\n");
}

// Whether `id` is declared on its own in a `format c` dump: a named struct,
// union, enum, typedef or forward declaration.
bool HasOwnDeclaration(const Btf& btf, uint32_t id) {
  const int kind = btf.kind(id);
  const bool declared = kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION ||
                        kind == BTF_KIND_ENUM || kind == BTF_KIND_ENUM64 ||
                        kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_FWD;
  return declared && !btf.type_name(id).empty();
}

// Whether btf_dump's ordering (btf_dump_order_type) follows `kind` without
// marking it: it marks a struct or union while it is in the middle of one,
// and stops at enums, forward declarations and the rest, but goes through
// these without a mark.
bool OrderedThrough(int kind) {
  switch (kind) {
    case BTF_KIND_PTR:
    case BTF_KIND_ARRAY:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
    case BTF_KIND_FUNC_PROTO:
      return true;
    default:
      return false;
  }
}

// A type on a loop that btf_dump's ordering goes around without end, among
// `from` and what they reach through the kinds above alone, or 0. Such a
// loop holds a typedef (one of pointers and prototypes alone is
// unspellable already): `typedef T (*T)(void *)`, which the kernel loads.
uint32_t OrderingLoop(const Btf& btf, const std::vector<uint32_t>& from) {
  enum : uint8_t { kOnPath = 1, kDone = 2 };
  absl::flat_hash_map<uint32_t, uint8_t> state;
  struct Frame {
    uint32_t id;
    uint32_t next_edge;
  };
  std::vector<Frame> path;
  for (uint32_t root : from) {
    if (state.contains(root)) continue;
    state[root] = kOnPath;
    path.push_back({root, 0});
    while (!path.empty()) {
      Frame& f = path.back();
      const struct btf_type* t = btf.type(f.id);
      if (f.next_edge < DeclarationEdgeCount(t, /*named_end=*/false)) {
        const uint32_t to = DeclarationEdge(t, f.next_edge++);
        if (to == 0 || !btf.valid_id(to) || !OrderedThrough(btf.kind(to))) continue;
        auto [it, fresh] = state.try_emplace(to, kOnPath);
        if (!fresh && it->second == kOnPath) return to;
        if (fresh) path.push_back({to, 0});
        continue;
      }
      state[f.id] = kDone;
      path.pop_back();
    }
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::string> CDeclaration(const Btf& btf, uint32_t id,
                                         bool dependencies) {
  if (id == 0 || !btf.valid_id(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(btf.name(), ": no type ", id, " to declare"));
  }
  const int kind = btf.kind(id);
  if (!HasOwnDeclaration(btf, id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        btf.name(), ": type ", id, " (", KindName(kind),
        ") has no declaration of its own; bpftool writes only named structs, "
        "unions, enums and typedefs"));
  }
  // btf_dump recurses without bound on types that no C can spell: nothing
  // the declaration reaches may be one.
  std::vector<bool> seen(btf.type_count(), false);
  std::vector<uint32_t> typedefs;  // those reached, for OrderingLoop
  SpellingCost cost(btf);
  uint64_t total = 0;
  for (std::vector<uint32_t> stack = {id}; !stack.empty();) {
    const uint32_t t = stack.back();
    stack.pop_back();
    if (t == 0 || !btf.valid_id(t) || seen[t]) continue;
    seen[t] = true;
    if (btf.kind(t) == BTF_KIND_TYPEDEF) typedefs.push_back(t);
    if (btf.Unspellable(t)) {
      return absl::InvalidArgumentError(absl::StrCat(
          btf.name(), ": type ", id, " reaches type ", t,
          ", which no C declaration can spell (a prototype that takes itself)"));
    }
    // Each named type is declared once; anonymous ones are spelled where
    // they are used, and counted there.
    if (HasOwnDeclaration(btf, t)) {
      total = std::min(total + cost.Declaration(t), kSpellingUnbounded);
      if (cost.padding_lines() > kMaxPaddingLines) {
        return absl::InvalidArgumentError(absl::StrCat(
            btf.name(), ": the C declaration of type ", id, " would hold more "
            "than ", kMaxPaddingLines, " lines of padding (reaching type ", t,
            "); btf_dump writes a line per 8 bytes of a gap"));
      }
      if (absl::Status s = cost.AlignmentProblem(
              absl::StrCat("type ", id, "'s C declaration (at type ", t, ")"),
              kMaxAlignWork, absl::StatusCode::kInvalidArgument);
          !s.ok()) {
        return s;
      }
      if (total > kMaxDeclaration) {
        return absl::InvalidArgumentError(absl::StrCat(
            btf.name(), ": the C declaration of type ", id, " would run past ",
            kMaxDeclaration >> 20, " MiB (reaching type ", t,
            "); btf_dump spells every 8 bytes of padding as a line and every "
            "anonymous type wherever it is used"));
      }
    }
    const struct btf_type* type = btf.type(t);
    for (uint32_t e = 0; e < DeclarationEdgeCount(type, /*named_end=*/false); ++e) {
      stack.push_back(DeclarationEdge(type, e));
    }
  }
  if (const uint32_t loop = OrderingLoop(btf, typedefs); loop != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        btf.name(), ": type ", id, " reaches type ", loop, ", which leads back to itself "
        "through typedefs, pointers, arrays, qualifiers and prototypes alone; btf_dump "
        "would order it without end"));
  }
  DumpSink sink;
  struct btf_dump* d = btf_dump__new(btf.libbpf_btf(), SinkPrintf, &sink, nullptr);
  if (d == nullptr) {
    return absl::InternalError(absl::StrCat(btf.name(), ": btf_dump__new failed"));
  }
  // btf_dump writes what the type needs first, then the type: each
  // declaration ends with a blank line and none has one inside.
  const int err = btf_dump__dump_type(d, id);
  btf_dump__free(d);
  if (err != 0) {
    return absl::InternalError(absl::StrCat(btf.name(), ": btf_dump of type ", id,
                                            " failed (", err, ")"));
  }
  if (sink.overflow) {
    return absl::InvalidArgumentError(absl::StrCat(
        btf.name(), ": the C declaration of type ", id, " runs past ",
        kMaxDeclaration >> 20, " MiB"));
  }
  std::string text = VoidParams(std::move(sink.text));
  // libbpf 1.1 sizes a small enum with a mode attribute; bpftool's libbpf
  // writes the enum plain.
  for (const char* mode : {" __attribute__((mode(byte)))", " __attribute__((mode(HI)))",
                           " __attribute__((mode(word)))", " __attribute__((mode(SI)))"}) {
    for (size_t at; (at = text.find(mode)) != std::string::npos;) text.erase(at, strlen(mode));
  }
  if (!dependencies) text = OwnDeclaration(text, kind, btf.type_name(id));
  return text;
}

}  // namespace btfreg
