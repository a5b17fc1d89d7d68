#include "registry/registry.h"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "registry/fault.h"
#include "registry/internal/known_modules.h"
#include "registry/internal/type_index.h"

namespace btfreg {

#ifdef BTFREG_FAULT_INJECTION
fault::Fault fault::g_active = fault::kNone;
void (*fault::g_get_by_id_window)(uint32_t id) = nullptr;
bool fault::g_atomic_refs_only = false;
#endif

namespace internal {

void FreeObject(void* arg) {
  BtfObject* obj = static_cast<BtfObject*>(arg);
  std::shared_ptr<Counters> counters = std::move(obj->counters_);
  counters->bytes.fetch_sub(obj->bytes());
  // Dropping obj->base_ here may queue the base's own free.
  delete obj;
  counters->awaiting_grace.fetch_sub(1);
  counters->freed.fetch_add(1);
}

void PutAtomic(BtfObject* obj, int64_t n) {
  const int64_t before = obj->refcnt_.fetch_sub(n, std::memory_order_acq_rel);
  if (before != n) {
    if (before < n) {
      // More puts than gets: a reference was dropped that nobody took. The
      // object may already be freed, so this is counted, not repaired; and
      // fatal in a debug build (the fault-injection build lets the race
      // harness count it instead).
      obj->counters_->underflows.fetch_add(1);
#ifndef BTFREG_FAULT_INJECTION
      assert(false && "BtfRef put without a matching get: reference count underflow");
#endif
    }
    return;
  }
  // The last reference: nobody can take a new one (lookups increment only
  // if not zero), but a reader may still be looking at the object.
  if (obj->going()) obj->counters_->going_referenced.fetch_sub(1);
  obj->counters_->awaiting_grace.fetch_add(1);
  if (fault::Active(fault::kSkipGracePeriod)) {
    FreeObject(obj);  // readers in a read section may still be using it
    return;
  }
  rcu::CallAfterGracePeriod(&obj->rcu_, FreeObject, obj);
}

int64_t UseCount(const BtfObject* obj) {
  // refcnt_ carries the bias from StartThreadRefs until the drain, which
  // may come a grace period after the object stopped counting per thread:
  // the bias, not percpu_, says whether the threads' counters are in.
  constexpr int64_t kBiased = ThreadRefs::kBias / 2;
  for (;;) {
    const int64_t count = obj->refcnt_.load(std::memory_order_seq_cst);
    if (count < kBiased) return count;  // exact: drained, or never per thread
    // The threads' counters first, then the atomic count: a reference a
    // thread moves from its counter to refcnt_ (a copy, then a put) is seen
    // at most twice, never missed.
    const int64_t threads = ThreadRefs::Sum(obj->ref_slot_);
    const int64_t atomic = obj->refcnt_.load(std::memory_order_seq_cst);
    // Not drained in between (the bias is still in): the sum holds.
    if (atomic >= kBiased) return atomic - ThreadRefs::kBias + threads;
  }
}

// After the grace period that followed StopThreadRefs: no read section can
// still add to the threads' counters, so their sum replaces the bias.
void DrainThreadRefs(void* arg) {
  BtfObject* obj = static_cast<BtfObject*>(arg);
  const int64_t threads = ThreadRefs::Drain(obj->ref_slot_);
  PutAtomic(obj, ThreadRefs::kBias - threads);
}

// Every object that can have a handle can count per thread too.
static_assert(ThreadRefs::kSlots >= HandleTable::kSlots,
              "ThreadRefs: fewer counter slots than the registry has handles");

void StartThreadRefs(BtfObject* obj) {
  if (fault::AtomicRefsOnly()) return;
  obj->ref_slot_ = ThreadRefs::AllocateSlot();
  if (obj->ref_slot_ == ThreadRefs::kNoSlot) return;  // every slot taken
  obj->refcnt_.fetch_add(ThreadRefs::kBias, std::memory_order_relaxed);
  obj->percpu_.store(true, std::memory_order_relaxed);  // published by release
}

// refcnt_ keeps the bias until the drain, so the count cannot reach 0 in
// between.
void StopThreadRefs(BtfObject* obj) {
  if (!obj->percpu_.load(std::memory_order_relaxed)) return;
  obj->percpu_.store(false, std::memory_order_seq_cst);
  if (fault::Active(fault::kSkipGracePeriod)) {
    DrainThreadRefs(obj);  // read sections may still be counting
    return;
  }
  rcu::CallAfterGracePeriod(&obj->rcu_, DrainThreadRefs, obj);
}

}  // namespace internal

namespace {

// What a module call answers when it names the base.
absl::Status BaseIsNoModule(absl::string_view name) {
  return absl::FailedPreconditionError(absl::StrCat(
      name, " is the base, not a module: it is there as long as the registry "
      "is (as vmlinux's BTF is as long as the kernel runs), so it cannot be "
      "asked for, pinned or unloaded as a module; use base() or GetByName"));
}

}  // namespace

ModulePin& ModulePin::operator=(ModulePin&& other) noexcept {
  if (this != &other) {
    Release();
    ref_ = std::move(other.ref_);
  }
  return *this;
}

void ModulePin::Release() {
  if (!ref_) return;
  if (!fault::Active(fault::kMissingPin)) {
    ref_.obj_->pins_.fetch_sub(1, std::memory_order_release);
  }
  ref_.reset();
}

Registry::Registry()
    : ids_(mu_),
      handles_(mu_),
      kernel_ids_(mu_),
      known_(std::make_unique<internal::KnownModules>()),
      module_types_(std::make_unique<internal::TypeIndex>()),
      counters_(std::make_shared<internal::Counters>()) {}

Registry::~Registry() {
  std::vector<BtfRef> dropped;
  {
    MutexLock l(mu_);
    for (internal::BtfObject* obj : ids_.TakeAll()) {
      handles_.Unpublish(obj);
      obj->going_.store(true, std::memory_order_release);
      internal::StopThreadRefs(obj);
      counters_->going_referenced.fetch_add(1);
      dropped.push_back(BtfRef(obj));  // adopts the registry's reference
    }
    by_name_.clear();
    kernel_ids_.Clear();
    module_types_->Clear();
    known_->Clear();
    base_ = nullptr;
  }
  dropped.clear();
  rcu::Barrier();
}

BtfRef Registry::PublishLocked(std::unique_ptr<const Btf> btf, absl::string_view name,
                               bool is_module, ModuleState state, uint32_t kernel_id) {
  auto* obj = new internal::BtfObject(ids_.AllocateId(), std::string(name), is_module,
                                      kernel_id, std::move(btf), counters_);  // refcnt 1: ours
  counters_->bytes.fetch_add(obj->bytes());
  if (obj->btf().base() != nullptr) {
    obj->base_ = std::make_unique<BtfRef>(BtfRef::Take(base_));
  }
  internal::StartThreadRefs(obj);
  handles_.Publish(obj);
  ids_.Publish(obj);
  if (kernel_id != 0) kernel_ids_.Insert(obj);
  by_name_[obj->name()] = Entry{obj, state};
  ++loads_;
  if (is_module) module_types_->Add(obj);
  pending_events_.push_back(
      RegistryEvent{RegistryEvent::kLoaded, obj->id(), obj->name(), BtfRef::Take(obj)});
  return BtfRef::Take(obj);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline internal::BtfObject* Registry::TryGetInReadSection(
    internal::BtfObject* obj, const rcu::ReadSection& rs) {
  if (obj == nullptr) return nullptr;
  if (TakeCountedPerThread(obj, rs)) return obj;
  int64_t n = obj->refcnt_.load(std::memory_order_relaxed);
  while (n != 0) {
    if (obj->refcnt_.compare_exchange_weak(n, n + 1, std::memory_order_acquire,
                                           std::memory_order_relaxed)) {
      return obj;
    }
  }
  return nullptr;
}

BtfRef Registry::GetByIdSlow(uint32_t id) const {
  internal::BtfObject* found = nullptr;
  {
    rcu::ReadSection rs;
    internal::BtfObject* obj = ids_.Lookup(id);
    if (obj != nullptr) fault::GetByIdWindow(id);
    if (fault::Active(fault::kPrematurePut)) {
      found = obj;  // a reference handed out that was never taken
    } else {
      found = TryGetInReadSection(obj, rs);
    }
  }
  BtfRef ref(found);
  // Went between the lookup and the increment: it is not ours to return.
  if (ref && ref.going()) ref.reset();
  return ref;
}

template <typename Lookup>
BtfRef Registry::GetLockFree(Lookup lookup) {
  BtfRef ref;
  {
    rcu::ReadSection rs;
    ref = BtfRef(TryGetInReadSection(lookup(), rs));
  }
  if (ref && ref.going()) ref.reset();  // went after the lookup: as in GetById
  return ref;
}

BtfRef Registry::GetByHandle(BtfHandle handle) const {
  return GetLockFree([&] { return handles_.Lookup(handle); });
}

absl::StatusOr<BtfRef> Registry::RegisterBase(absl::string_view path) {
  auto btf = Btf::LoadVmlinux(path);
  if (!btf.ok()) return btf.status();
  return RegisterBase(std::move(*btf));
}

absl::StatusOr<BtfRef> Registry::RegisterBase(std::unique_ptr<const Btf> btf,
                                              uint32_t kernel_id) {
  BtfRef ref;
  {
    MutexLock l(mu_);
    if (base_ != nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "registry already has a base (", base_->name(), ", id ", base_->id(),
          ")"));
    }
    if (btf->base() != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(btf->name(), ": split BTF cannot be the base"));
    }
    ref = PublishLocked(std::move(btf), "vmlinux", /*is_module=*/false, ModuleState::kLive, kernel_id);
    base_ = ref.obj_;
  }
  DrainEvents();
  return ref;
}

BtfRef Registry::base() const {
  MutexLock l(mu_);
  if (base_ == nullptr) return BtfRef();
  return BtfRef::Take(base_);
}

absl::StatusOr<BtfRef> Registry::ModuleComing(
    absl::string_view name, absl::Span<const uint8_t> split_btf) {
  return ParseAndPublishModule(name, [&](const Btf& base) {
    return Btf::LoadSplitBytes(split_btf, absl::StrCat("module ", name), base);
  });
}

absl::StatusOr<BtfRef> Registry::ModuleComingFromFile(absl::string_view name,
                                                      absl::string_view path) {
  return ParseAndPublishModule(name, [&](const Btf& base)
                            -> absl::StatusOr<std::unique_ptr<Btf>> {
    auto btf = Btf::LoadSplitFile(path, base);
    if (btf.ok()) return btf;
    return absl::Status(btf.status().code(), absl::StrCat("module ", name, ": ",
                                                          btf.status().message()));
  });
}

absl::StatusOr<BtfRef> Registry::ParseAndPublishModule(
    absl::string_view name,
    absl::FunctionRef<absl::StatusOr<std::unique_ptr<Btf>>(const Btf&)> parse) {
  // Parse outside the lock; the base cannot go while `base` is held.
  BtfRef base = this->base();
  if (!base) {
    return absl::FailedPreconditionError(absl::StrCat(
        "module ", name, ": the registry has no base BTF to split it on"));
  }
  absl::StatusOr<std::unique_ptr<Btf>> btf = parse(*base);
  if (!btf.ok()) return btf.status();
  return PublishModule(name, std::move(*btf), /*kernel_id=*/0);
}

absl::StatusOr<BtfRef> Registry::ModuleComingParsed(absl::string_view name,
                                                    std::unique_ptr<const Btf> btf,
                                              uint32_t kernel_id) {
  BtfRef base = this->base();
  if (absl::Status s = FitsBase(name, *btf, base.get()); !s.ok()) return s;
  return PublishModule(name, std::move(btf), kernel_id);
}

absl::Status Registry::FitsBase(absl::string_view name, const Btf& btf, const Btf* base) {
  if (btf.base() == nullptr || btf.base() == base) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "module ", name, ": its BTF is split on a base other than this registry's"));
}

absl::Status Registry::CheckNewModuleLocked(absl::string_view name,
                                            uint32_t kernel_id) const {
  if (by_name_.contains(name) || known_->Contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("module ", name, " is already registered"));
  }
  if (kernel_id != 0 && (kernel_ids_.Contains(kernel_id) || known_->ContainsKernelId(kernel_id))) {
    return absl::AlreadyExistsError(absl::StrCat(
        "module ", name, ": kernel BTF id ", kernel_id, " is already registered"));
  }
  return absl::OkStatus();
}

absl::StatusOr<BtfRef> Registry::PublishModule(absl::string_view name,
                                               std::unique_ptr<const Btf> btf,
                                               uint32_t kernel_id) {
  BtfRef ref;
  {
    MutexLock l(mu_);
    if (absl::Status s = CheckNewModuleLocked(name, kernel_id); !s.ok()) return s;
    ref = PublishLocked(std::move(btf), name, /*is_module=*/true, ModuleState::kComing, kernel_id);
  }
  DrainEvents();
  return ref;
}

absl::Status Registry::ModuleLive(absl::string_view name) {
  {
    MutexLock l(mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end() && !it->second.obj->is_module()) return BaseIsNoModule(name);
    if (it == by_name_.end()) {
      return absl::NotFoundError(
          absl::StrCat("module ", name, " is not coming (never registered?)"));
    }
    if (it->second.state == ModuleState::kLive) {
      return absl::FailedPreconditionError(
          absl::StrCat("module ", name, " is already live"));
    }
    it->second.state = ModuleState::kLive;
    internal::BtfObject* obj = it->second.obj;
    pending_events_.push_back(
        RegistryEvent{RegistryEvent::kLive, obj->id(), obj->name(), BtfRef::Take(obj)});
  }
  DrainEvents();
  return absl::OkStatus();
}

absl::Status Registry::ModuleGoing(absl::string_view name) {
  return Unload(name, /*force=*/false);
}

absl::Status Registry::ModuleGoingWait(absl::string_view name, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  {
    MutexLock l(mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end() && !it->second.obj->is_module()) return BaseIsNoModule(name);
    if (it == by_name_.end()) {
      return absl::NotFoundError(absl::StrCat("module ", name, " is not loaded (already gone?)"));
    }
    if (it->second.draining) {
      return absl::FailedPreconditionError(
          absl::StrCat("an unload of module ", name, " is already waiting"));
    }
    it->second.draining = true;  // no pin can be taken from here on
  }
  // The pins that were there run down; poll them, backing off to 1 ms.
  int32_t pins = 0;
  for (absl::Duration nap = absl::Microseconds(20);;
       nap = std::min(nap * 2, absl::Milliseconds(1))) {
    BtfRef dropped;  // destroyed after the lock is released
    {
      MutexLock l(mu_);
      auto it = by_name_.find(name);
      if (it == by_name_.end()) {
        return absl::NotFoundError(
            absl::StrCat("module ", name, " went while its unload waited (ModuleGone?)"));
      }
      pins = it->second.obj->pins();
      if (pins == 0) dropped = UnpublishLocked(it);  // under the lock that pins take
      if (pins != 0 && absl::Now() >= deadline) {
        it->second.draining = false;  // pinnable again, as before the call
        break;
      }
    }
    if (dropped) {
      DrainEvents();
      return absl::OkStatus();  // `dropped` goes after the events, as in Unload
    }
    absl::SleepFor(std::min(nap, deadline - absl::Now()));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "module ", name, " is still pinned by ", pins, " program(s) after ",
      absl::FormatDuration(timeout), "; it stays loaded and can be pinned again"));
}

absl::Status Registry::ModuleGone(absl::string_view name) {
  return Unload(name, /*force=*/true);
}

absl::Status Registry::Unload(absl::string_view name, bool force) {
  BtfRef dropped;  // destroyed after the lock is released
  {
    MutexLock l(mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end() && !it->second.obj->is_module()) return BaseIsNoModule(name);
    if (it == by_name_.end()) {
      // Known but never parsed, or failed: forgotten, nothing to unpublish.
      if (known_->Forget(name)) return absl::OkStatus();
      return absl::NotFoundError(
          absl::StrCat("module ", name, " is not loaded (already gone?)"));
    }
    const int32_t pins = it->second.obj->pins();
    if (pins != 0 && !force) {
      return absl::FailedPreconditionError(absl::StrCat(
          "module ", name, " is pinned by ", pins,
          " program(s) and cannot go (the kernel's rmmod fails with EBUSY)"));
    }
    dropped = UnpublishLocked(it);
  }
  DrainEvents();
  return absl::OkStatus();
}

BtfRef Registry::UnpublishLocked(EntryMap::iterator it) {
  internal::BtfObject* obj = it->second.obj;
  assert(obj->is_module() && "the base is never unpublished but by ~Registry");
  obj->going_.store(true, std::memory_order_release);
  ids_.Unpublish(obj);
  handles_.Unpublish(obj);
  ++unloads_;
  by_name_.erase(it);
  if (obj->kernel_id() != 0) kernel_ids_.Remove(obj);
  module_types_->Remove(obj);
  internal::StopThreadRefs(obj);
  // Counted as going until its last reference (the one returned) goes.
  counters_->going_referenced.fetch_add(1);
  pending_events_.push_back(RegistryEvent{RegistryEvent::kGoing, obj->id(), obj->name(), BtfRef()});
  return BtfRef(obj);  // adopts the registry's reference
}

absl::StatusOr<internal::BtfObject*> Registry::LiveModuleLocked(
    absl::string_view name) const {
  auto it = by_name_.find(name);
  if (it != by_name_.end() && !it->second.obj->is_module()) return BaseIsNoModule(name);
  if (it == by_name_.end()) {
    return absl::NotFoundError(absl::StrCat("module ", name, " is not loaded"));
  }
  if (it->second.state != ModuleState::kLive) {
    return absl::FailedPreconditionError(
        absl::StrCat("module ", name, " is still coming, not live"));
  }
  if (it->second.draining) {
    return absl::FailedPreconditionError(absl::StrCat(
        "module ", name, " is going: an unload waits for its pins to be released"));
  }
  return it->second.obj;
}

absl::StatusOr<BtfRef> Registry::TryGetModule(absl::string_view name) {
  if (absl::Status s = EnsureParsed(name); !s.ok()) return s;
  MutexLock l(mu_);
  absl::StatusOr<internal::BtfObject*> obj = LiveModuleLocked(name);
  if (!obj.ok()) return obj.status();
  return BtfRef::Take(*obj);
}

absl::StatusOr<ModulePin> Registry::TryPinModule(absl::string_view name) {
  if (absl::Status s = EnsureParsed(name); !s.ok()) return s;
  // Pinned under mu_, so that ModuleGoing either sees the pin or has already
  // removed the module.
  MutexLock l(mu_);
  absl::StatusOr<internal::BtfObject*> obj = LiveModuleLocked(name);
  if (!obj.ok()) return obj.status();
  if (!fault::Active(fault::kMissingPin)) {
    (*obj)->pins_.fetch_add(1, std::memory_order_acq_rel);
  }
  return ModulePin(BtfRef::Take(*obj));
}

absl::StatusOr<ModuleState> Registry::StateOf(absl::string_view name) const {
  MutexLock l(mu_);
  if (auto it = by_name_.find(name); it != by_name_.end()) {
    if (!it->second.obj->is_module()) return BaseIsNoModule(name);
    if (it->second.draining) return ModuleState::kGoing;
    return it->second.state;
  }
  if (known_->FindKnown(name) != nullptr) return ModuleState::kKnown;
  if (known_->Contains(name)) return ModuleState::kFailed;
  return absl::NotFoundError(absl::StrCat("no module ", name));
}

BtfRef Registry::GetByName(absl::string_view name) const {
  MutexLock l(mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return BtfRef();
  return BtfRef::Take(it->second.obj);
}

BtfRef Registry::GetByKernelIdSlow(uint32_t kernel_id) {
  if (BtfRef ref = GetLockFree([&] { return kernel_ids_.Lookup(kernel_id); })) return ref;
  // Not published: perhaps a module only known, to be parsed now.
  if (UnparsedLockFree() == 0) return BtfRef();
  std::string known;
  {
    MutexLock l(mu_);
    std::optional<std::string> name = known_->NameOfKernelId(kernel_id);
    if (!name) return BtfRef();
    known = *std::move(name);
  }
  if (!EnsureParsed(known).ok()) return BtfRef();
  MutexLock l(mu_);
  internal::BtfObject* obj = kernel_ids_.Find(kernel_id);
  return obj == nullptr || obj->going() ? BtfRef() : BtfRef::Take(obj);
}

std::vector<BtfRef> Registry::Snapshot() const {
  std::vector<BtfRef> out;
  MutexLock l(mu_);
  out.reserve(by_name_.size());
  for (const auto& [name, entry] : by_name_) out.push_back(BtfRef::Take(entry.obj));
  std::sort(out.begin(), out.end(), [](const BtfRef& a, const BtfRef& b) {
    if (a.is_module() != b.is_module()) return !a.is_module();
    return a.id() < b.id();
  });
  return out;
}

int Registry::AddObserver(Observer fn) {
  MutexLock n(notify_mu_);
  int handle = next_observer_++;
  observers_.emplace_back(handle, std::move(fn));
  return handle;
}

void Registry::RemoveObserver(int handle) {
  MutexLock n(notify_mu_);
  for (auto it = observers_.begin(); it != observers_.end(); ++it) {
    if (it->first == handle) {
      observers_.erase(it);
      return;
    }
  }
}

void Registry::DrainEvents() {
  // Delivered events hold references; they are released once no registry
  // lock is held.
  std::vector<RegistryEvent> delivered;
  {
    MutexLock n(notify_mu_);
    for (;;) {
      std::vector<RegistryEvent> batch;
      {
        MutexLock l(mu_);
        batch.swap(pending_events_);
      }
      if (batch.empty()) break;
      for (const RegistryEvent& e : batch) {
        for (const auto& [handle, fn] : observers_) fn(e);
      }
      for (RegistryEvent& e : batch) delivered.push_back(std::move(e));
    }
  }
}

RegistryStats Registry::Stats() const {
  RegistryStats s;
  MutexLock l(mu_);
  s.live_objects = static_cast<int64_t>(ids_.published());
  for (const auto& [name, entry] : by_name_) {
    if (!entry.obj->is_module()) continue;
    if (entry.state == ModuleState::kComing) ++s.modules_coming;
    if (entry.state == ModuleState::kLive) ++s.modules_live;
  }
  s.modules_known = static_cast<int64_t>(known_->known_count());
  s.modules_failed = static_cast<int64_t>(known_->failed_count());
  s.going_referenced = counters_->going_referenced.load();
  s.awaiting_grace = counters_->awaiting_grace.load();
  s.loads = loads_;
  s.unloads = unloads_;
  s.bytes = counters_->bytes.load();
  s.freed = counters_->freed.load();
  s.underflows = counters_->underflows.load();
  return s;
}

void Registry::SetNextIdForTesting(uint32_t next) {
  MutexLock l(mu_);
  ids_.SetNextId(next);
}

}  // namespace btfreg
