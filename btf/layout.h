// btf/layout.h: a struct's memory layout as pahole reports it, and a type's
// C declaration as bpftool's `format c` writes it.
//
//   absl::StatusOr<btfreg::Layout> l = btfreg::StructLayout(btf, id);
//   l->size, l->holes, l->sum_holes, l->padding;   // the numbers, as data
//   std::string text = btfreg::LayoutText(btf, *l); // pahole's text
//   std::string json = btfreg::LayoutJson(btf, *l);
//
// The numbers follow pahole 1.24 on BTF (checked against it on vmlinux by
// tests/layout_pahole_test): a member's offset is in bytes from the start
// of the outermost struct, and a bitfield's is that of its storage unit (the
// unit aligned to its declared type's size), with the bit position inside
// the unit counted from its least significant bit. Holes are the bytes
// (bits) between one member's end and the next one's start, at each level;
// padding is what follows the last member. Anonymous structs and unions are
// expanded in place, as pahole does, each with its own holes. Unions have
// no holes or padding. pahole's inferred `__aligned__` attributes and its
// "forced alignments" line are not reproduced: BTF does not record
// alignment, and pahole's guess at it varies between versions.
//
// Thread safety: pure functions of an immutable Btf.

#ifndef BTFREG_BTF_LAYOUT_H_
#define BTFREG_BTF_LAYOUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "btf/btf.h"

namespace btfreg {

inline constexpr uint32_t kCachelineBytes = 64;

struct Layout;

struct LayoutMember {
  std::string name;             // "" for an anonymous member
  uint32_t type_id = 0;         // as declared (typedefs, modifiers kept)
  uint32_t offset = 0;          // bytes from the outermost struct's start
  uint32_t size = 0;            // bytes; a bitfield's storage unit
  uint32_t bitfield_offset = 0; // bit in the unit, from its LSB
  uint32_t bitfield_size = 0;   // 0: not a bitfield
  uint32_t hole = 0;            // bytes of hole after this member
  uint32_t bit_hole = 0;        // bits of hole after this member
  // The padding at the end of the member's struct type, when its declared
  // type is a struct (pahole's "XXX last struct has N bytes of padding").
  uint32_t type_padding = 0;
  // An anonymous struct or union, expanded; `qualifiers` ("const ") when
  // the member's type qualifies it.
  std::shared_ptr<const Layout> nested;
  std::string qualifiers;
  // How the expanded type is declared when it is not the member's type
  // itself: "[2]" for an array of them (the first is expanded), " *" for a
  // pointer to one (expanded with offsets from 0).
  std::string dims;
};

struct Layout {
  uint32_t type_id = 0;
  bool is_union = false;
  std::string name;        // "" when anonymous
  uint32_t offset = 0;     // bytes from the outermost struct's start
  uint32_t size = 0;
  std::vector<LayoutMember> members;
  uint32_t pre_hole = 0, pre_bit_hole = 0;  // before the first member

  // pahole's closing summary (this level only).
  uint32_t cachelines = 0;      // size rounded up to cachelines
  uint32_t sum_members = 0;     // bytes of the non-bitfield members
  uint32_t sum_bitfields = 0;   // bits of the bitfield members
  uint32_t holes = 0, sum_holes = 0;
  uint32_t bit_holes = 0, sum_bit_holes = 0;
  uint32_t padding = 0, bit_padding = 0;
  uint32_t paddings = 0, sum_paddings = 0;  // members whose struct pads
  uint32_t last_cacheline = 0;  // bytes used in the last cacheline
};

// The layout of struct or union `id`. InvalidArgument if it is neither;
// an error for types whose sizes cannot be resolved; ResourceExhausted,
// before building anything, for a layout that would expand to more than
// 65,536 members (hostile BTF: an anonymous type used twice at each level).
absl::StatusOr<Layout> StructLayout(const Btf& btf, uint32_t id);

// pahole's text for `layout` (type spellings from Btf::TypeName).
std::string LayoutText(const Btf& btf, const Layout& layout);
// The same numbers as JSON: {"name", "size", "members": [...], "summary"}.
std::string LayoutJson(const Btf& btf, const Layout& layout);

// The C declaration of type `id` as bpftool's `btf dump ... format c`
// writes it (libbpf's btf_dump); with `dependencies`, preceded by every type
// it needs, in the order bpftool would emit them. One difference: a
// whole-file dump renames types whose names collide ("dma_chan___2", in
// file order); a single declaration keeps the names BTF gives. InvalidArgument for void,
// an id out of range, or an anonymous type (which has no declaration of its
// own), for one that reaches a type no C can spell, or for one that reaches
// a typedef leading back to itself through pointers, arrays, qualifiers
// and prototypes alone (`typedef T (*T)(void *)`: TypeName spells it, but
// btf_dump's ordering would go round it without end); InvalidArgument,
// before any of it is written, for a declaration that would run past 8 MiB
// or hold more than 32,768 lines of padding (hostile BTF: btf_dump writes a
// line per 8 bytes of a gap, and every anonymous type in full wherever it is
// used).
absl::StatusOr<std::string> CDeclaration(const Btf& btf, uint32_t id,
                                         bool dependencies);

}  // namespace btfreg

#endif  // BTFREG_BTF_LAYOUT_H_
