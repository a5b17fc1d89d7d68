#include "registry/registry.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "registry/fault.h"

namespace btfreg {

#ifdef BTFREG_FAULT_INJECTION
fault::Fault fault::g_active = fault::kNone;
void (*fault::g_get_by_id_window)(uint32_t id) = nullptr;
#endif

namespace internal {

namespace {
void FreeObject(void* arg) {
  BtfObject* obj = static_cast<BtfObject*>(arg);
  std::shared_ptr<Counters> counters = std::move(obj->counters);
  counters->bytes.fetch_sub(obj->btf->Memory().total());
  // Dropping obj->base here may queue the base's own free.
  delete obj;
  counters->awaiting_grace.fetch_sub(1);
  counters->freed.fetch_add(1);
}
}  // namespace

void Put(BtfObject* obj) {
  const int32_t before = obj->refcnt.fetch_sub(1, std::memory_order_acq_rel);
  if (before != 1) {
    // More puts than gets: a reference was dropped that nobody took. The
    // object may already be freed, so this is reported, not repaired.
    if (before <= 0) obj->counters->underflows.fetch_add(1);
    return;
  }
  // The last reference: nobody can take a new one (lookups increment only
  // if not zero), but a reader may still be looking at the object.
  if (obj->going.load(std::memory_order_acquire)) {
    obj->counters->going_referenced.fetch_sub(1);
  }
  obj->counters->awaiting_grace.fetch_add(1);
  if (fault::Active(fault::kSkipGracePeriod)) {
    FreeObject(obj);  // readers in a read section may still be using it
    return;
  }
  rcu::CallAfterGracePeriod(&obj->rcu, FreeObject, obj);
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

bool IncrementIfNotZero(std::atomic<int32_t>& count) {
  int32_t n = count.load(std::memory_order_relaxed);
  while (n != 0) {
    if (count.compare_exchange_weak(n, n + 1, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
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
    ref_.obj_->pins.fetch_sub(1, std::memory_order_release);
  }
  ref_.reset();
}

Registry::Registry(Options options)
    : options_(options),
      table_(new Table(16)),
      handles_(new std::atomic<internal::BtfObject*>[kHandleSlots]),
      counters_(std::make_shared<internal::Counters>()) {
  MutexLock l(mu_);
  handle_gens_.assign(kHandleSlots, 0);
  for (uint32_t i = 0; i < kHandleSlots; ++i) {
    handles_[i].store(nullptr, std::memory_order_relaxed);
    free_handles_.push_back(static_cast<uint16_t>(kHandleSlots - 1 - i));
  }
}

Registry::~Registry() {
  std::vector<BtfRef> dropped;
  {
    MutexLock l(mu_);
    Table* t = table_.load(std::memory_order_relaxed);
    for (uint32_t i = 0; i < t->size(); ++i) {
      internal::BtfObject* obj = t->slots[i].exchange(nullptr);
      if (obj == nullptr) continue;
      if (obj->handle.gen != 0) handles_[obj->handle.slot].store(nullptr);
      obj->going.store(true);
      counters_->going_referenced.fetch_add(1);
      dropped.push_back(BtfRef(obj));  // adopts the registry's reference
    }
    by_name_.clear();
    by_kernel_id_.clear();
    module_types_.clear();
    known_.clear();
    known_by_kernel_id_.clear();
    base_ = nullptr;
  }
  dropped.clear();
  // No thread uses the registry any more (REQUIRES), so the table can go now.
  delete table_.load();
  rcu::Barrier();
}

BtfRef Registry::PublishLocked(std::unique_ptr<const Btf> btf,
                               absl::string_view name, bool is_module,
                               uint32_t kernel_id) {
  if ((published_ + 1) * 2 > table_.load(std::memory_order_relaxed)->size()) {
    GrowLocked();
  }
  auto* obj = new internal::BtfObject;  // refcnt 1: the registry's
  obj->id = AllocateIdLocked();
  obj->name = std::string(name);
  obj->is_module = is_module;
  obj->kernel_id = kernel_id;
  if (kernel_id != 0) by_kernel_id_[kernel_id] = obj;
  obj->counters = counters_;
  counters_->bytes.fetch_add(btf->Memory().total());
  obj->btf = std::move(btf);
  if (obj->btf->base() != nullptr) {
    obj->base = std::make_unique<BtfRef>(BtfRef::Take(base_));
  }
  if (!free_handles_.empty()) {
    const uint16_t slot = free_handles_.back();
    free_handles_.pop_back();
    uint16_t gen = ++handle_gens_[slot];
    if (gen == 0) gen = ++handle_gens_[slot];  // 0 means "no handle"
    obj->handle = BtfHandle{slot, gen};
    handles_[slot].store(obj, std::memory_order_release);
  }
  Table* t = table_.load(std::memory_order_relaxed);
  // Release: a reader that sees the pointer sees the initialized object.
  t->slots[obj->id & t->mask].store(obj, std::memory_order_release);
  ++published_;
  ++loads_;
  if (is_module) IndexLocked(obj, /*add=*/true);
  pending_events_.push_back(RegistryEvent{RegistryEvent::kLoaded, obj->id,
                                         obj->name, BtfRef::Take(obj)});
  return BtfRef::Take(obj);
}

uint32_t Registry::AllocateIdLocked() {
  Table* t = table_.load(std::memory_order_relaxed);
  // The table is at most half full, so a free slot is near.
  if (options_.id_policy == Options::IdPolicy::kLowestFree) next_id_ = 1;
  for (;;) {
    uint32_t id = next_id_;
    next_id_ = id == kMaxId ? 1 : id + 1;
    if (t->slots[id & t->mask].load(std::memory_order_relaxed) == nullptr) {
      return id;
    }
  }
}

void Registry::GrowLocked() {
  Table* old = table_.load(std::memory_order_relaxed);
  Table* grown = new Table(old->size() * 2);
  // Distinct slots modulo the old size stay distinct modulo the new one.
  for (uint32_t i = 0; i < old->size(); ++i) {
    internal::BtfObject* obj = old->slots[i].load(std::memory_order_relaxed);
    if (obj != nullptr) {
      grown->slots[obj->id & grown->mask].store(obj, std::memory_order_relaxed);
    }
  }
  table_.store(grown, std::memory_order_release);
  rcu::CallAfterGracePeriod(&old->rcu, FreeTable, old);
}

void Registry::FreeTable(void* table) { delete static_cast<Table*>(table); }

BtfRef Registry::GetById(uint32_t id) const {
  internal::BtfObject* found = nullptr;
  {
    rcu::ReadSection rs;
    auto* obj = const_cast<internal::BtfObject*>(Lookup(id));
    if (obj != nullptr) fault::GetByIdWindow(id);
    if (fault::Active(fault::kPrematurePut)) {
      found = obj;  // a reference handed out that was never taken
    } else if (obj != nullptr && IncrementIfNotZero(obj->refcnt)) {
      found = obj;
    }
  }
  BtfRef ref(found);
  // Went between the lookup and the increment: it is not ours to return.
  if (ref && ref.going()) ref.reset();
  return ref;
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
          "registry already has a base (", base_->name, ", id ", base_->id,
          ")"));
    }
    if (btf->base() != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(btf->name(), ": split BTF cannot be the base"));
    }
    ref = PublishLocked(std::move(btf), "vmlinux", /*is_module=*/false,
                        kernel_id);
    base_ = ref.obj_;
    by_name_["vmlinux"] = Entry{base_, ModuleState::kLive};
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
  return ComeWith(name, [&](const Btf& base) {
    return Btf::LoadSplitBytes(split_btf, absl::StrCat("module ", name), base);
  });
}

absl::StatusOr<BtfRef> Registry::ModuleComingFromFile(absl::string_view name,
                                                      absl::string_view path) {
  return ComeWith(name, [&](const Btf& base)
                            -> absl::StatusOr<std::unique_ptr<Btf>> {
    auto btf = Btf::LoadSplitFile(path, base);
    if (btf.ok()) return btf;
    return absl::Status(btf.status().code(), absl::StrCat("module ", name, ": ",
                                                          btf.status().message()));
  });
}

absl::StatusOr<BtfRef> Registry::ComeWith(
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

absl::StatusOr<BtfRef> Registry::PublishModule(absl::string_view name,
                                               std::unique_ptr<const Btf> btf,
                                               uint32_t kernel_id) {
  BtfRef ref;
  {
    MutexLock l(mu_);
    if (by_name_.contains(name) || known_.contains(name) || failed_.contains(name)) {
      return absl::AlreadyExistsError(
          absl::StrCat("module ", name, " is already registered"));
    }
    if (kernel_id != 0 && by_kernel_id_.contains(kernel_id)) {
      return absl::AlreadyExistsError(absl::StrCat(
          "module ", name, ": kernel BTF id ", kernel_id,
          " is already registered"));
    }
    ref = PublishLocked(std::move(btf), name, /*is_module=*/true, kernel_id);
    by_name_[std::string(name)] = Entry{ref.obj_, ModuleState::kComing};
  }
  DrainEvents();
  return ref;
}

absl::Status Registry::ModuleLive(absl::string_view name) {
  {
    MutexLock l(mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end() && !it->second.obj->is_module) return BaseIsNoModule(name);
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
    pending_events_.push_back(RegistryEvent{RegistryEvent::kLive, obj->id,
                                           obj->name, BtfRef::Take(obj)});
  }
  DrainEvents();
  return absl::OkStatus();
}

absl::Status Registry::ModuleGoing(absl::string_view name) {
  return GoingImpl(name, /*force=*/false);
}

absl::Status Registry::ModuleGoingWait(absl::string_view name, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  {
    MutexLock l(mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end() && !it->second.obj->is_module) return BaseIsNoModule(name);
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
      pins = it->second.obj->pins.load(std::memory_order_acquire);
      if (pins == 0) dropped = UnpublishLocked(it);  // under the lock that pins take
      if (pins != 0 && absl::Now() >= deadline) {
        it->second.draining = false;  // pinnable again, as before the call
        break;
      }
    }
    if (dropped) {
      DrainEvents();
      return absl::OkStatus();  // `dropped` goes after the events, as in GoingImpl
    }
    absl::SleepFor(std::min(nap, deadline - absl::Now()));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "module ", name, " is still pinned by ", pins, " program(s) after ",
      absl::FormatDuration(timeout), "; it stays loaded and can be pinned again"));
}

absl::Status Registry::ModuleGone(absl::string_view name) {
  return GoingImpl(name, /*force=*/true);
}

absl::Status Registry::GoingImpl(absl::string_view name, bool force) {
  BtfRef dropped;  // destroyed after the lock is released
  {
    MutexLock l(mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end() && !it->second.obj->is_module) return BaseIsNoModule(name);
    if (it == by_name_.end()) {
      // Known but never parsed, or failed: forgotten, nothing to unpublish.
      if (auto k = known_.find(name); k != known_.end()) {
        known_by_kernel_id_.erase(k->second.kernel_id);
        known_.erase(k);
        CountUnparsedLocked();
        return absl::OkStatus();
      }
      if (failed_.erase(name) != 0) {
        CountUnparsedLocked();
        return absl::OkStatus();
      }
      return absl::NotFoundError(
          absl::StrCat("module ", name, " is not loaded (already gone?)"));
    }
    internal::BtfObject* obj = it->second.obj;
    int32_t pins = obj->pins.load(std::memory_order_acquire);
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

BtfRef Registry::UnpublishLocked(absl::flat_hash_map<std::string, Entry>::iterator it) {
  internal::BtfObject* obj = it->second.obj;
  obj->going.store(true, std::memory_order_release);
  Table* t = table_.load(std::memory_order_relaxed);
  t->slots[obj->id & t->mask].store(nullptr, std::memory_order_release);
  if (obj->handle.gen != 0) {
    handles_[obj->handle.slot].store(nullptr, std::memory_order_release);
    free_handles_.push_back(obj->handle.slot);
  }
  --published_;
  ++unloads_;
  by_name_.erase(it);
  if (obj->kernel_id != 0) by_kernel_id_.erase(obj->kernel_id);
  IndexLocked(obj, /*add=*/false);
  // Counted as going until its last reference (the one returned) goes.
  counters_->going_referenced.fetch_add(1);
  pending_events_.push_back(
      RegistryEvent{RegistryEvent::kGoing, obj->id, obj->name, BtfRef()});
  return BtfRef(obj);  // adopts the registry's reference
}

absl::StatusOr<internal::BtfObject*> Registry::LiveModuleLocked(
    absl::string_view name) const {
  auto it = by_name_.find(name);
  if (it != by_name_.end() && !it->second.obj->is_module) return BaseIsNoModule(name);
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
    (*obj)->pins.fetch_add(1, std::memory_order_acq_rel);
  }
  return ModulePin(BtfRef::Take(*obj));
}

absl::StatusOr<ModuleState> Registry::StateOf(absl::string_view name) const {
  MutexLock l(mu_);
  if (auto it = by_name_.find(name); it != by_name_.end()) {
    if (!it->second.obj->is_module) return BaseIsNoModule(name);
    if (it->second.draining) return ModuleState::kGoing;
    return it->second.state;
  }
  if (known_.contains(name)) return ModuleState::kKnown;
  if (failed_.contains(name)) return ModuleState::kFailed;
  return absl::NotFoundError(absl::StrCat("no module ", name));
}

BtfRef Registry::GetByName(absl::string_view name) const {
  MutexLock l(mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return BtfRef();
  return BtfRef::Take(it->second.obj);
}

BtfRef Registry::GetByKernelId(uint32_t kernel_id) {
  std::string known;
  {
    MutexLock l(mu_);
    auto it = by_kernel_id_.find(kernel_id);
    if (it != by_kernel_id_.end()) return BtfRef::Take(it->second);
    auto k = known_by_kernel_id_.find(kernel_id);
    if (k == known_by_kernel_id_.end()) return BtfRef();
    known = k->second;
  }
  if (!EnsureParsed(known).ok()) return BtfRef();
  MutexLock l(mu_);
  auto it = by_kernel_id_.find(kernel_id);
  return it == by_kernel_id_.end() ? BtfRef() : BtfRef::Take(it->second);
}

std::vector<BtfRef> Registry::Snapshot() const {
  std::vector<BtfRef> out;
  MutexLock l(mu_);
  out.reserve(published_);
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
  s.live_objects = static_cast<int64_t>(published_);
  for (const auto& [name, entry] : by_name_) {
    if (!entry.obj->is_module) continue;
    if (entry.state == ModuleState::kComing) ++s.modules_coming;
    if (entry.state == ModuleState::kLive) ++s.modules_live;
  }
  s.modules_known = static_cast<int64_t>(known_.size());
  s.modules_failed = static_cast<int64_t>(failed_.size());
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
  next_id_ = next;
}

}  // namespace btfreg
