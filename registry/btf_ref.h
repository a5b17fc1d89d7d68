// registry/btf_ref.h: BtfRef, an owning reference to a registered Btf.
//
// The kernel counterpart is a `struct btf *` on which btf_get() was called:
// copying a BtfRef takes a reference, destroying it drops one (btf_put), and
// moving it is free. While any BtfRef (or pin) exists, `get()` stays valid,
// whatever happens to the module the BTF came from: ModuleGoing only
// unpublishes it. The object is freed when the last reference is gone AND an
// RCU grace period has passed, so that a lock-free reader that found the
// object just before it went can still read it safely.
//
//   btfreg::BtfRef mod = registry.TryGetModule("nf_tables").value();
//   const btfreg::Btf* btf = mod.get();   // valid while `mod` lives
//
// Thread safety: a BtfRef is a value; distinct BtfRefs to one object may be
// copied and destroyed concurrently from any threads. One BtfRef object is
// not to be mutated by two threads at once (like std::shared_ptr).
//
// A BtfRef may outlive the Registry that produced it: the object does not
// point back into the registry.

#ifndef BTFREG_REGISTRY_BTF_REF_H_
#define BTFREG_REGISTRY_BTF_REF_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "btf/btf.h"
#include "registry/internal/thread_refs.h"
#include "registry/rcu.h"

namespace btfreg {

class BtfRef;
class ModulePin;
class Registry;

// A compact handle: a slot in the registry's handle table and the slot's
// generation when the object took it. Slots are reused as soon as an object
// goes; the generation tells a stale handle from the slot's new occupant
// (ABA), until the 16-bit generation wraps (65,536 reuses of one slot).
// Trivial (no member initializers) so that it can sit in a register state's
// anonymous union; value-initialize it: `BtfHandle{}` is "no handle".
struct BtfHandle {
  uint16_t slot;
  uint16_t gen;  // 0: no handle (the table was full)
  friend bool operator==(BtfHandle a, BtfHandle b) {
    return a.slot == b.slot && a.gen == b.gen;
  }
};

namespace internal {

// Counters shared by a registry and the objects it created, so that an
// object freed after its registry is gone still has somewhere to count.
struct Counters {
  std::atomic<int64_t> going_referenced{0};  // went, references remain
  std::atomic<int64_t> awaiting_grace{0};    // no references, not yet freed
  std::atomic<int64_t> freed{0};
  std::atomic<int64_t> bytes{0};             // Btf memory of unfreed objects
  std::atomic<int64_t> underflows{0};        // puts without a matching get
};

class HandleTable;
class IdTable;

// One registered BTF object, allocated by the Registry and freed by the last
// reference's release after a grace period. Its identity is fixed when it is
// published; its counts and `going` change, only through the registry and
// the references that name it (friends below). Nothing here is for a user:
// BtfRef and ModulePin are the public faces of an object.
class BtfObject {
 public:
  BtfObject(uint32_t id, std::string name, bool is_module, uint32_t kernel_id,
            std::unique_ptr<const Btf> btf, std::shared_ptr<Counters> counters)
      : id_(id),
        btf_(std::move(btf)),
        kernel_id_(kernel_id),
        is_module_(is_module),
        name_(std::move(name)),
        bytes_(btf_->Memory().total()),
        counters_(std::move(counters)) {}
  BtfObject(const BtfObject&) = delete;
  BtfObject& operator=(const BtfObject&) = delete;

  uint32_t id() const { return id_; }
  const std::string& name() const { return name_; }
  bool is_module() const { return is_module_; }
  uint32_t kernel_id() const { return kernel_id_; }
  BtfHandle handle() const { return handle_; }
  const Btf& btf() const { return *btf_; }
  bool going() const { return going_.load(std::memory_order_acquire); }
  int32_t pins() const { return pins_.load(std::memory_order_acquire); }
  size_t bytes() const { return bytes_; }

 private:
  friend class ::btfreg::BtfRef;
  friend class ::btfreg::ModulePin;
  friend class ::btfreg::Registry;
  friend class HandleTable;  // sets handle_ as it publishes the object
  friend void Put(BtfObject* obj);
  friend void PutAtomic(BtfObject* obj, int64_t n);
  friend int64_t UseCount(const BtfObject* obj);
  friend void DrainThreadRefs(void* obj);
  friend void StartThreadRefs(BtfObject* obj);
  friend void StopThreadRefs(BtfObject* obj);
  friend void FreeObject(void* obj);

  // What a lookup reads, first and together (the first 16 bytes): the id it
  // checks, whether references are counted per thread, and the Btf.
  const uint32_t id_;         // registry id
  // Set at publication if the object got a slot; cleared for good when it
  // goes, and tested inside a read section by whoever counts per thread.
  std::atomic<bool> percpu_{false};
  // Set under the registry lock just before the id is unpublished.
  std::atomic<bool> going_{false};
  const std::unique_ptr<const Btf> btf_;
  uint32_t ref_slot_ = ThreadRefs::kNoSlot;  // set once, before publication
  BtfHandle handle_{};        // set once, before the object is published
  // References are counted here, in refcnt_, and, while `percpu_` is set,
  // in every thread's counter for `ref_slot_` too (thread_refs.h): the
  // count is then their sum, and refcnt_ carries ThreadRefs::kBias.
  // INVARIANT: the count is > 0 while the object is published; once refcnt_
  // reaches 0 (it can only once percpu_ is clear and the threads' counters
  // are drained) it never rises again (lookups use increment-if-not-zero).
  std::atomic<int64_t> refcnt_{1};
  // Module pins (the kernel's try_module_get on a btf_mod_pair): while
  // non-zero, ModuleGoing is refused.
  std::atomic<int32_t> pins_{0};
  const uint32_t kernel_id_;  // the kernel's BTF id, 0 if not from the kernel
  const bool is_module_;
  const std::string name_;    // "vmlinux" or the module's name
  // The Btf's memory when it was published: what Stats().bytes counts for
  // it until it is freed (a Btf grows if libbpf's object is made later).
  const size_t bytes_;
  // A module's BTF is split on the base: the base lives as long as it does.
  std::unique_ptr<BtfRef> base_;
  std::shared_ptr<Counters> counters_;
  rcu::Callback rcu_;
};

// Drops `n` references from the atomic count; the last one queues the free
// after a grace period.
void PutAtomic(BtfObject* obj, int64_t n = 1);
// Per-thread counting of an object's references (thread_refs.h): started
// before it is published, if a slot is free; stopped when it goes, and the
// threads' counts drained into refcnt_ after a grace period. REQUIRES for
// Stop: the caller holds a reference (the registry's).
void StartThreadRefs(BtfObject* obj);
void StopThreadRefs(BtfObject* obj);
// The count as it is: exact when no other thread is taking or dropping
// references to the object (see BtfRef::use_count).
int64_t UseCount(const BtfObject* obj);

// Drops one reference: in this thread's counter while the object counts
// per thread (a read section makes sure it still does), else in refcnt_.
// A thread without a counter block (it never looked an object up lock-free,
// or it is exiting) drops it in refcnt_ without a read section.
inline void Put(BtfObject* obj) {
  if (obj->percpu_.load(std::memory_order_relaxed) && ThreadRefs::HasBlock()) {
    rcu::ReadSection rs;
    if (obj->percpu_.load(std::memory_order_relaxed)) {
      if (ThreadRefs::Counts* c = ThreadRefs::Counter(obj->ref_slot_)) {
        ThreadRefs::Dropped(c);
        return;
      }
    }
  }
  PutAtomic(obj);
}

}  // namespace internal

class BtfRef {
 public:
  BtfRef() = default;
  BtfRef(const BtfRef& other) : obj_(other.obj_) {
    if (obj_ != nullptr) obj_->refcnt_.fetch_add(1, std::memory_order_relaxed);
  }
  BtfRef(BtfRef&& other) noexcept : obj_(other.obj_) { other.obj_ = nullptr; }
  BtfRef& operator=(BtfRef other) noexcept {
    std::swap(obj_, other.obj_);
    return *this;
  }
  ~BtfRef() { reset(); }

  // Drops the reference (if any); this BtfRef becomes empty.
  void reset() {
    if (obj_ != nullptr) internal::Put(obj_);
    obj_ = nullptr;
  }

  explicit operator bool() const { return obj_ != nullptr; }
  // The object, valid while this reference lives. nullptr when empty.
  const Btf* get() const { return obj_ ? obj_->btf_.get() : nullptr; }
  const Btf& operator*() const { return *Obj().btf_; }
  const Btf* operator->() const { return Obj().btf_.get(); }

  // REQUIRES for the accessors below: non-empty (checked in debug builds).
  // The registry id the object was published under (unchanged after going).
  uint32_t id() const { return Obj().id_; }
  const std::string& name() const { return Obj().name_; }
  bool is_module() const { return Obj().is_module_; }
  // The kernel's id for this BTF object (`bpftool btf list`), or 0 for an
  // object that did not come from the kernel (see registry/kernel_mirror.h).
  uint32_t kernel_id() const { return Obj().kernel_id_; }
  BtfHandle handle() const { return Obj().handle_; }
  // References to the object right now (racy; for diagnostics and tests,
  // as std::shared_ptr::use_count; exact when no other thread is taking or
  // dropping references to the object). Not cheap: while the object is
  // published it sums every thread's count (under a process-wide lock).
  int32_t use_count() const { return static_cast<int32_t>(internal::UseCount(&Obj())); }
  // True once ModuleGoing unpublished the object.
  bool going() const { return Obj().going(); }

  friend bool operator==(const BtfRef& a, const BtfRef& b) {
    return a.obj_ == b.obj_;
  }
  friend bool operator!=(const BtfRef& a, const BtfRef& b) { return !(a == b); }

 private:
  friend class Registry;
  friend class ModulePin;
  friend class internal::BtfObject;
  // Adopts a reference the caller already holds on `obj`.
  explicit BtfRef(internal::BtfObject* obj) : obj_(obj) {}
  // Takes a new reference on `obj`. REQUIRES: the caller knows `obj` is
  // referenced (the registry holds it under its lock); lock-free lookups
  // use increment-if-not-zero instead.
  static BtfRef Take(internal::BtfObject* obj) {
    assert(obj->refcnt_.load(std::memory_order_relaxed) > 0 && "Take of an object whose count reached 0");
    obj->refcnt_.fetch_add(1, std::memory_order_relaxed);
    return BtfRef(obj);
  }

  const internal::BtfObject& Obj() const {
    assert(obj_ != nullptr && "an empty BtfRef has no object");
    return *obj_;
  }

  internal::BtfObject* obj_ = nullptr;
};

}  // namespace btfreg

#endif  // BTFREG_REGISTRY_BTF_REF_H_
