// verifier_state/resolvers.h: how a register names its BTF object.
//
// The operations in ops.h are written once; a resolver supplies the three
// things that differ between the designs:
//
//   using Reg = ...;                              the register layout
//   void Encode(Reg& reg, const BtfRef& btf);     store the object's name
//   void CopyBtf(Reg& dst, const Reg& src);       dst names src's object
//   bool SameBtf(const Reg& a, const Reg& b);     identity, for state pruning
//   template <class Fn> bool With(const Reg&, Fn&& fn);
//       calls fn(const Btf&) with the object, valid for the call; returns
//       false when the object cannot be found (gone, or its slot reused).
//       `fn` may run inside a read section: it must not block (no lock).
//   template <class Fn> bool WithRef(const Reg&, Fn&& fn);
//       the same for an `fn` that may block (Btf::TypeName takes a lock):
//       the object is held by a reference, or by the program's pins, never
//       by a read section.
//
// PointerResolver     RegState: the pointer is the object; no lookup.
// RcuIdResolver       IdRegState / PackedIdRegState: a lock-free registry
//                     lookup by id per use (Registry::WithBtf).
// RefcountIdResolver  the same layouts, looked up the way the kernel's
//                     btf_get_by_id does: a lookup that takes and drops a
//                     reference per use (Registry::GetById).
// HandleResolver      HandleRegState: index the handle table, check the
//                     generation.
//
// Each counts its lookups and misses (not thread-safe: one resolver per
// thread).

#ifndef BTFREG_VERIFIER_STATE_RESOLVERS_H_
#define BTFREG_VERIFIER_STATE_RESOLVERS_H_

#include <cassert>
#include <cstdint>

#include "registry/registry.h"
#include "verifier_state/reg_state.h"

namespace btfreg {

struct ResolverCounters {
  int64_t lookups = 0;
  int64_t misses = 0;
};

// What every resolver shares: its counters, and calling `fn` on an object
// found (or not) by a lookup.
class ResolverBase {
 public:
  const ResolverCounters& counters() const { return counters_; }

 protected:
  // Counts one lookup, and a miss unless it `found` the object.
  bool Counted(bool found) const {
    ++counters_.lookups;
    if (!found) ++counters_.misses;
    return found;
  }
  // fn(*ref) if `ref` holds an object; counted as a lookup.
  template <typename Fn>
  bool CallWithRef(const BtfRef& ref, Fn&& fn) const {
    if (!Counted(static_cast<bool>(ref))) return false;
    fn(*ref);
    return true;
  }

 private:
  mutable ResolverCounters counters_;
};

class PointerResolver : public ResolverBase {
 public:
  using Reg = RegState;
  static constexpr const char* kName = "pointer + id";

  void Encode(Reg& reg, const BtfRef& btf) const { reg.btf = btf.get(); }
  void CopyBtf(Reg& dst, const Reg& src) const { dst.btf = src.btf; }
  bool SameBtf(const Reg& a, const Reg& b) const { return a.btf == b.btf; }
  // REQUIRES: reg.btf is kept alive by the program's UsedBtfs (asserted
  // non-null in debug builds). No read section: `fn` may block.
  template <typename Fn>
  bool With(const Reg& reg, Fn&& fn) const {
    assert(reg.btf != nullptr && "PointerResolver: a PTR_TO_BTF_ID register without its btf");
    Counted(true);
    fn(*reg.btf);
    return true;
  }
  template <typename Fn>
  bool WithRef(const Reg& reg, Fn&& fn) const {
    return With(reg, fn);
  }
};

// Shared by the id resolvers.
template <typename RegT>
class IdResolverBase : public ResolverBase {
 public:
  using Reg = RegT;
  explicit IdResolverBase(const Registry& registry) : registry_(registry) {}
  void Encode(Reg& reg, const BtfRef& btf) const { reg.btf_obj_id = btf.id(); }
  void CopyBtf(Reg& dst, const Reg& src) const { dst.btf_obj_id = src.btf_obj_id; }
  bool SameBtf(const Reg& a, const Reg& b) const {
    return a.btf_obj_id == b.btf_obj_id;
  }
  template <typename Fn>
  bool WithRef(const Reg& reg, Fn&& fn) const {
    return this->CallWithRef(registry_.GetById(reg.btf_obj_id), fn);
  }

 protected:
  const Registry& registry_;
};

template <typename RegT = IdRegState>
class RcuIdResolver : public IdResolverBase<RegT> {
 public:
  static constexpr const char* kName = "id, lock-free lookup";
  using IdResolverBase<RegT>::IdResolverBase;
  template <typename Fn>
  bool With(const RegT& reg, Fn&& fn) const {
    return this->Counted(this->registry_.WithBtf(reg.btf_obj_id, fn));
  }
};

template <typename RegT = IdRegState>
class RefcountIdResolver : public IdResolverBase<RegT> {
 public:
  static constexpr const char* kName = "id, lookup + refcount";
  using IdResolverBase<RegT>::IdResolverBase;
  template <typename Fn>
  bool With(const RegT& reg, Fn&& fn) const {
    return this->CallWithRef(this->registry_.GetById(reg.btf_obj_id), fn);
  }
};

class HandleResolver : public ResolverBase {
 public:
  using Reg = HandleRegState;
  static constexpr const char* kName = "handle {slot, gen}";
  explicit HandleResolver(const Registry& registry) : registry_(registry) {}
  void Encode(Reg& reg, const BtfRef& btf) const { reg.btf_handle = btf.handle(); }
  void CopyBtf(Reg& dst, const Reg& src) const { dst.btf_handle = src.btf_handle; }
  bool SameBtf(const Reg& a, const Reg& b) const {
    return a.btf_handle == b.btf_handle;
  }
  template <typename Fn>
  bool With(const Reg& reg, Fn&& fn) const {
    rcu::ReadSection rs;
    const Btf* btf = registry_.BorrowByHandle(reg.btf_handle, rs);
    if (!Counted(btf != nullptr)) return false;
    fn(*btf);
    return true;
  }
  template <typename Fn>
  bool WithRef(const Reg& reg, Fn&& fn) const {
    return CallWithRef(registry_.GetByHandle(reg.btf_handle), fn);
  }

 private:
  const Registry& registry_;
};

}  // namespace btfreg

#endif  // BTFREG_VERIFIER_STATE_RESOLVERS_H_
