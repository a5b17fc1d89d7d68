#include "btf/layout.h"

#include <bpf/btf.h>

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "btf/validate.h"

namespace btfreg {
namespace {

// One member's geometry in its own struct's coordinates (pahole's
// class_member after class__fixup_btf_bitfields). Bit arithmetic is in 64
// bits: a hostile struct may claim 4 GiB, whose bit count overflows 32.
struct Geom {
  uint32_t bit_offset = 0;   // as BTF gives it
  uint32_t byte_offset = 0;  // a bitfield's: its storage unit's
  uint32_t byte_size = 0;
  uint32_t bitfield_offset = 0, bitfield_size = 0;
  int64_t hole = 0, bit_hole = 0;  // after this member
};

// Holes, as pahole's class__find_holes: the result for a struct.
struct Holes {
  int64_t pre_hole = 0, pre_bit_hole = 0;
  uint32_t holes = 0, bit_holes = 0;
  int64_t padding = 0, bit_padding = 0;
};

absl::StatusOr<std::vector<Geom>> Geometry(const Btf& btf,
                                           const std::vector<Member>& members) {
  std::vector<Geom> out;
  out.reserve(members.size());
  for (const Member& m : members) {
    Geom g;
    g.bit_offset = m.bit_offset;
    g.byte_offset = m.bit_offset / 8;
    absl::StatusOr<uint32_t> size = btf.ResolvedSize(m.type_id);
    if (!size.ok()) return size.status();
    g.byte_size = *size;
    const int kind = btf.kind(btf.SkipModsAndTypedefs(m.type_id));
    const bool integral = kind == BTF_KIND_INT || kind == BTF_KIND_ENUM ||
                          kind == BTF_KIND_ENUM64;
    if (integral && g.byte_size != 0 && m.bitfield_size != 0) {
      // A bitfield sits in a unit aligned to its type's size.
      const uint32_t unit_bits = g.byte_size * 8;
      g.byte_offset = m.bit_offset / unit_bits * unit_bits / 8;
      g.bitfield_offset = m.bit_offset - g.byte_offset * 8;
      g.bitfield_size = m.bitfield_size;
    }
    out.push_back(g);
  }
  return out;
}

// Fills each member's hole and bit_hole; returns the struct's totals.
Holes FindHoles(std::vector<Geom>& members, uint32_t struct_size) {
  Holes h;
  int64_t cur_bitfield_end = int64_t{struct_size} * 8, cur_bitfield_size = 0;
  int64_t last_seen_bit = 0;
  bool in_bitfield = false;
  Geom* last = nullptr;
  for (Geom& pos : members) {
    const int64_t bit_start = pos.bit_offset;
    const int64_t bit_end =
        bit_start + (pos.bitfield_size ? pos.bitfield_size : int64_t{pos.byte_size} * 8);
    int64_t bit_holes = 0, byte_holes = 0;
    if (in_bitfield) {  // trailing bits of the previous unit
      const int64_t bitfield_end = std::min(bit_start, cur_bitfield_end);
      bit_holes = bitfield_end - last_seen_bit;
      last_seen_bit = bitfield_end;
    }
    if (pos.bitfield_size) {
      const int64_t aligned_start = int64_t{pos.byte_offset} * 8;
      if (last_seen_bit < aligned_start && aligned_start <= bit_start) {
        byte_holes = pos.byte_offset - last_seen_bit / 8;
        last_seen_bit = aligned_start;
      }
      bit_holes += bit_start - last_seen_bit;
    } else {
      byte_holes = bit_start / 8 - last_seen_bit / 8;
    }
    last_seen_bit = bit_end;
    if (pos.bitfield_size) {
      in_bitfield = true;
      const int64_t unit_bits = int64_t{pos.byte_size} * 8;
      if (bit_end > cur_bitfield_end || unit_bits > cur_bitfield_size) {
        cur_bitfield_size = unit_bits;
        cur_bitfield_end = int64_t{pos.byte_offset} * 8 + cur_bitfield_size;
        // A bitfield that borrowed bits from the previous unit ends in
        // the next one.
        if (bit_end > cur_bitfield_end) cur_bitfield_end += cur_bitfield_size;
      }
    } else {
      in_bitfield = false;
      cur_bitfield_size = 0;
      cur_bitfield_end = bit_end;
    }
    if (last != nullptr) {
      last->hole = byte_holes;
      last->bit_hole = bit_holes;
    } else {
      h.pre_hole = byte_holes;
      h.pre_bit_hole = bit_holes;
    }
    if (bit_holes != 0) ++h.bit_holes;
    if (byte_holes != 0) ++h.holes;
    last = &pos;
  }
  if (in_bitfield) {
    const int64_t bitfield_end = std::min(int64_t{struct_size} * 8, cur_bitfield_end);
    h.bit_padding = bitfield_end - last_seen_bit;
    last_seen_bit = bitfield_end;
  }
  h.padding = int64_t{struct_size} - last_seen_bit / 8;
  return h;
}

// A hole as reported: none if negative (overlap), saturated if huge.
uint32_t Positive(int64_t n) {
  return n <= 0 ? 0 : n >= UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n);
}

// The padding at the end of struct `id` (0 for anything else).
uint32_t StructPadding(const Btf& btf, uint32_t id) {
  if (btf.kind(id) != BTF_KIND_STRUCT) return 0;
  absl::StatusOr<std::vector<Member>> members = btf.Members(id);
  if (!members.ok()) return 0;
  absl::StatusOr<std::vector<Geom>> geoms = Geometry(btf, *members);
  if (!geoms.ok()) return 0;
  return Positive(FindHoles(*geoms, btf.raw_size(id)).padding);
}

bool Anonymous(const Btf& btf, uint32_t id) {
  const int kind = btf.kind(id);
  return (kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION) &&
         btf.type_name(id).empty();
}

// The anonymous struct or union a member of type `declared` (modifiers
// skipped) expands to, as pahole shows it: itself, the element of an array
// of them (`dims` gets "[N]"), or one that a pointer points to (`dims` gets
// " *" and `*through_pointer` is set: its offsets count from 0). Otherwise
// whatever type that is, which the caller does not expand.
uint32_t Expanded(const Btf& btf, uint32_t declared, std::string* dims,
                  bool* through_pointer) {
  uint32_t element = declared;
  if (btf.kind(element) == BTF_KIND_PTR) {  // a pointer to one: from 0
    element = btf.SkipModifiers(btf.type(element)->type);
    if (Anonymous(btf, element)) {
      *dims = " *";
      *through_pointer = true;
    }
  }
  while (btf.kind(element) == BTF_KIND_ARRAY) {
    const struct btf_array* a = btf_array(btf.type(element));
    absl::StrAppend(dims, "[", a->nelems, "]");
    element = btf.SkipModifiers(a->type);
  }
  return element;
}

// The most members one layout expands to, nested levels included. pahole
// expands every anonymous struct or union where it is used; in BTF (not in
// C) one anonymous type may be used twice, level upon level, and the
// expansion doubles with each. vmlinux's largest expands to a few hundred.
constexpr uint32_t kMaxLayoutMembers = 1 << 16;

// How many members the layout of `id` expands to, nested levels included,
// counted without building it (memoized: linear in the types reached).
// Saturates past kMaxLayoutMembers.
uint64_t ExpandedMembers(const Btf& btf, uint32_t id, int depth,
                         absl::flat_hash_map<uint32_t, uint64_t>& memo) {
  if (auto it = memo.find(id); it != memo.end()) return it->second;
  uint64_t n = 0;
  absl::StatusOr<std::vector<Member>> members = btf.Members(id);
  if (members.ok()) {
    for (const Member& m : *members) {
      ++n;
      std::string dims;
      bool through_pointer = false;
      const uint32_t e = Expanded(btf, btf.SkipModifiers(m.type_id), &dims, &through_pointer);
      // Nesting past kMaxNesting fails in Build; stop counting there.
      if (Anonymous(btf, e) && depth < kMaxNesting) n += ExpandedMembers(btf, e, depth + 1, memo);
      if (n > kMaxLayoutMembers) break;
    }
  }
  n = std::min<uint64_t>(n, kMaxLayoutMembers + 1);
  memo[id] = n;
  return n;
}

// What one StructLayout call carries down its levels.
struct BuildContext {
  explicit BuildContext(const Btf& b) : btf(b) {}
  const Btf& btf;
  uint32_t members_left = kMaxLayoutMembers;
  absl::flat_hash_map<uint32_t, uint32_t> padding;  // StructPadding, memoized
  uint32_t Padding(uint32_t id) {
    auto [it, fresh] = padding.try_emplace(id, 0);
    if (fresh) it->second = StructPadding(btf, id);
    return it->second;
  }
};

absl::StatusOr<std::shared_ptr<Layout>> Build(BuildContext& ctx, uint32_t id,
                                              uint32_t base, int depth) {
  const Btf& btf = ctx.btf;
  if (depth > kMaxNesting) {
    return absl::InvalidArgumentError(
        absl::StrCat(btf.name(), ": type ", id, " nests too deeply"));
  }
  auto layout = std::make_shared<Layout>();
  layout->type_id = id;
  layout->is_union = btf.kind(id) == BTF_KIND_UNION;
  layout->name = std::string(btf.type_name(id));
  layout->offset = base;
  layout->size = btf.raw_size(id);
  absl::StatusOr<std::vector<Member>> members = btf.Members(id);
  if (!members.ok()) return members.status();
  absl::StatusOr<std::vector<Geom>> geoms = Geometry(btf, *members);
  if (!geoms.ok()) return geoms.status();
  Holes h;
  if (!layout->is_union) h = FindHoles(*geoms, layout->size);
  Layout& l = *layout;
  l.pre_hole = Positive(h.pre_hole);
  l.pre_bit_hole = Positive(h.pre_bit_hole);
  l.holes = h.holes;
  l.bit_holes = h.bit_holes;
  l.padding = Positive(h.padding);
  l.bit_padding = Positive(h.bit_padding);
  l.sum_holes = l.pre_hole;
  l.sum_bit_holes = l.pre_bit_hole;
  if (members->size() > ctx.members_left) {
    return absl::ResourceExhaustedError(absl::StrCat(
        btf.name(), ": the layout of type ", id, " expands to more than ", kMaxLayoutMembers,
        " members (an anonymous type used more than once at each level)"));
  }
  ctx.members_left -= static_cast<uint32_t>(members->size());
  for (size_t i = 0; i < members->size(); ++i) {
    const Member& m = (*members)[i];
    const Geom& g = (*geoms)[i];
    LayoutMember lm;
    lm.name = std::string(m.name);
    lm.type_id = m.type_id;
    lm.offset = base + g.byte_offset;
    lm.size = g.byte_size;
    lm.bitfield_offset = g.bitfield_offset;
    lm.bitfield_size = g.bitfield_size;
    lm.hole = Positive(g.hole);
    lm.bit_hole = Positive(g.bit_hole);
    const uint32_t declared = btf.SkipModifiers(m.type_id);
    // As declared: a const or typedef'd struct does not count (pahole).
    lm.type_padding = ctx.Padding(m.type_id);
    if (lm.type_padding != 0) {
      ++l.paddings;
      l.sum_paddings += lm.type_padding;
    }
    for (uint32_t q = m.type_id; q != declared; q = btf.type(q)->type) {
      if (btf.kind(q) == BTF_KIND_CONST) lm.qualifiers += "const ";
      if (btf.kind(q) == BTF_KIND_VOLATILE) lm.qualifiers += "volatile ";
    }
    bool through_pointer = false;
    const uint32_t element = Expanded(btf, declared, &lm.dims, &through_pointer);
    const uint32_t nested_base = through_pointer ? 0 : lm.offset;
    if (Anonymous(btf, element)) {
      absl::StatusOr<std::shared_ptr<Layout>> nested =
          Build(ctx, element, nested_base, depth + 1);
      if (!nested.ok()) return nested.status();
      lm.nested = std::move(*nested);
    }
    if (lm.bitfield_size != 0) {
      l.sum_bitfields += lm.bitfield_size;
    } else {
      l.sum_members += lm.size;
    }
    l.sum_holes += lm.hole;
    l.sum_bit_holes += lm.bit_hole;
    l.members.push_back(std::move(lm));
  }
  l.cachelines = static_cast<uint32_t>((uint64_t{l.size} + kCachelineBytes - 1) / kCachelineBytes);
  l.last_cacheline = (base + l.size) % kCachelineBytes;
  return layout;
}

}  // namespace

absl::StatusOr<Layout> StructLayout(const Btf& btf, uint32_t id) {
  const int kind = btf.kind(id);
  if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION) {
    return absl::InvalidArgumentError(absl::StrCat(
        btf.name(), ": type ", id, " is not a struct or union"));
  }
  absl::flat_hash_map<uint32_t, uint64_t> memo;
  if (ExpandedMembers(btf, id, 0, memo) > kMaxLayoutMembers) {
    return absl::ResourceExhaustedError(absl::StrCat(
        btf.name(), ": the layout of type ", id, " expands to more than ",
        kMaxLayoutMembers, " members (an anonymous type used more than once at "
        "each level)"));
  }
  BuildContext ctx(btf);
  absl::StatusOr<std::shared_ptr<Layout>> layout = Build(ctx, id, 0, 0);
  if (!layout.ok()) return layout.status();
  return **layout;
}

}  // namespace btfreg
