// Known modules of Registry (registry.h): registered without parsing,
// parsed on first use, once, and recorded when their BTF fails.

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "registry/registry.h"

namespace btfreg {

absl::Status Registry::ModuleKnown(absl::string_view name, ModuleLoader loader,
                                   uint32_t kernel_id) {
  MutexLock l(mu_);
  if (by_name_.contains(name) || known_.contains(name) || failed_.contains(name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("module ", name, " is already registered"));
  }
  if (kernel_id != 0 &&
      (by_kernel_id_.contains(kernel_id) || known_by_kernel_id_.contains(kernel_id))) {
    return absl::AlreadyExistsError(absl::StrCat(
        "module ", name, ": kernel BTF id ", kernel_id, " is already registered"));
  }
  known_[std::string(name)] = Known{std::move(loader), kernel_id,
                                    std::make_shared<ParseOnce>()};
  if (kernel_id != 0) known_by_kernel_id_[kernel_id] = std::string(name);
  CountUnparsedLocked();
  return absl::OkStatus();
}

absl::Status Registry::EnsureParsed(absl::string_view name) {
  // The common case, no module known or failed: nothing to do, no lock.
  if (unparsed_.load(std::memory_order_acquire) == 0) return absl::OkStatus();
  std::shared_ptr<ParseOnce> once;
  ModuleLoader loader;
  uint32_t kernel_id = 0;
  {
    MutexLock l(mu_);
    if (auto f = failed_.find(name); f != failed_.end()) return f->second.error.Get();
    auto k = known_.find(name);
    if (k == known_.end()) return absl::OkStatus();  // registered, or unknown
    once = k->second.once;
    loader = k->second.loader;
    kernel_id = k->second.kernel_id;
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
  {
    MutexLock l(mu_);
    auto k = known_.find(name);
    if (k == known_.end() || k->second.once != once) {
      status = absl::NotFoundError(
          absl::StrCat("module ", name, " went while it was being parsed"));
    } else {
      known_.erase(k);
      if (kernel_id != 0) known_by_kernel_id_.erase(kernel_id);
      if (btf.ok()) {
        BtfRef ref = PublishLocked(std::move(*btf), name, /*is_module=*/true, kernel_id);
        by_name_[std::string(name)] = Entry{ref.obj_, ModuleState::kLive};
        pending_events_.push_back(RegistryEvent{RegistryEvent::kLive, ref.id(),
                                                ref.name(), ref});
        // `ref` is not the last reference (the registry holds one): safe
        // to drop under the lock.
      } else {
        status = absl::Status(btf.status().code(),
                              absl::StrCat("module ", name, ": ", btf.status().message()));
        failed_[std::string(name)] = Failed{kernel_id, KeptError(status)};
      }
      CountUnparsedLocked();
    }
  }
  DrainEvents();
  once->done = true;
  once->status = KeptError(status);
  return status;
}

int Registry::PreloadModules() {
  std::vector<std::string> names;
  {
    MutexLock l(mu_);
    for (const auto& [name, known] : known_) names.push_back(name);
  }
  int failed = 0;
  for (const std::string& name : names) failed += !EnsureParsed(name).ok();
  return failed;
}

std::vector<FailedModule> Registry::FailedModules() const {
  MutexLock l(mu_);
  std::vector<FailedModule> out;
  for (const auto& [name, f] : failed_) {
    out.push_back(FailedModule{name, f.kernel_id, f.error.Get()});
  }
  std::sort(out.begin(), out.end(),
            [](const FailedModule& a, const FailedModule& b) { return a.name < b.name; });
  return out;
}

}  // namespace btfreg
