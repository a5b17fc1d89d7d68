#include "btf/name_index.h"

#include <bpf/btf.h>

#include <utility>

#include "absl/hash/hash.h"

namespace btfreg {

NameIndex::NameIndex() = default;

NameIndex::Key NameIndex::KeyOf(const struct btf* btf, uint32_t id) {
  const struct btf_type* t = btf__type_by_id(btf, id);
  const char* name = btf__name_by_offset(btf, t->name_off);
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

void NameIndex::Build(const struct btf* btf, uint32_t first, uint32_t end) {
  size_t named = 0;
  for (uint32_t id = first; id < end; ++id) {
    named += btf__type_by_id(btf, id)->name_off != 0;
  }
  // Sized once: rehashing would recompute every hash from the BTF.
  ids_ = absl::flat_hash_set<uint32_t, Hash, Eq>(named, Hash{btf}, Eq{btf});
  for (uint32_t id = first; id < end; ++id) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (t->name_off == 0) continue;
    // insert() keeps the first (lowest) id of a duplicated name and kind.
    ids_.insert(id);
  }
}

uint32_t NameIndex::Find(absl::string_view name, int kind) const {
  auto it = ids_.find(Key{name, kind});
  return it == ids_.end() ? 0 : *it;
}

size_t NameIndex::bytes() const {
  // One slot and one control byte per bucket.
  return ids_.capacity() * (sizeof(uint32_t) + 1);
}

}  // namespace btfreg
