// Known modules of Registry (registry.h): registered without parsing,
// parsed on first use, once, and recorded when their BTF fails. The table
// itself is internal::KnownModules.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "registry/internal/known_modules.h"
#include "registry/registry.h"

namespace btfreg {

absl::Status Registry::ModuleKnown(absl::string_view name, ModuleLoader loader,
                                   uint32_t kernel_id) {
  MutexLock l(mu_);
  if (absl::Status s = CheckNewModuleLocked(name, kernel_id); !s.ok()) return s;
  known_->Add(name, std::move(loader), kernel_id);
  return absl::OkStatus();
}

size_t Registry::UnparsedLockFree() const { return known_->unparsed(); }

absl::Status Registry::EnsureParsed(absl::string_view name) {
  // The common case, no module known or failed: nothing to do, no lock.
  if (UnparsedLockFree() == 0) return absl::OkStatus();
  std::shared_ptr<internal::ParseOnce> once;
  ModuleLoader loader;
  {
    MutexLock l(mu_);
    if (std::optional<absl::Status> error = known_->FailedError(name)) return *error;
    const internal::KnownModules::Known* k = known_->FindKnown(name);
    if (k == nullptr) return absl::OkStatus();  // registered, or unknown
    once = k->once;
    loader = k->loader;
  }
  // One parse: whoever comes first parses (without the registry lock), the
  // others wait here for its outcome.
  MutexLock o(once->mu);
  if (once->done) return once->status.Get();
  absl::StatusOr<std::unique_ptr<const Btf>> btf = absl::FailedPreconditionError(
      absl::StrCat("module ", name, ": the registry has no base BTF to split it on"));
  BtfRef base = this->base();
  if (base) btf = loader(*base);
  if (btf.ok()) {
    if (absl::Status fits = FitsBase(name, **btf, base.get()); !fits.ok()) btf = fits;
  }
  absl::Status status;
  if (!btf.ok()) {
    status = absl::Status(btf.status().code(),
                          absl::StrCat("module ", name, ": ", btf.status().message()));
  }
  {
    MutexLock l(mu_);
    const internal::KnownModules::Known* k = known_->FindKnown(name);
    const uint32_t kernel_id = k != nullptr ? k->kernel_id : 0;
    if (!known_->Settle(name, once.get(), status)) {
      status = absl::NotFoundError(absl::StrCat("module ", name, " went while it was being parsed"));
    } else if (btf.ok()) {
      // Not the last reference (the registry holds one): safe to drop here.
      BtfRef ref = PublishLocked(std::move(*btf), name, /*is_module=*/true, ModuleState::kLive,
                                 kernel_id);
      pending_events_.push_back(RegistryEvent{RegistryEvent::kLive, ref.id(), ref.name(), ref});
    }
  }
  DrainEvents();
  once->done = true;
  once->status = internal::StoredStatus(status);
  return status;
}

int Registry::PreloadModules() {
  std::vector<std::string> names;
  {
    MutexLock l(mu_);
    names = known_->KnownNames();
  }
  int failed = 0;
  for (const std::string& name : names) failed += !EnsureParsed(name).ok();
  return failed;
}

std::vector<FailedModule> Registry::FailedModules() const {
  MutexLock l(mu_);
  return known_->Failed();
}

}  // namespace btfreg
