// verifier_state/used_btfs.h: the BTF objects a program under verification
// uses, kept alive for as long as the program is (the kernel's used_btfs
// array of btf_mod_pair).
//
//   UsedBtfs used(registry);
//   absl::StatusOr<BtfRef> mod = used.Add("nf_tables");   // pins the module
//   MarkBtfId(PointerResolver(), reg, *mod, type_id);     // reg borrows
//
// Adding a module's BTF takes a reference AND pins the module: while the
// program holds it, Registry::ModuleGoing on that module is refused
// (FailedPrecondition), as the kernel's rmmod fails with EBUSY while a BPF
// program holds a module reference. Refused rather than deferred: a deferred
// unload would leave a module half gone (its code unloadable, its BTF still
// named by the program) for as long as some program lives, and give the
// unloader no answer; refusing keeps "going" meaning "gone" and lets the
// caller retry. Registers only borrow: a RegState's `btf` is valid because
// this set holds it.
//
// Not thread-safe: one program's verification owns it.

#ifndef BTFREG_VERIFIER_STATE_USED_BTFS_H_
#define BTFREG_VERIFIER_STATE_USED_BTFS_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "registry/registry.h"

namespace btfreg {

class UsedBtfs {
 public:
  // The kernel's MAX_USED_BTFS.
  static constexpr size_t kMaxUsedBtfs = 64;

  explicit UsedBtfs(Registry& registry) : registry_(registry) {}
  UsedBtfs(const UsedBtfs&) = delete;
  UsedBtfs& operator=(const UsedBtfs&) = delete;

  // Adds vmlinux ("vmlinux") or a LIVE module by name; idempotent. Returns
  // the reference to mark registers with. Errors: unknown or not-live
  // module (from Registry::TryPinModule), more than kMaxUsedBtfs objects
  // (ResourceExhausted).
  absl::StatusOr<BtfRef> Add(absl::string_view name);
  // The same, by registry id (as a program's BTF fd names an object).
  absl::StatusOr<BtfRef> AddById(uint32_t id);

  size_t size() const { return refs_.size() + pins_.size(); }
  bool Contains(const BtfRef& ref) const;
  // Drops every reference and pin (the program was freed).
  void Clear();

 private:
  Registry& registry_;
  std::vector<BtfRef> refs_;      // vmlinux
  std::vector<ModulePin> pins_;   // modules
};

}  // namespace btfreg

#endif  // BTFREG_VERIFIER_STATE_USED_BTFS_H_
