#include "btf/spelling_cost.h"

#include <bpf/btf.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace btfreg {
namespace {

constexpr uint64_t kInProgress = ~uint64_t{0};

uint64_t Add(uint64_t a, uint64_t b) {
  return std::min(a + b, kSpellingUnbounded);  // both are <= 2^48: no wrap
}

// The shortest line btf_dump writes for padding ("char: 8;" and a newline
// and a tab), and the most bits one covers (`long: 64;`).
constexpr uint64_t kPadLineBytes = 10;
constexpr uint64_t kPadLineBits = 64;

// Padding lines btf_dump writes at least for a gap of `bits`: it may leave
// the first stretch, up to the next natural boundary (at most 64 bits), to
// the compiler, and writes a line per 64 bits of the rest.
uint64_t PadLines(uint64_t bits) {
  return bits > kPadLineBits ? (bits - kPadLineBits) / kPadLineBits : 0;
}

}  // namespace

uint64_t SpellingCost::Inline(uint32_t id) {
  const struct btf_type* t = btf_.type(id);
  if (t == nullptr) return 4;  // "void"
  const int kind = btf_kind(t);
  const uint64_t name = btf_.type_name(id).size();
  switch (kind) {
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_FWD:
      if (name != 0 || kind == BTF_KIND_FWD) return name + 5;
      break;
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_INT:
    case BTF_KIND_FLOAT:
      return name;
    default:
      break;
  }
  auto [it, fresh] = inline_.try_emplace(id, kInProgress);
  if (!fresh) {
    // Reached again while being counted: a type that contains itself
    // inline, which btf_dump would recurse on without end.
    return it->second == kInProgress ? kSpellingUnbounded : it->second;
  }
  uint64_t cost = 0;
  switch (kind) {
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
      cost = Add(9, Body(id, t));
      break;
    case BTF_KIND_ARRAY:
      cost = Add(3, Inline(btf_array(t)->type));
      break;
    case BTF_KIND_FUNC_PROTO: {
      cost = Add(2, Inline(t->type));
      const struct btf_param* p = btf_params(t);
      for (uint32_t i = 0; i < btf_vlen(t); ++i) {
        cost = Add(cost, Add(1, Inline(p[i].type)));
      }
      break;
    }
    default:  // pointers, qualifiers, type tags, functions, variables
      cost = Add(1, Inline(t->type));
      break;
  }
  inline_[id] = cost;
  return cost;
}

uint64_t SpellingCost::AlignWork(uint32_t id) {
  const struct btf_type* t = btf_.type(id);
  if (t == nullptr) return 1;
  if (btf_is_mod(t) || btf_is_typedef(t)) return Add(1, AlignWork(t->type));
  if (btf_is_array(t)) return Add(1, AlignWork(btf_array(t)->type));
  if (!btf_is_composite(t)) {
    // libbpf aligns a scalar by its size, capped at a pointer's.
    const bool sized = btf_is_int(t) || btf_is_any_enum(t) || btf_is_float(t);
    if (sized && t->size == 0 && zero_alignment_ == 0) zero_alignment_ = id;
    return 1;
  }
  // Validated BTF has no loop through struct members by value, so the
  // recursion ends; its depth is bounded by the validator's nesting cap.
  if (auto it = align_.find(id); it != align_.end()) return it->second;
  uint64_t work = 1;
  const struct btf_member* m = btf_members(t);
  for (uint32_t i = 0; i < btf_vlen(t); ++i) work = Add(work, AlignWork(m[i].type));
  align_[id] = work;
  return work;
}

absl::Status SpellingCost::AlignmentProblem(absl::string_view what, uint64_t max_work,
                                            absl::StatusCode over) const {
  if (zero_alignment_ != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        btf_.name(), ": ", what, " reaches type ", zero_alignment_, ", a ",
        KindName(btf_.kind(zero_alignment_)),
        " of size 0, whose alignment (0) libbpf's btf_dump would divide by"));
  }
  if (align_work_ > max_work) {
    return absl::Status(over, absl::StrCat(
        btf_.name(), ": ", what, " would make libbpf compute alignments through more "
        "than ", max_work, " nested members (a type used more than once at each level)"));
  }
  return absl::OkStatus();
}

uint64_t SpellingCost::Declaration(uint32_t id) {
  const struct btf_type* t = btf_.type(id);
  if (t == nullptr) return 0;
  if (btf_is_typedef(t)) return Add(btf_.type_name(id).size() + 9, Inline(t->type));
  if (btf_is_composite(t) || btf_is_any_enum(t)) {
    return Add(btf_.type_name(id).size() + 9, Body(id, t));
  }
  return Inline(id);
}

uint64_t SpellingCost::Body(uint32_t id, const struct btf_type* t) {
  const uint32_t vlen = btf_vlen(t);
  if (btf_is_any_enum(t)) {
    uint64_t cost = 0;
    for (uint32_t i = 0; i < vlen; ++i) {
      const uint32_t name_off = btf_is_enum(t) ? btf_enum(t)[i].name_off
                                               : btf_enum64(t)[i].name_off;
      cost = Add(cost, 5 + strlen(btf_.str(name_off)));
    }
    return cost;
  }
  align_work_ = Add(align_work_, AlignWork(id));
  // btf_dump counts bits in int: past 2^31 of them it cannot say where a
  // member lies, and its padding loop runs on wrapped numbers.
  if (uint64_t{t->size} * 8 > INT_MAX) return kSpellingUnbounded;
  const bool is_union = btf_is_union(t);
  uint64_t cost = 0, end = 0, gaps = 0;  // end in bits, gaps in lines
  const struct btf_member* m = btf_members(t);
  for (uint32_t i = 0; i < vlen; ++i) {
    const uint64_t start = is_union ? 0 : btf_member_bit_offset(t, i);
    const uint32_t bits = btf_member_bitfield_size(t, i);
    uint64_t size_bits = bits;
    if (bits == 0) {
      absl::StatusOr<uint32_t> size = btf_.ResolvedSize(m[i].type);
      size_bits = size.ok() ? uint64_t{*size} * 8 : 0;
    }
    if (start + size_bits > INT_MAX) return kSpellingUnbounded;
    if (start > end) gaps += PadLines(start - end);
    end = std::max(end, start + size_bits);
    const uint64_t name = strlen(btf_.str(m[i].name_off));
    cost = Add(cost, Add(2 + name, Inline(m[i].type)));
  }
  // A union's members all start at 0, and btf_dump pads no union's tail.
  if (!is_union && uint64_t{t->size} * 8 > end) gaps += PadLines(uint64_t{t->size} * 8 - end);
  padding_lines_ = std::min(padding_lines_ + gaps, kSpellingUnbounded);
  return Add(cost, gaps * kPadLineBytes);
}

}  // namespace btfreg
