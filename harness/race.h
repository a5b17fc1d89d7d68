// harness/race.h: a module-unload race harness, as the kernel's
// bpf_mod_race and module_attach selftests: verifier threads use modules
// while a writer loads and unloads them, and the lifetime rules are checked
// throughout.
//
//   RaceOptions o;  o.duration_ms = 3000;  o.threads = 2;
//   absl::StatusOr<RaceReport> r = RunRace(o);
//   printf("%s", r->Summary().c_str());      // violations: 0
//
// Verifier threads pick a module by name or id and run a StructAccess chain
// through its structs with one of three variants: the pointer variant pins
// the module first (UsedBtfs) and must never see it go; the id variant keeps
// only the registry id and may find it gone (a stale hit) but never another
// object; the handle variant may find its slot reused, which its generation
// check must detect (ABA). A churn thread loads generated split BTF of
// varied sizes, makes it LIVE and unloads it.
//
// Checked: GetById never returns a module whose unload had completed before
// the lookup began, nor a reference it did not take; TryGetModule and TryPinModule never return a module that
// was COMING or gone for the whole call; a pinned module never goes; no
// reference is dropped twice; at the end every reference count is back at
// its baseline, nothing awaits a grace period, and unloading everything
// frees everything but the base. Reads of freed memory are left to ASan
// (run it under --config=asan); to give it something to see, the handle
// variant now and then holds its read section until the module has gone,
// then reads the object. Likewise the pointer variant now and then holds its
// pin until an unload of that module has been tried, which must be refused.

#ifndef BTFREG_HARNESS_RACE_H_
#define BTFREG_HARNESS_RACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "btf/btf.h"

namespace btfreg {

struct RaceOptions {
  std::string base_path = std::string(kVmlinuxPath);
  int duration_ms = 2000;
  int threads = 2;     // verifier threads (the churn thread is extra)
  int modules = 8;     // module names the churn cycles through
  uint64_t seed = 1;
  // Verifier threads read as QSBR readers (registry/rcu.h), announcing a
  // quiescent state every 16 operations, instead of as memb threads.
  bool qsbr = false;
};

struct RaceVariantStats {
  int64_t chains = 0;
  int64_t stale_hits = 0;    // the module went: lookup found nothing
  int64_t aba_detected = 0;  // handle: slot reused, generation mismatch
};

struct RaceReport {
  int64_t ops = 0;           // struct accesses and lookups
  int64_t cycles = 0;        // module load + live + unload cycles
  int64_t unload_refused = 0;  // ModuleGoing refused: the module was pinned
  // Read sections held (by the handle variant) across their module's
  // unload, reading the object afterwards: what a grace period protects.
  int64_t readers_outlived_unload = 0;
  // Pins (pointer variant) held until an unload of their module had been
  // tried and had returned: each such unload must have been refused.
  int64_t pins_held_across_unload = 0;
  RaceVariantStats pointer, id, handle;
  int64_t violation_count = 0;
  std::vector<std::string> violations;  // the first few, for the report

  std::string Summary() const;
};

absl::StatusOr<RaceReport> RunRace(const RaceOptions& options);

}  // namespace btfreg

#endif  // BTFREG_HARNESS_RACE_H_
