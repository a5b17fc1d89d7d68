#include "registry/internal/type_index.h"

#include <algorithm>

namespace btfreg {
namespace internal {

int KindClass(int kind) { return kind == BTF_KIND_ENUM64 ? BTF_KIND_ENUM : kind; }

namespace {
// Calls fn(key, type_id) for each named type `btf` defines itself.
template <typename Fn>
void ForEachOwnNamedType(const Btf& btf, Fn&& fn) {
  for (uint32_t id = btf.start_id(); id < btf.type_count(); ++id) {
    const absl::string_view name = btf.type_name(id);
    if (name.empty()) continue;
    fn(std::make_pair(std::string(EssentialName(name)), KindClass(btf.kind(id))), id);
  }
}
}  // namespace

void TypeIndex::Add(BtfObject* obj) {
  ForEachOwnNamedType(obj->btf(), [&](std::pair<std::string, int> key, uint32_t id) {
    postings_[std::move(key)].push_back(Posting{obj, id});
  });
}

void TypeIndex::Remove(const BtfObject* obj) {
  ForEachOwnNamedType(obj->btf(), [&](const std::pair<std::string, int>& key, uint32_t) {
    auto it = postings_.find(key);
    if (it == postings_.end()) return;
    std::vector<Posting>& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [obj](const Posting& p) { return p.obj == obj; }),
            v.end());
    if (v.empty()) postings_.erase(it);
  });
}

absl::Span<const TypeIndex::Posting> TypeIndex::Find(absl::string_view essential_name,
                                                     int kind) const {
  auto it = postings_.find(std::make_pair(std::string(essential_name), KindClass(kind)));
  if (it == postings_.end()) return {};
  return it->second;
}

}  // namespace internal
}  // namespace btfreg
