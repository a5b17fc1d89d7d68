// registry/fault.h: faults the race harness must be able to catch.
//
// Compiled in only with -DBTFREG_FAULT_INJECTION (the test-only targets in
// tests/BUILD.bazel); in every other build Active() is constant false and
// the hooks vanish. Each fault breaks one lifetime rule:
//   kSkipGracePeriod  free at the last put, without waiting for readers
//   kPrematurePut     GetById hands out a reference it did not take
//   kMissingPin       TryPinModule does not pin, so ModuleGoing proceeds

#ifndef BTFREG_REGISTRY_FAULT_H_
#define BTFREG_REGISTRY_FAULT_H_

namespace btfreg {
namespace fault {

enum Fault { kNone = 0, kSkipGracePeriod, kPrematurePut, kMissingPin };

#ifdef BTFREG_FAULT_INJECTION
extern Fault g_active;
inline bool Active(Fault f) { return g_active == f; }
inline void Set(Fault f) { g_active = f; }
#else
constexpr bool Active(Fault) { return false; }
#endif

}  // namespace fault
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_FAULT_H_
