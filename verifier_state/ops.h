// verifier_state/ops.h: the verifier operations that use a register's BTF,
// written once for every resolver (resolvers.h).
//
//   PointerResolver r;
//   RegState reg{};
//   MarkBtfId(r, reg, task_ref, task_id);          // reg: PTR_TO_BTF_ID
//   RegState mm{};
//   StructAccess(r, reg, mm_offset, 8, mm);         // mm: ptr to mm_struct
//   TypeName(r, mm);                                // "struct mm_struct *"
//
// Every operation returns the same answer for every resolver as long as the
// object can be found; where it cannot (an id resolver after the module
// went, a handle whose slot was reused) the operation fails with
// FailedPrecondition "BTF object gone" instead.

#ifndef BTFREG_VERIFIER_STATE_OPS_H_
#define BTFREG_VERIFIER_STATE_OPS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "btf/btf.h"
#include "registry/btf_ref.h"
#include "verifier_state/func_state.h"
#include "verifier_state/reg_state.h"

namespace btfreg {

namespace internal {
inline absl::Status Gone(uint32_t btf_id) {
  return absl::FailedPreconditionError(absl::StrCat(
      "BTF object gone: a register of type ", btf_id,
      " names an object the registry no longer has"));
}

// A register that may hold anything: the kernel's __mark_reg_unknown.
template <typename Reg>
void MarkUnknown(Reg& reg) {
  const uint32_t frameno = reg.frameno;
  Reg* parent = reg.parent;
  reg = Reg{};
  reg.type = SCALAR_VALUE;
  reg.var_off = Tnum{0, ~0ull};
  reg.smin_value = INT64_MIN;
  reg.smax_value = INT64_MAX;
  reg.umin_value = 0;
  reg.umax_value = UINT64_MAX;
  reg.s32_min_value = INT32_MIN;
  reg.s32_max_value = INT32_MAX;
  reg.u32_min_value = 0;
  reg.u32_max_value = UINT32_MAX;
  reg.frameno = frameno;
  reg.parent = parent;
}
}  // namespace internal

// Makes `reg` a PTR_TO_BTF_ID to type `type_id` of `btf`, at offset 0, as
// the verifier does for a helper's or kfunc's returned pointer.
template <typename R>
void MarkBtfId(const R& r, typename R::Reg& reg, const BtfRef& btf,
               uint32_t type_id) {
  const uint32_t frameno = reg.frameno;
  auto* parent = reg.parent;
  reg = typename R::Reg{};
  reg.type = PTR_TO_BTF_ID;
  r.Encode(reg, btf);
  reg.btf_id = type_id;
  reg.frameno = frameno;
  reg.parent = parent;
}

// The C spelling of what `reg` points to: "struct task_struct *".
template <typename R>
absl::StatusOr<std::string> TypeName(const R& r, const typename R::Reg& reg) {
  if (reg.type != PTR_TO_BTF_ID) {
    return absl::InvalidArgumentError("register is not PTR_TO_BTF_ID");
  }
  absl::StatusOr<std::string> name = absl::InternalError("unset");
  // WithRef, not a read section: Btf::TypeName takes no lock, but its first
  // call on an object makes libbpf's object and a btf_dump (milliseconds for
  // vmlinux), too long to hold up a grace period.
  if (!r.WithRef(reg, [&](const Btf& btf) { name = btf.TypeName(reg.btf_id); })) {
    return internal::Gone(reg.btf_id);
  }
  if (!name.ok()) return name.status();
  return absl::StrCat(*name, " *");
}

// A load of `size` bytes at `reg.off + off` through a PTR_TO_BTF_ID register,
// as check_ptr_to_btf_access: `dst` becomes a PTR_TO_BTF_ID to the pointee
// (same BTF object) when the access reads a pointer to a struct, else an
// unknown scalar. `dst` may be `reg`.
template <typename R>
absl::Status StructAccess(const R& r, const typename R::Reg& reg, int32_t off,
                          uint32_t size, typename R::Reg& dst) {
  if (reg.type != PTR_TO_BTF_ID) {
    return absl::InvalidArgumentError("register is not PTR_TO_BTF_ID");
  }
  const int64_t at = int64_t{reg.off} + off;
  if (at < 0) {
    return absl::OutOfRangeError(absl::StrCat("negative offset ", at));
  }
  absl::StatusOr<WalkResult> walk = absl::InternalError("unset");
  if (!r.With(reg, [&](const Btf& btf) {
        walk = btf.StructWalk(reg.btf_id, static_cast<uint32_t>(at), size);
      })) {
    return internal::Gone(reg.btf_id);
  }
  if (!walk.ok()) return walk.status();
  if (walk->kind == WalkKind::kPointer) {
    typename R::Reg out{};
    out.type = PTR_TO_BTF_ID;
    r.CopyBtf(out, reg);
    out.btf_id = walk->pointee_id;
    out.frameno = dst.frameno;
    out.parent = dst.parent;
    dst = out;
  } else {
    internal::MarkUnknown(dst);
  }
  return absl::OkStatus();
}

namespace internal {
// The whole union, whatever the layout calls it.
inline bool RawEqual(const RegState& a, const RegState& b) {
  return a.raw.raw1 == b.raw.raw1 && a.raw.raw2 == b.raw.raw2;
}
template <typename Reg>
bool RawEqual(const Reg& a, const Reg& b) {
  return a.raw == b.raw;
}
}  // namespace internal

// Exact equality (the kernel's regs_exact, without its id map): the BTF
// object compared by the resolver's identity.
template <typename R>
bool RegsExact(const R& r, const typename R::Reg& a, const typename R::Reg& b) {
  if (a.type != b.type || a.off != b.off) return false;
  if (a.type == PTR_TO_BTF_ID) {
    if (!r.SameBtf(a, b) || a.btf_id != b.btf_id) return false;
  } else if (!internal::RawEqual(a, b)) {
    return false;
  }
  return a.id == b.id && a.ref_obj_id == b.ref_obj_id &&
         a.var_off == b.var_off && a.smin_value == b.smin_value &&
         a.smax_value == b.smax_value && a.umin_value == b.umin_value &&
         a.umax_value == b.umax_value && a.s32_min_value == b.s32_min_value &&
         a.s32_max_value == b.s32_max_value &&
         a.u32_min_value == b.u32_min_value &&
         a.u32_max_value == b.u32_max_value;
}

namespace internal {
template <typename Reg>
bool RangeWithin(const Reg& old, const Reg& cur) {
  return old.umin_value <= cur.umin_value && old.umax_value >= cur.umax_value &&
         old.smin_value <= cur.smin_value && old.smax_value >= cur.smax_value &&
         old.u32_min_value <= cur.u32_min_value &&
         old.u32_max_value >= cur.u32_max_value &&
         old.s32_min_value <= cur.s32_min_value &&
         old.s32_max_value >= cur.s32_max_value;
}
// Whether every value `b` allows, `a` allows too (the kernel's tnum_in).
inline bool TnumIn(Tnum a, Tnum b) {
  if (b.mask & ~a.mask) return false;
  b.value &= ~a.mask;
  return a.value == b.value;
}
}  // namespace internal

// Whether the explored state's register `old` covers `cur` (the kernel's
// regsafe): every value cur may hold, old was proven safe with.
template <typename R>
bool RegSafe(const R& r, const typename R::Reg& old, const typename R::Reg& cur) {
  if (old.type == NOT_INIT) return true;
  if (old.type != cur.type) return false;
  switch (old.type) {
    case SCALAR_VALUE:
      return internal::RangeWithin(old, cur) &&
             internal::TnumIn(old.var_off, cur.var_off);
    case PTR_TO_BTF_ID:
      return r.SameBtf(old, cur) && old.btf_id == cur.btf_id &&
             old.off == cur.off && internal::RangeWithin(old, cur) &&
             internal::TnumIn(old.var_off, cur.var_off);
    default:
      return RegsExact(r, old, cur);
  }
}

// Whether `cur` may be pruned against the explored `old` (states_equal):
// same frames, every register and spilled stack slot safe.
template <typename R>
bool StatesEqual(const R& r, const VerifierState<typename R::Reg>& old,
                 const VerifierState<typename R::Reg>& cur) {
  if (old.depth() != cur.depth()) return false;
  for (int f = 0; f < old.depth(); ++f) {
    const auto& fo = old.frame(f);
    const auto& fc = cur.frame(f);
    if (fo.callsite != fc.callsite) return false;
    for (int i = 0; i < kMaxBpfReg; ++i) {
      if (!RegSafe(r, fo.regs[i], fc.regs[i])) return false;
    }
    for (size_t s = 0; s < fo.stack.size(); ++s) {
      const auto& so = fo.stack[s];
      if (so.slot_type[0] == STACK_INVALID) continue;
      if (s >= fc.stack.size()) return false;
      const auto& sc = fc.stack[s];
      for (int b = 0; b < kBpfRegSize; ++b) {
        if (so.slot_type[b] != sc.slot_type[b]) return false;
      }
      if (so.slot_type[0] == STACK_SPILL &&
          !RegSafe(r, so.spilled_ptr, sc.spilled_ptr)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace btfreg

#endif  // BTFREG_VERIFIER_STATE_OPS_H_
