#include "btf/name_index.h"
#include "btf/type_table.h"

#include <bpf/btf.h>

#include <utility>

#include "absl/hash/hash.h"
#include "btf/btf.h"

namespace btfreg {

NameIndex::NameIndex() = default;

NameIndex::Key NameIndex::KeyOf(const TypeTable* btf, uint32_t id) {
  const struct btf_type* t = btf->type(id);
  const char* name = btf->str(t->name_off);
  return Key{name ? absl::string_view(name) : absl::string_view(),
             btf_kind(t)};
}

size_t NameIndex::Hash::operator()(const Key& key) const {
  return absl::Hash<std::pair<absl::string_view, int>>{}({key.name, key.kind});
}

size_t NameIndex::Hash::operator()(uint32_t id) const {
  return (*this)(KeyOf(btf, id));
}

bool NameIndex::Eq::operator()(const Key& key, uint32_t id) const {
  Key other = KeyOf(btf, id);
  return key.kind == other.kind && key.name == other.name;
}

void NameIndex::Build(const TypeTable* btf, uint32_t first, uint32_t end) {
  size_t named = 0;
  for (uint32_t id = first; id < end; ++id) {
    named += btf->type(id)->name_off != 0;
  }
  // Sized once: rehashing would recompute every hash from the BTF.
  ids_ = absl::flat_hash_set<uint32_t, Hash, Eq>(named, Hash{btf}, Eq{btf});
  for (uint32_t id = first; id < end; ++id) {
    const struct btf_type* t = btf->type(id);
    if (t->name_off == 0) continue;
    // insert() keeps the first (lowest) id of a duplicated name and kind.
    auto [it, inserted] = ids_.insert(id);
    if (!inserted) dups_[*it].push_back(id);
    const Key key = KeyOf(btf, id);
    const absl::string_view essential = EssentialName(key.name);
    if (essential.size() != key.name.size()) {
      flavors_[{std::string(essential), key.kind}].push_back(id);
    }
  }
}

std::vector<uint32_t> NameIndex::FindAll(absl::string_view name, int kind) const {
  std::vector<uint32_t> out;
  auto it = ids_.find(Key{name, kind});
  if (it == ids_.end()) return out;
  out.push_back(*it);
  if (auto d = dups_.find(*it); d != dups_.end()) {
    out.insert(out.end(), d->second.begin(), d->second.end());
  }
  return out;
}

std::vector<uint32_t> NameIndex::FindFlavors(absl::string_view essential,
                                             int kind) const {
  auto it = flavors_.find(std::make_pair(std::string(essential), kind));
  return it == flavors_.end() ? std::vector<uint32_t>() : it->second;
}



uint32_t NameIndex::Find(absl::string_view name, int kind) const {
  auto it = ids_.find(Key{name, kind});
  return it == ids_.end() ? 0 : *it;
}

size_t NameIndex::bytes() const {
  // One slot and one control byte per bucket, and the side tables.
  size_t n = ids_.capacity() * (sizeof(uint32_t) + 1);
  for (const auto& [first, ids] : dups_) n += 24 + sizeof(first) + ids.capacity() * 4;
  for (const auto& [key, ids] : flavors_) n += 64 + key.first.capacity() + ids.capacity() * 4;
  return n;
}

}  // namespace btfreg
