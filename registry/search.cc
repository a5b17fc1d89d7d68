// Registry-wide type search of Registry (registry.h): the base answers from
// its own name index, modules from the postings of internal::TypeIndex.

#include <string>
#include <vector>

#include "registry/internal/type_index.h"
#include "registry/registry.h"

namespace btfreg {

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
    const Btf& base = base_->btf();
    std::vector<uint32_t> ids;
    if (candidates) {
      ids = base.OwnCandidates(essential, kind);
      if (internal::KindClass(kind) == BTF_KIND_ENUM) {
        std::vector<uint32_t> other =
            base.OwnCandidates(essential, kind == BTF_KIND_ENUM ? BTF_KIND_ENUM64 : BTF_KIND_ENUM);
        ids.insert(ids.end(), other.begin(), other.end());
      }
    } else {
      ids = base.OwnTypesNamed(name, kind);
    }
    for (uint32_t id : ids) out.push_back(TypeMatch{BtfRef::Take(base_), id});
  }
  for (const internal::TypeIndex::Posting& p : module_types_->Find(essential, kind)) {
    const Btf& btf = p.obj->btf();
    if (!candidates && (btf.kind(p.type_id) != kind || btf.type_name(p.type_id) != name)) continue;
    out.push_back(TypeMatch{BtfRef::Take(p.obj), p.type_id});
  }
  return out;
}

}  // namespace btfreg
