// The registry-wide type index of Registry (registry.h): the base answers
// from its own name index, modules from postings kept as they come and go.

#include <algorithm>
#include <string>
#include <utility>

#include "registry/registry.h"

namespace btfreg {

namespace {
// Kinds that CO-RE treats as one: ENUM and ENUM64.
int KindClass(int kind) { return kind == BTF_KIND_ENUM64 ? BTF_KIND_ENUM : kind; }
}  // namespace

void Registry::IndexLocked(internal::BtfObject* obj, bool add) {
  const Btf& btf = *obj->btf;
  for (uint32_t id = btf.start_id(); id < btf.type_count(); ++id) {
    const absl::string_view name = btf.type_name(id);
    if (name.empty()) continue;
    const auto key = std::make_pair(std::string(EssentialName(name)), KindClass(btf.kind(id)));
    if (add) {
      module_types_[key].push_back(Posting{obj, id});
      continue;
    }
    auto it = module_types_.find(key);
    if (it == module_types_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(),
                           [obj](const Posting& p) { return p.obj == obj; }),
            v.end());
    if (v.empty()) module_types_.erase(it);
  }
}

std::vector<TypeMatch> Registry::FindTypes(absl::string_view name, int kind, Scope scope) {
  return Search(name, kind, /*candidates=*/false, scope);
}

std::vector<TypeMatch> Registry::FindCandidates(absl::string_view local_name, int kind,
                                                Scope scope) {
  return Search(local_name, kind, /*candidates=*/true, scope);
}

std::vector<TypeMatch> Registry::Search(absl::string_view name, int kind, bool candidates,
                                        Scope scope) {
  if (scope == Scope::kAll) PreloadModules();
  const absl::string_view essential = EssentialName(name);
  std::vector<TypeMatch> out;
  MutexLock l(mu_);
  if (base_ != nullptr) {
    const Btf& base = *base_->btf;
    std::vector<uint32_t> ids;
    if (candidates) {
      ids = base.OwnCandidates(essential, kind);
      if (KindClass(kind) == BTF_KIND_ENUM) {
        std::vector<uint32_t> other =
            base.OwnCandidates(essential, kind == BTF_KIND_ENUM ? BTF_KIND_ENUM64 : BTF_KIND_ENUM);
        ids.insert(ids.end(), other.begin(), other.end());
      }
    } else {
      ids = base.OwnTypesNamed(name, kind);
    }
    for (uint32_t id : ids) out.push_back(TypeMatch{BtfRef::Take(base_), id});
  }
  auto it = module_types_.find(std::make_pair(std::string(essential), KindClass(kind)));
  if (it != module_types_.end()) {
    for (const Posting& p : it->second) {
      if (!candidates && (p.obj->btf->kind(p.type_id) != kind ||
                          p.obj->btf->type_name(p.type_id) != name)) {
        continue;
      }
      out.push_back(TypeMatch{BtfRef::Take(p.obj), p.type_id});
    }
  }
  return out;
}

}  // namespace btfreg
