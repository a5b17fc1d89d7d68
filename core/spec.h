// core/spec.h: CO-RE access specifications, as libbpf 1.1 builds and
// matches them (relo_core.c), on btfreg's Btf.
//
// A relocation names a local root type and an access string. A field
// access "0:1:3" reads: element 0 of the root (&s[0]), then member 1, then
// member (or array element) 3 of what that is. The spec keeps the string
// parsed (raw), the named steps and array indexes that survive a change of
// layout (spec: accessors), and the bit offset of the access.
//
// Internal to core/ (relocate.h and btf_ext.h are its public faces).

#ifndef BTFREG_CORE_SPEC_H_
#define BTFREG_CORE_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "btf/btf.h"
#include "core/btf_ext.h"

namespace btfreg {

// libbpf's BPF_CORE_SPEC_MAX_LEN: the deepest access a spec may hold.
inline constexpr int kMaxCoreSpecLen = 64;

// The kinds of enum bpf_core_relo_kind, by family.
bool IsFieldRelo(uint32_t kind);
bool IsTypeRelo(uint32_t kind);
bool IsEnumvalRelo(uint32_t kind);

struct CoreAccessor {
  uint32_t type_id = 0;  // the struct, union, array element or enum
  uint32_t idx = 0;      // member, element or enumerator index
  const char* name = nullptr;  // the member's or enumerator's; nullptr for an index
};

struct CoreSpec {
  const Btf* btf = nullptr;
  uint32_t root_type_id = 0;
  uint32_t kind = 0;
  std::vector<CoreAccessor> spec;  // named members and array indexes
  std::vector<uint32_t> raw;       // the access string, every level
  uint32_t bit_offset = 0;
};

// The local spec of `relo` in `btf` (the object's .BTF), as libbpf's
// bpf_core_parse_spec, with every index and type checked: InvalidArgument
// names what is wrong. For type relocations the access string must be "0".
absl::StatusOr<CoreSpec> ParseLocalSpec(const Btf& btf, const CoreRelo& relo);

// Matches `local` against the candidate `target_id` of `target`, as
// libbpf's bpf_core_spec_match: the same named members (found through
// anonymous structs and unions), array indexes in bounds, compatible
// types. Fills `out` with the target's spec. true: a match; false: none;
// an error for BTF too deep to follow.
absl::StatusOr<bool> MatchSpec(const CoreSpec& local, const Btf& target, uint32_t target_id,
                               CoreSpec* out);

// libbpf's text of a spec: "<byte_off> [7] struct task_struct.pid (0:5 @
// offset 24)", as its debug log prints it.
std::string FormatSpec(const CoreSpec& spec);

// libbpf's bpf_core_types_are_compat and bpf_core_types_match (the TYPE_*
// relocations; names are assumed to match at the root). An error for
// types nested too deep.
absl::StatusOr<bool> CoreTypesAreCompat(const Btf& local, uint32_t local_id, const Btf& target,
                                        uint32_t target_id);
absl::StatusOr<bool> CoreTypesMatch(const Btf& local, uint32_t local_id, const Btf& target,
                                    uint32_t target_id);

// What matching `local` against any candidate reads of the local BTF,
// written out: the root's kind and essential name, and per relocation
// family what libbpf's matching follows (each accessor's member name and
// the shape FieldsAreCompat compares; the shape CoreTypesAreCompat or
// CoreTypesMatch walks; the enumerator's essential name). Two specs with
// the same signature match the same candidates with the same target
// specs, whatever objects they come from. Empty when the walk would pass
// the matchers' depth limits (such a spec is not cached).
std::string MatchSignature(const CoreSpec& local);

// The type with this id, an all-zero void for 0, nullptr when out of range
// (libbpf's btf__type_by_id).
const struct btf_type* CoreType(const Btf& btf, uint32_t id);
// Skips modifiers and typedefs, as libbpf's skip_mods_and_typedefs: the
// type reached (void's for 0) and its id, or nullptr.
const struct btf_type* SkipModsAndTypedefs(const Btf& btf, uint32_t id, uint32_t* res_id);

}  // namespace btfreg

#endif  // BTFREG_CORE_SPEC_H_
