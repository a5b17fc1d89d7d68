// core/relocate.h: CO-RE relocation of BPF objects against the registry's
// BTF (vmlinux and modules), with libbpf 1.1's rules and results.
//
//   btfreg::Registry registry;
//   registry.RegisterBase("/sys/kernel/btf/vmlinux").IgnoreError();
//   btfreg::CoreRelocator relocator(&registry);
//   auto obj = btfreg::BpfObject::Load("prog.bpf.o");
//   absl::StatusOr<std::vector<btfreg::CoreResult>> results = relocator.Relocate(**obj);
//   for (const btfreg::CoreResult& r : *results) {
//     printf("%s insn #%u: %s %llu -> %llu from %s\n", r.program.c_str(), r.insn,
//            btfreg::CoreReloKindName(r.kind), (unsigned long long)r.insn_value,
//            (unsigned long long)r.new_value, r.target ? r.target.name().c_str() : "-");
//   }
//
// What is searched, and in what order (libbpf's bpf_core_find_cands):
//   - candidates are the types whose essential name (EssentialName) equals
//     the local root type's and whose kind is the same (ENUM and ENUM64
//     count as one), found through the registry's index (FindCandidates,
//     every known module parsed first);
//   - the base (vmlinux) first, in id order; modules are searched only
//     when the base has no candidate at all, in the order they were
//     published, each in id order;
//   - within one object, a root type's candidate list is narrowed to those
//     that matched each relocation using it, as libbpf narrows its cache,
//     so later relocations of the type see only those.
// A relocation whose candidates match with different results is an error
// (libbpf's "ambiguity"); one with no matching candidate gets libbpf's
// answer for "not found": 0 for the *_EXISTS and TYPE_MATCHES kinds, 0 for
// the TYPE_ID_TARGET and TYPE_SIZE kinds, and a poisoned instruction for
// the others.
//
// Each result holds a reference to the object its value came from, so the
// object stays alive (though it may go from the registry) while the result
// is kept. Relocating takes the registry's lock only to find candidates,
// never while a module's unload runs long (ModuleGoing holds it briefly).
//
// The cache. A relocator remembers, across the objects it relocates:
//   - each (essential name, kind)'s candidates, as the registry gave them;
//   - each match: keyed by what matching reads of the local type
//     (MatchSignature in spec.h: member names and the shapes compared, not
//     type ids, so that another object with the same types hits) and by the
//     candidates it was matched against, the target spec that matched and
//     which candidates did.
// A second object with the same types is then relocated without a registry
// search or a match: only its own values are computed. Entries hold
// references to their candidates' objects. A module that goes drops the
// entries that name it; a module that comes drops those that searched the
// modules (their type has no candidate in vmlinux), which a new module may
// now answer. A relocator may be used from several threads.

#ifndef BTFREG_CORE_RELOCATE_H_
#define BTFREG_CORE_RELOCATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bpf_object.h"
#include "registry/btf_ref.h"
#include "registry/registry.h"

namespace btfreg {

struct CoreResult {
  std::string section;    // the code section
  std::string program;    // the function holding the instruction
  uint32_t relo_index = 0;  // in its section's core_relo records (libbpf's "relo #N")
  uint32_t insn_off = 0;    // the instruction's first byte in its section
  uint32_t insn = 0;        // instruction index within the program (libbpf's "insn #N")
  uint32_t kind = 0;        // enum bpf_core_relo_kind
  std::string local_spec;   // libbpf's text of the spec (FormatSpec in spec.h)
  std::string target_spec;  // the matching candidate's, "" when none matched
  BtfRef target;            // the object the value came from; empty when none matched
  uint32_t target_type_id = 0;
  int matched = 0;          // candidates that matched
  uint64_t insn_value = 0;  // what the instruction holds (imm, off or imm64)
  uint64_t orig_value = 0;  // what the local spec expects there
  uint64_t new_value = 0;   // what the target needs
  bool poison = false;      // no target: libbpf turns the instruction into an invalid call
  bool validate = true;     // whether insn_value must equal orig_value (libbpf's check)
  uint32_t orig_size = 0;   // load/store size the local field has, when it changes
  uint32_t new_size = 0;
};

// What a relocator's cache did (CoreRelocator::Stats).
struct CoreCacheStats {
  int64_t candidate_hits = 0, candidate_misses = 0;
  int64_t match_hits = 0, match_misses = 0;
  size_t candidate_entries = 0, match_entries = 0;
  int64_t invalidations = 0;  // entries dropped as modules came and went
};

// The object with `results` (Relocate's, for this object) applied to its
// instructions as libbpf applies them (new immediates and offsets, load
// sizes, poisoned instructions), and its CO-RE relocations removed from
// .BTF.ext (the header's core_relo_len set to 0), so that any loader loads
// it without relocating again. Every other byte is the object's own.
absl::StatusOr<std::vector<uint8_t>> ApplyRelocations(const BpfObject& obj,
                                                      const std::vector<CoreResult>& results);

class CoreRelocator {
 public:
  // REQUIRES: `registry` outlives this relocator.
  explicit CoreRelocator(Registry* registry);
  ~CoreRelocator();
  CoreRelocator(const CoreRelocator&) = delete;
  CoreRelocator& operator=(const CoreRelocator&) = delete;

  // Every CO-RE relocation of `obj`, in .BTF.ext order. Fails, as libbpf's
  // load fails, on an ambiguous relocation, a relocation of an anonymous
  // type, an instruction that does not hold the value the local spec
  // expects, or a registry without a base; the message names the object,
  // the section, the relocation and the instruction.
  absl::StatusOr<std::vector<CoreResult>> Relocate(const BpfObject& obj);

  CoreCacheStats Stats() const;

 private:
  struct Cache;
  Registry* registry_;
  std::unique_ptr<Cache> cache_;
  int observer_ = 0;
};

}  // namespace btfreg

#endif  // BTFREG_CORE_RELOCATE_H_
