// btf/spelling_cost.h: what libbpf's btf_dump would write, counted before it
// writes it.
//
// Internal to btf/ (btf.cc, declaration.cc). btf_dump cannot be stopped once
// it starts: it spells an anonymous struct whole wherever it is used, and a
// gap between members as one `long: 64;` line per 8 bytes, in int
// arithmetic. A 64 KiB hostile input can so ask it for gigabytes, or (through
// anonymous types that use each other twice, level upon level) for an
// exponential amount. TypeName and CDeclaration first count a lower bound of
// what it would write, in time linear in the types reached, and refuse
// before calling it when that is past their cap.

#ifndef BTFREG_BTF_SPELLING_COST_H_
#define BTFREG_BTF_SPELLING_COST_H_

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "btf/btf.h"

namespace btfreg {

// Saturates here: "more than any cap", and also what a type costs that
// btf_dump cannot spell correctly (offsets past 2^31 bits, which its int
// arithmetic wraps).
inline constexpr uint64_t kSpellingUnbounded = uint64_t{1} << 48;

class SpellingCost {
 public:
  explicit SpellingCost(const Btf& btf) : btf_(btf) {}
  // Bytes, at least, of `id` spelled where it is used (TypeName): a named
  // struct, union, enum or typedef by its name, anything anonymous whole.
  uint64_t Inline(uint32_t id);
  // Bytes, at least, of `id`'s own declaration in a `format c` dump: a
  // struct's or union's body, an enum's values, a typedef's target.
  uint64_t Declaration(uint32_t id);
  // Calls libbpf's btf__align_of makes for `id`: it recurses into every
  // member without remembering, so nested structs that use one type twice
  // per level cost it 2^levels calls. btf_dump asks it of every struct it
  // writes and of each member's type.
  uint64_t AlignWork(uint32_t id);
  // AlignWork summed over every struct and union this object has costed.
  uint64_t align_work() const { return align_work_; }
  // A type those alignments reach whose alignment is 0 (an INT of size 0,
  // which the kernel accepts): btf_dump divides by it. 0 if none.
  uint32_t zero_alignment() const { return zero_alignment_; }
  // Lines of padding counted so far, over every struct this object has
  // costed (each once, however often it is used).
  uint64_t padding_lines() const { return padding_lines_; }

  // What the alignments counted so far forbid, for TypeName and
  // CDeclaration alike: InvalidArgument if one is 0; `over` (the caller's
  // code) if libbpf would make more than `max_work` align_of calls; OK
  // otherwise. `what` names the query in the message ("spelling type 7").
  absl::Status AlignmentProblem(absl::string_view what, uint64_t max_work,
                                absl::StatusCode over) const;

 private:
  uint64_t Body(uint32_t id, const struct btf_type* t);

  const Btf& btf_;
  absl::flat_hash_map<uint32_t, uint64_t> inline_;  // memo; kInProgress marks
  absl::flat_hash_map<uint32_t, uint64_t> align_;  // memo of AlignWork
  uint64_t padding_lines_ = 0;
  uint64_t align_work_ = 0;
  uint32_t zero_alignment_ = 0;
};

}  // namespace btfreg

#endif  // BTFREG_BTF_SPELLING_COST_H_
