// btf/validate.h: checks that make untrusted BTF safe to query.
//
// libbpf 1.1 checks the header and that each type record fits, but not that
// names point into the string section, that referenced ids exist, or that
// references terminate. Every query in btf/ relies on these checks: after
// them, name offsets resolve, ids are in range, chains of modifiers,
// typedefs, pointers and arrays end, and struct members lie inside their
// struct.
//
// Internal to btf/.

#ifndef BTFREG_BTF_VALIDATE_H_
#define BTFREG_BTF_VALIDATE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

struct btf_type;

namespace btfreg {

class TypeTable;

// The kinds whose only content is a reference to another type (t->type):
// PTR, TYPEDEF and the modifiers CONST, VOLATILE, RESTRICT and TYPE_TAG.
bool IsReferenceKind(int kind);

// Checks a raw BTF header and its section bounds against `raw.size()`.
// Accepts either byte order. `is_split`: the string section of split BTF may
// be empty and does not start with the empty string.
absl::Status ValidateHeader(absl::Span<const uint8_t> raw,
                            absl::string_view name, bool is_split);

// A header longer than struct btf_header (the kernel accepts one whose extra
// bytes are zero) puts the type section wherever it ends, perhaps not 4-byte
// aligned, and libbpf reads struct btf_type in place. Returns a copy of `raw`
// with the header cut to sizeof(struct btf_header), or an empty vector when
// it already is that long. REQUIRES: ValidateHeader(raw) succeeded.
std::vector<uint8_t> TrimHeader(absl::Span<const uint8_t> raw);

// A per-type memo for the validator's passes: what a pass asks of a type,
// computed once per own type (ids in [first, end)) and remembered, as
// vmlinux's members and parameters name the same few thousand types
// hundreds of thousands of times. Below kMemoFrom own types a memo is not
// worth its allocation (a module of a few types): every Get computes. Ids
// of the base are not remembered. REQUIRES: `compute` never returns T{},
// which marks an entry not computed yet.
inline constexpr uint32_t kMemoFrom = 1024;
template <typename T>
class TypeMemo {
 public:
  TypeMemo(uint32_t first, uint32_t end)
      : first_(first), memo_(end - first >= kMemoFrom ? end - first : 0, T{}) {}
  template <typename Compute>
  T Get(uint32_t id, Compute compute) {
    const bool own = id >= first_ && id - first_ < memo_.size();
    if (own && !(memo_[id - first_] == T{})) return memo_[id - first_];
    const T value = compute(id);
    if (own) memo_[id - first_] = value;
    return value;
  }

 private:
  const uint32_t first_;
  std::vector<T> memo_;
};

// How deep types may nest by value. The kernel resolves with a 32-deep
// stack; vmlinux nests far less. Walks, sizes and layouts recurse this deep
// at most.
inline constexpr int kMaxNesting = 64;

// Checks the types with ids in [first, btf__type_cnt(btf)). Types below
// `first` belong to an already validated base. On success, `ordered[id -
// first]` says whether `id` is a struct whose members lie in offset order
// without overlapping (every C struct), which lets a walk skip a member as
// soon as the next one starts at or before the offset it looks for.
absl::Status ValidateTypes(const TypeTable* btf, uint32_t first,
                           absl::string_view name, bool object_file,
                           std::vector<bool>* ordered);

// The types a C declaration of `t` refers to, edge by edge: a struct's or
// union's members, an array's element, a prototype's return type and then
// its parameters, and what a pointer, qualifier, type tag, typedef or
// function refers to. With `named_end`, the declarator graph that btf_dump
// follows to spell one type: a named struct or union, or a typedef, ends it
// (its name is written, not its body). REQUIRES: ids in range.
uint32_t DeclarationEdgeCount(const struct btf_type* t, bool named_end);
uint32_t DeclarationEdge(const struct btf_type* t, uint32_t i);

// Types whose C declaration cannot be written out: they reach a cycle
// through a function prototype (a prototype taking a pointer to itself,
// which the kernel accepts and no C declaration can express), or nest
// declarators deeper than kMaxDeclaratorDepth. libbpf's btf_dump recurses
// on both without bound, so TypeName refuses them. Indexed by id - first.
inline constexpr int kMaxDeclaratorDepth = 128;
std::vector<bool> FindUnspellable(const TypeTable* btf, uint32_t first);

// The kernel's per-kind rules (validate_kind.cc): names, kind_flag, vlen,
// int encodings, linkage, array index and element types, member kinds and
// alignment, function prototypes, decl and type tags, DATASEC layout. An
// `object_file` (an ELF .BTF) may hold extern functions and unsized
// DATASECs, which libbpf fixes up before loading. REQUIRES: ids in range
// and no reference loops (ValidateTypes checks both first).
absl::Status ValidateKernelRules(const TypeTable* btf, uint32_t first,
                                 absl::string_view name, bool object_file);

}  // namespace btfreg

#endif  // BTFREG_BTF_VALIDATE_H_
