#include "verifier_state/used_btfs.h"

#include "absl/strings/str_cat.h"

namespace btfreg {

bool UsedBtfs::Contains(const BtfRef& ref) const {
  for (const BtfRef& r : refs_) {
    if (r == ref) return true;
  }
  for (const ModulePin& p : pins_) {
    if (p.ref() == ref) return true;
  }
  return false;
}

absl::StatusOr<BtfRef> UsedBtfs::Add(absl::string_view name) {
  for (const BtfRef& r : refs_) {
    if (r.name() == name) return r;
  }
  for (const ModulePin& p : pins_) {
    if (p.ref().name() == name) return p.ref();
  }
  if (refs_.size() + pins_.size() >= kMaxUsedBtfs) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "program already uses ", kMaxUsedBtfs, " BTF objects"));
  }
  BtfRef base = registry_.base();
  if (base && base.name() == name) {
    refs_.push_back(base);
    return base;
  }
  absl::StatusOr<ModulePin> pin = registry_.TryPinModule(name);
  if (!pin.ok()) return pin.status();
  BtfRef ref = pin->ref();
  pins_.push_back(std::move(*pin));
  return ref;
}

absl::StatusOr<BtfRef> UsedBtfs::AddById(uint32_t id) {
  BtfRef ref = registry_.GetById(id);
  if (!ref) {
    return absl::NotFoundError(absl::StrCat("no BTF object with id ", id));
  }
  absl::StatusOr<BtfRef> added = Add(ref.name());
  // The name may have been reused by a newer object since the lookup.
  if (added.ok() && *added != ref) {
    return absl::NotFoundError(absl::StrCat("BTF object ", id, " went"));
  }
  return added;
}

void UsedBtfs::Clear() {
  pins_.clear();
  refs_.clear();
}

}  // namespace btfreg
