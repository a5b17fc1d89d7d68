#include "registry/internal/known_modules.h"

#include <algorithm>
#include <cassert>

namespace btfreg {
namespace internal {

bool KnownModules::Contains(absl::string_view name) const {
  return known_.contains(name) || failed_.contains(name);
}

bool KnownModules::ContainsKernelId(uint32_t kernel_id) const {
  return known_by_kernel_id_.contains(kernel_id);
}

void KnownModules::Add(absl::string_view name, ModuleLoader loader, uint32_t kernel_id) {
  assert(!Contains(name) && "KnownModules::Add of a name it has");
  assert((kernel_id == 0 || !ContainsKernelId(kernel_id)) &&
         "KnownModules::Add of a kernel id it has");
  known_[std::string(name)] = Known{std::move(loader), kernel_id, std::make_shared<ParseOnce>()};
  if (kernel_id != 0) known_by_kernel_id_[kernel_id] = std::string(name);
  Count();
}

bool KnownModules::Forget(absl::string_view name) {
  if (auto k = known_.find(name); k != known_.end()) {
    known_by_kernel_id_.erase(k->second.kernel_id);
    known_.erase(k);
  } else if (failed_.erase(name) == 0) {
    return false;
  }
  Count();
  return true;
}

const KnownModules::Known* KnownModules::FindKnown(absl::string_view name) const {
  auto k = known_.find(name);
  return k == known_.end() ? nullptr : &k->second;
}

std::optional<absl::Status> KnownModules::FailedError(absl::string_view name) const {
  auto f = failed_.find(name);
  if (f == failed_.end()) return std::nullopt;
  return f->second.error.Get();
}

std::optional<std::string> KnownModules::NameOfKernelId(uint32_t kernel_id) const {
  auto k = known_by_kernel_id_.find(kernel_id);
  if (k == known_by_kernel_id_.end()) return std::nullopt;
  return k->second;
}

bool KnownModules::Settle(absl::string_view name, const ParseOnce* once,
                          const absl::Status& error) {
  auto k = known_.find(name);
  if (k == known_.end() || k->second.once.get() != once) return false;
  const uint32_t kernel_id = k->second.kernel_id;
  if (kernel_id != 0) known_by_kernel_id_.erase(kernel_id);
  known_.erase(k);
  if (!error.ok()) failed_[std::string(name)] = Failure{kernel_id, StoredStatus(error)};
  Count();
  return true;
}

std::vector<std::string> KnownModules::KnownNames() const {
  std::vector<std::string> names;
  for (const auto& [name, known] : known_) names.push_back(name);
  return names;
}

std::vector<FailedModule> KnownModules::Failed() const {
  std::vector<FailedModule> out;
  for (const auto& [name, f] : failed_) out.push_back(FailedModule{name, f.kernel_id, f.error.Get()});
  std::sort(out.begin(), out.end(),
            [](const FailedModule& a, const FailedModule& b) { return a.name < b.name; });
  return out;
}

void KnownModules::Clear() {
  known_.clear();
  known_by_kernel_id_.clear();
  failed_.clear();
  Count();
}

}  // namespace internal
}  // namespace btfreg
