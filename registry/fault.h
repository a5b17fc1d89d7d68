// registry/fault.h: faults the race harness must be able to catch.
//
// Compiled in only with -DBTFREG_FAULT_INJECTION (the test-only targets in
// tests/BUILD.bazel); in every other build Active() is constant false and
// the hooks vanish. Each fault breaks one lifetime rule:
//   kSkipGracePeriod  free at the last put, without waiting for readers
//   kPrematurePut     GetById hands out a reference it did not take
//   kMissingPin       TryPinModule does not pin, so ModuleGoing proceeds
// and one hook opens a window for a test to act in:
//   g_get_by_id_window  called by GetById inside its read section, after it
//                       found the object and before it takes a reference
//                       (the window refcount_inc_not_zero exists for)
// and one switch sets a mode a test needs:
//   g_atomic_refs_only  objects published from now on count their
//                       references in their atomic count alone, never per
//                       thread (thread_refs.h), as objects do when every
//                       per-thread slot is taken: only then can a count
//                       reach 0 while a reader is inside that window

#ifndef BTFREG_REGISTRY_FAULT_H_
#define BTFREG_REGISTRY_FAULT_H_

#include <cstdint>

namespace btfreg {
namespace fault {

enum Fault { kNone = 0, kSkipGracePeriod, kPrematurePut, kMissingPin };

#ifdef BTFREG_FAULT_INJECTION
extern Fault g_active;
inline bool Active(Fault f) { return g_active == f; }
inline void Set(Fault f) { g_active = f; }
extern void (*g_get_by_id_window)(uint32_t id);
inline void GetByIdWindow(uint32_t id) {
  if (g_get_by_id_window != nullptr) g_get_by_id_window(id);
}
extern bool g_atomic_refs_only;
inline bool AtomicRefsOnly() { return g_atomic_refs_only; }
#else
constexpr bool Active(Fault) { return false; }
inline void GetByIdWindow(uint32_t) {}
constexpr bool AtomicRefsOnly() { return false; }
#endif

}  // namespace fault
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_FAULT_H_
