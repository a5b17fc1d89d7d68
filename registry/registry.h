// registry/registry.h: a refcounted registry of BTF objects.
//
// The user-space counterpart of the kernel's btf_idr, btf_get()/btf_put()
// and its module notifier (kernel/bpf/btf.c). It holds one base object
// (vmlinux) and any number of modules, whose split BTF sits on the base. Each
// published object has an id; lookups by id are lock-free.
//
//   btfreg::Registry registry;
//   registry.RegisterBase(btfreg::kVmlinuxPath).IgnoreError();
//   registry.ModuleComingFromFile("nf_tables", "/sys/kernel/btf/nf_tables").IgnoreError();
//   registry.ModuleLive("nf_tables").IgnoreError();
//   btfreg::BtfRef mod = *registry.TryGetModule("nf_tables");
//   registry.ModuleGoing("nf_tables").IgnoreError();  // unpublished; `mod` still valid
//
// Internally synchronized: every method may be called from any thread.
// Writers (RegisterBase, ModuleComing/Live/Going, pins) serialize on a
// mutex; they parse BTF before taking it. Readers (GetById, GetByHandle,
// GetByKernelId, WithBtf, Borrow) take no lock and write no cache line that
// another thread writes: the references that GetById & co take, and that
// any BtfRef drops, are counted per thread while the object is published
// (the kernel's percpu_ref), and summed into one atomic count a grace
// period after it goes. Copies of a BtfRef, and references taken under the
// lock (TryGetModule, pins, searches), count in that atomic count. A reader
// thread may be a QSBR reader (rcu.h): its read sections then cost nothing,
// and it announces quiescent states.
//
// Lifetime, as LevelDB's Cache: ModuleGoing removes the name and the id at
// once (a GetById after it finds nothing, even while references remain), and
// drops the registry's reference. The underlying object is kept around until
// all existing references to it have been released and an RCU grace period
// has passed (two, when its references were counted per thread: one before
// they are summed, one after the last is dropped). Never is the last
// reference dropped while the registry lock is held, so releasing a BtfRef
// anywhere (an observer included) cannot deadlock.
//
// Ids: allocated cyclically from 1 upward, never 0, and not reused until the
// 31-bit id space wraps, so a stale id finds nothing rather than another
// object. Id `i` lives in slot `i & mask` of a power-of-two table that
// doubles when half full, so a lookup is one array index plus an id check.
//
// Inside, Registry coordinates five parts of registry/internal/, each tested
// by itself: IdTable (ids to objects, RCU-published), KernelIdTable (the
// kernel's ids to objects, RCU-published), HandleTable (compact handles),
// KnownModules (lazy and failed modules) and TypeIndex (modules' named
// types). Lock order: a lazy module's parse lock, then the observer
// lock, then the state lock; none is held inside a read section, and none
// while a last reference is dropped. In debug builds the REQUIRES below are
// checked (sync/mutex.h, registry/rcu.h).
//
// Modules may also be only known (ModuleKnown: parsed on first use, failures
// recorded and isolated), carry the kernel's id for their BTF (KernelMirror
// in kernel_mirror.h fills a registry from the running kernel), and be searched by
// type name across the base and every module (FindTypes, FindCandidates).

#ifndef BTFREG_REGISTRY_REGISTRY_H_
#define BTFREG_REGISTRY_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "btf/btf.h"
#include "registry/btf_ref.h"
#include "registry/internal/handle_table.h"
#include "registry/internal/id_table.h"
#include "registry/internal/kernel_id_table.h"
#include "registry/rcu.h"
#include "sync/mutex.h"

namespace btfreg {

namespace internal {
class KnownModules;
class TypeIndex;
}  // namespace internal

// A module's state (Registry::StateOf): the kernel's, as its notifier sees
// them, and the two of a module known but not parsed (ModuleKnown).
enum class ModuleState {
  kComing,  // published; its init has not finished (ModuleComing)
  kLive,    // published and usable (ModuleLive)
  kKnown,   // exists, not parsed yet: parsed when first asked for
  kFailed,  // exists, its BTF did not parse (FailedModules has the error)
  kGoing,   // an unload waits for its pins to be released (ModuleGoingWait)
};

// A module pin: while it lives, ModuleGoing on the module is refused (the
// kernel's try_module_get / module_put held through a program's btf_mod_pair,
// which makes rmmod fail with EBUSY). It also holds a BtfRef.
class ModulePin {
 public:
  ModulePin() = default;
  ModulePin(ModulePin&& other) noexcept = default;
  ModulePin& operator=(ModulePin&& other) noexcept;
  ModulePin(const ModulePin&) = delete;
  ModulePin& operator=(const ModulePin&) = delete;
  ~ModulePin() { Release(); }

  const BtfRef& ref() const { return ref_; }
  explicit operator bool() const { return static_cast<bool>(ref_); }
  // Unpins (the BtfRef is dropped too).
  void Release();

 private:
  friend class Registry;
  explicit ModulePin(BtfRef ref) : ref_(std::move(ref)) {}
  BtfRef ref_;
};

struct RegistryStats {
  int64_t live_objects = 0;      // published: base + modules
  int64_t modules_coming = 0;
  int64_t modules_live = 0;
  int64_t modules_known = 0;     // known (ModuleKnown), not parsed yet
  int64_t modules_failed = 0;    // their BTF did not parse (FailedModules)
  // Unpublished, and references remain, or may: an object whose references
  // were counted per thread is summed a grace period after it goes, and
  // counts here until then (rcu::Barrier waits for that).
  int64_t going_referenced = 0;
  int64_t awaiting_grace = 0;    // unreferenced, freed after a grace period
  int64_t loads = 0;             // objects ever published
  int64_t unloads = 0;           // modules ever gone
  int64_t bytes = 0;             // Btf memory of all unfreed objects
  int64_t freed = 0;             // objects freed (after their grace period)
  int64_t underflows = 0;        // puts of references never taken: a bug
};

// A type found by a registry-wide search: the object that defines it (a
// reference) and its id there.
struct TypeMatch {
  BtfRef btf;
  uint32_t type_id = 0;
};

// A known module whose BTF could not be had: parsing or validation failed.
struct FailedModule {
  std::string name;
  uint32_t kernel_id = 0;
  absl::Status error;  // names the module and the problem
};

// Parses a module's BTF on demand: split on `base`, or standalone.
using ModuleLoader =
    std::function<absl::StatusOr<std::unique_ptr<const Btf>>(const Btf& base)>;

// What observers hear about, in the order it happened.
struct RegistryEvent {
  enum Kind { kLoaded, kLive, kGoing } kind;
  uint32_t id;
  std::string name;
  // For kLoaded and kLive: a reference to the object. Empty for kGoing.
  BtfRef ref;
};

class Registry {
 public:
  Registry();
  // Unpublishes everything and drops the registry's references; objects that
  // callers still reference live on until released. Waits for pending frees.
  // REQUIRES: no other thread is using this registry.
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers the base (vmlinux). FailedPrecondition if there already is one.
  absl::StatusOr<BtfRef> RegisterBase(absl::string_view path)
      ABSL_LOCKS_EXCLUDED(mu_);
  // `kernel_id`: the kernel's id for this object, if it came from the kernel
  // (GetByKernelId finds it); 0 if not.
  absl::StatusOr<BtfRef> RegisterBase(std::unique_ptr<const Btf> btf,
                                      uint32_t kernel_id = 0)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The base, or an empty BtfRef.
  BtfRef base() const ABSL_LOCKS_EXCLUDED(mu_);

  // A module is coming: parses its split BTF on the base and publishes it
  // under a new id, in state kComing. Errors: no base (FailedPrecondition),
  // a module of that name already registered (AlreadyExists), BTF that does
  // not parse or does not fit the base (InvalidArgument, naming the module).
  absl::StatusOr<BtfRef> ModuleComing(absl::string_view name,
                                      absl::Span<const uint8_t> split_btf)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<BtfRef> ModuleComingFromFile(absl::string_view name,
                                              absl::string_view path)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The same with BTF the caller parsed: split on this registry's base, or
  // standalone (BTF that a program loaded into the kernel). `kernel_id` as
  // for RegisterBase. FailedPrecondition if `btf` is split on another base.
  // (A name of its own: `ModuleComing(name, {})` would otherwise be
  // ambiguous between bytes and a parsed object.)
  absl::StatusOr<BtfRef> ModuleComingParsed(absl::string_view name,
                                            std::unique_ptr<const Btf> btf,
                                            uint32_t kernel_id = 0)
      ABSL_LOCKS_EXCLUDED(mu_);
  // kComing -> kLive. NotFound if unknown, FailedPrecondition if live.
  absl::Status ModuleLive(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);
  // Unpublishes the module's id and name and drops the registry's reference
  // (from kComing, too: a module whose init failed). NotFound if unknown
  // (going twice); FailedPrecondition while pinned.
  absl::Status ModuleGoing(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);
  // ModuleGoing for an unloader that must not be starved by pins taken one
  // after another: stops new pins and references of the module at once (as
  // the kernel's GOING state makes try_module_get fail: TryPinModule and
  // TryGetModule answer FailedPrecondition, StateOf kGoing), then waits for
  // the pins it has to be released, up to `timeout`. Then the module goes,
  // as by ModuleGoing; or, if pins remain, DeadlineExceeded (naming how many)
  // and the module is LIVE and pinnable again, as before the call.
  // NotFound if unknown, FailedPrecondition while another such unload of it
  // waits. Blocks: not from an observer, nor inside a read section.
  absl::Status ModuleGoingWait(absl::string_view name, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The module has already gone where it came from (the kernel unloaded it,
  // see KernelMirror): unpublished as by ModuleGoing, but pins cannot refuse
  // it. Pins and references keep the object readable until released.
  // NotFound if unknown.
  absl::Status ModuleGone(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Lazy modules: a module that exists (the kernel has loaded it) is known
  // by name (and kernel id) without being parsed; its BTF is parsed the
  // first time it is asked for (TryGetModule, TryPinModule, GetByKernelId,
  // a search with Scope::kAll; not GetByName, which only looks) and it is
  // then LIVE. Callers
  // that ask at once wait for one parse. A module whose BTF fails is
  // recorded (FailedModules, Stats) with its error, and that error is what
  // asking for it returns; nothing else is affected. ModuleGoing and
  // ModuleGone forget a known or failed module. AlreadyExists if `name` is
  // registered, known or failed.
  absl::Status ModuleKnown(absl::string_view name, ModuleLoader loader,
                           uint32_t kernel_id = 0) ABSL_LOCKS_EXCLUDED(mu_);
  // Parses every known module now (each once; failures are recorded).
  // Returns how many failed.
  int PreloadModules() ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<FailedModule> FailedModules() const ABSL_LOCKS_EXCLUDED(mu_);

  // A reference to a module only while it is LIVE (the kernel refuses
  // COMING and GOING modules): NotFound or FailedPrecondition otherwise.
  // Parses a module that is only known (see ModuleKnown).
  absl::StatusOr<BtfRef> TryGetModule(absl::string_view name)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Pins a LIVE module (see ModulePin); same errors as TryGetModule.
  absl::StatusOr<ModulePin> TryPinModule(absl::string_view name)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The state of module `name`. NotFound if there is no such module
  // (going ends it); FailedPrecondition for the base, which is no module.
  absl::StatusOr<ModuleState> StateOf(absl::string_view name) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Any published object by name ("vmlinux" is the base), in any state. A
  // module that is only known is not parsed: nothing is found.
  BtfRef GetByName(absl::string_view name) const ABSL_LOCKS_EXCLUDED(mu_);
  // The published object with this kernel id (BtfRef::kernel_id), with a
  // new reference, or an empty BtfRef. Lock-free, as GetById, for a
  // published object; a module that is only known is parsed first (which
  // takes the registry lock). Inline, as GetById, while the object counts
  // its references per thread.
  ABSL_ATTRIBUTE_ALWAYS_INLINE BtfRef GetByKernelId(uint32_t kernel_id)
      ABSL_LOCKS_EXCLUDED(mu_) {
    {
      rcu::ReadSection rs;
      if (internal::BtfObject* obj = kernel_ids_.Lookup(kernel_id)) {
        if (BtfRef ref = TakePerThread(obj, rs)) return ref;
      }
    }
    return GetByKernelIdSlow(kernel_id);
  }

  // Registry-wide type index, kept current as modules come and go: the
  // base answers from its own name index, modules from postings added when
  // they are published and removed when they go. Results: the base first,
  // then modules in the order they were published.
  //   kLoaded: the published objects as they are;
  //   kAll:    parses every known module first (what CO-RE relocation,
  //            which must see every module, needs).
  enum class Scope { kLoaded, kAll };
  // Every type with exactly this name and kind.
  std::vector<TypeMatch> FindTypes(absl::string_view name, int kind,
                                   Scope scope = Scope::kLoaded)
      ABSL_LOCKS_EXCLUDED(mu_);
  // CO-RE candidates for a local type, as libbpf's bpf_core_find_cands:
  // every type whose essential name (EssentialName) is `local_name`'s and
  // whose kind matches (an enum matches ENUM and ENUM64).
  std::vector<TypeMatch> FindCandidates(absl::string_view local_name, int kind,
                                        Scope scope = Scope::kLoaded)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Lock-free: the object published under `id` with a new reference, or an
  // empty BtfRef for an unknown, going or freed id (lookup plus
  // increment-if-not-zero, as the kernel's btf_get_by_fd/btf_idr path).
  // Inline while the object's references are counted per thread: a read
  // section, the slot, and this thread's counter.
  ABSL_ATTRIBUTE_ALWAYS_INLINE BtfRef GetById(uint32_t id) const {
#ifndef BTFREG_FAULT_INJECTION  // the test-only build's hooks are in GetByIdSlow
    {
      rcu::ReadSection rs;
      internal::BtfObject* obj = ids_.Lookup(id);
      if (obj == nullptr) return BtfRef();
      if (BtfRef ref = TakePerThread(obj, rs)) return ref;
    }
#endif
    return GetByIdSlow(id);
  }

  // Lock-free, as GetById: the object holding `handle` (BtfRef::handle())
  // with a new reference, or an empty BtfRef for an empty or going slot, or
  // a slot that a newer object now holds.
  BtfRef GetByHandle(BtfHandle handle) const;

  // Lock-free borrow: calls fn(const Btf&) inside a read section if `id` is
  // published, and returns whether it did. Takes no reference; `fn` must not
  // keep the Btf* past its return, nor block (no lock, no wait, no I/O), nor
  // call ModuleGoing.
  template <typename Fn>
  bool WithBtf(uint32_t id, Fn&& fn) const {
    rcu::ReadSection rs;
    const internal::BtfObject* obj = ids_.Lookup(id);
    if (__builtin_expect(obj == nullptr, 0)) return false;
    fn(obj->btf());
    return true;
  }

  // For batches of lookups: borrowed pointers valid until `rs` ends (on a
  // QSBR reader, until its next quiescent state; see rcu.h). nullptr for an
  // unknown or going id.
  const Btf* Borrow(uint32_t id, const rcu::ReadSection& rs) const {
    (void)rs;
    const internal::BtfObject* obj = ids_.Lookup(id);
    return obj ? &obj->btf() : nullptr;
  }

  // Lock-free resolution of a compact handle (BtfRef::handle()). nullptr for
  // an empty or going slot, or a slot that a newer object now holds.
  const Btf* BorrowByHandle(BtfHandle handle, const rcu::ReadSection& rs) const {
    (void)rs;
    const internal::BtfObject* obj = handles_.Lookup(handle);
    return obj ? &obj->btf() : nullptr;
  }
  // Size of the handle table; objects published while it is full get no
  // handle (gen 0).
  static constexpr uint32_t kHandleSlots = internal::HandleTable::kSlots;

  // References to every published object, base first then by id.
  std::vector<BtfRef> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);

  // Observers are called after each change, in the order of the changes, on
  // a writer thread, without the registry lock (mu_) held; one observer call
  // runs at a time. They may look objects up and release references.
  // REQUIRES: they do not register, load, unload or pin (writers wait for
  // observers); asking for a module that is only known (ModuleKnown) is a
  // load, and so is a Scope::kAll search. Returns a handle for RemoveObserver.
  using Observer = std::function<void(const RegistryEvent&)>;
  int AddObserver(Observer fn) ABSL_LOCKS_EXCLUDED(mu_, notify_mu_);
  void RemoveObserver(int handle) ABSL_LOCKS_EXCLUDED(mu_, notify_mu_);

  RegistryStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);

  // The id that the next publication tries first: tests of id wrap, and
  // the demonstration of what reusing an id at once (as a plain idr_alloc
  // would) does to a stale id. REQUIRES: 1 <= next <= kMaxId.
  void SetNextIdForTesting(uint32_t next) ABSL_LOCKS_EXCLUDED(mu_);
  static constexpr uint32_t kMaxId = internal::IdTable::kMaxId;

 private:
  // A published name: the base or a module, and the module's state.
  struct Entry {
    internal::BtfObject* obj;  // the registry's reference
    ModuleState state;
    // An unload waits for the pins to drop (ModuleGoingWait): no new pins.
    bool draining = false;
  };
  using EntryMap = absl::flat_hash_map<std::string, Entry>;

  // Inside a read section: counts a new reference to `obj` in this
  // thread's counter and returns true, if `obj` counts its references per
  // thread (which it does until a grace period after it goes: so the
  // reference holds it) and this thread has a counter; else false.
  static bool TakeCountedPerThread(internal::BtfObject* obj, const rcu::ReadSection&) {
    if (!obj->percpu_.load(std::memory_order_relaxed)) return false;
    internal::ThreadRefs::Counts* c = internal::ThreadRefs::Counter(obj->ref_slot_);
    if (c == nullptr) return false;
    internal::ThreadRefs::Took(c);
    return true;
  }
  // The same as a BtfRef: the new reference, or an empty one.
  static BtfRef TakePerThread(internal::BtfObject* obj, const rcu::ReadSection& rs) {
    return TakeCountedPerThread(obj, rs) ? BtfRef(obj) : BtfRef();
  }
  // GetById and GetByKernelId the whole way: the fault-injection build's
  // hooks, objects that count in their atomic count alone, threads without
  // a counter block, and (by kernel id) modules only known.
  BtfRef GetByIdSlow(uint32_t id) const;
  BtfRef GetByKernelIdSlow(uint32_t kernel_id) ABSL_LOCKS_EXCLUDED(mu_);
  // Inside a read section: a new reference to `obj` (nullptr as it is),
  // unless its count already reached 0 (increment-if-not-zero).
  static internal::BtfObject* TryGetInReadSection(internal::BtfObject* obj, const rcu::ReadSection& rs);
  // A new reference to what `lookup()` finds inside a read section (an
  // object or nullptr), or an empty BtfRef if it was going by then.
  template <typename Lookup>
  static BtfRef GetLockFree(Lookup lookup);
  // AlreadyExists if a module of that name, or one with that kernel id
  // (when not 0), is registered, known or failed.
  absl::Status CheckNewModuleLocked(absl::string_view name, uint32_t kernel_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ModuleComing's body: `parse` makes the split BTF on the base (outside
  // the lock); then the module is published under its name.
  absl::StatusOr<BtfRef> ParseAndPublishModule(
      absl::string_view name,
      absl::FunctionRef<absl::StatusOr<std::unique_ptr<Btf>>(const Btf&)> parse)
      ABSL_LOCKS_EXCLUDED(mu_);
  // OK if `btf` is standalone or split on `base`; FailedPrecondition,
  // naming the module, if it is split on another base.
  static absl::Status FitsBase(absl::string_view name, const Btf& btf, const Btf* base);
  // Publishes a parsed module. REQUIRES: `btf` is standalone or split on
  // `base`, which the caller holds.
  absl::StatusOr<BtfRef> PublishModule(absl::string_view name,
                                       std::unique_ptr<const Btf> btf,
                                       uint32_t kernel_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // KnownModules::unparsed(), read without mu_: the one member of known_
  // that is atomic for this purpose (with none, asking for a module need
  // not take the lock).
  size_t UnparsedLockFree() const ABSL_NO_THREAD_SAFETY_ANALYSIS;
  // Parses `name` if it is only known (once, whoever asks); the error of a
  // failed module; OK otherwise (also when `name` is not known at all).
  absl::Status EnsureParsed(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<TypeMatch> Search(absl::string_view name, int kind, bool candidates,
                                Scope scope) ABSL_LOCKS_EXCLUDED(mu_);
  // The module of that name if it is LIVE; NotFound or FailedPrecondition.
  absl::StatusOr<internal::BtfObject*> LiveModuleLocked(absl::string_view name)
      const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes under a new id, name and handle, and (a module) in the type
  // index; returns the caller's reference.
  BtfRef PublishLocked(std::unique_ptr<const Btf> btf, absl::string_view name,
                       bool is_module, ModuleState state, uint32_t kernel_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unpublishes a module's id, name, handle and postings; returns the
  // registry's reference, for the caller to drop after releasing mu_.
  BtfRef UnpublishLocked(EntryMap::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ModuleGoing and ModuleGone; `force` ignores pins (ModuleGone).
  absl::Status Unload(absl::string_view name, bool force) ABSL_LOCKS_EXCLUDED(mu_);
  // Delivers the queued events to the observers. Every writer calls it after
  // releasing mu_; whoever holds notify_mu_ drains the queue, so events are
  // delivered once and in order.
  void DrainEvents() ABSL_LOCKS_EXCLUDED(mu_, notify_mu_);

  // Lock order: a known module's ParseOnce::mu (held while its loader runs
  // and its events are delivered), then notify_mu_ (held while observers
  // run), then mu_. No lock is held inside a read section, and no lock is
  // held while an object's last reference is dropped.
  Mutex notify_mu_;
  mutable Mutex mu_ ABSL_ACQUIRED_AFTER(notify_mu_);
  std::vector<RegistryEvent> pending_events_ ABSL_GUARDED_BY(mu_);

  // Written under mu_, read lock-free: each checks that its writers hold it.
  internal::IdTable ids_;
  internal::HandleTable handles_;

  internal::BtfObject* base_ ABSL_GUARDED_BY(mu_) = nullptr;
  EntryMap by_name_ ABSL_GUARDED_BY(mu_);
  internal::KernelIdTable kernel_ids_;  // written under mu_, read lock-free
  const std::unique_ptr<internal::KnownModules> known_ ABSL_PT_GUARDED_BY(mu_);
  const std::unique_ptr<internal::TypeIndex> module_types_ ABSL_PT_GUARDED_BY(mu_);
  int64_t loads_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t unloads_ ABSL_GUARDED_BY(mu_) = 0;
  const std::shared_ptr<internal::Counters> counters_;

  std::vector<std::pair<int, Observer>> observers_ ABSL_GUARDED_BY(notify_mu_);
  int next_observer_ ABSL_GUARDED_BY(notify_mu_) = 1;
};

}  // namespace btfreg

#endif  // BTFREG_REGISTRY_REGISTRY_H_
