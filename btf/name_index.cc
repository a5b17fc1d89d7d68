#include "btf/name_index.h"

#include <bpf/btf.h>

#include <cassert>
#include <cstring>
#include <utility>

#include "absl/hash/hash.h"
#include "btf/btf.h"
#include "btf/type_table.h"

namespace btfreg {


void NameIndex::Locate(absl::string_view key, int kind, size_t* start,
                       uint32_t* tag) const {
  const uint64_t h = absl::Hash<std::pair<absl::string_view, int>>{}({key, kind});
  // The low 32 bits choose the slot (multiply-shift: any table size), the
  // top 6 are the tag.
  *start = static_cast<size_t>((h & 0xffffffffu) * slots_.size() >> 32);
  *tag = static_cast<uint32_t>(h >> 58);
}

template <typename Fn>
void NameIndex::Probe(absl::string_view key, int kind, bool flavor, Fn&& fn) const {
  if (slots_.empty()) return;
  size_t i;
  uint32_t tag;
  Locate(key, kind, &i, &tag);
  const uint32_t want = Meta(0, kind, flavor, tag);
  constexpr uint32_t kKeyMask = ~((1u << kIdBits) - 1);
  for (;;) {
    const Slot s = slots_[i];
    if (s.name_off == 0) return;
    if ((s.meta & kKeyMask) == want && !fn(first_ + (s.meta & ((1u << kIdBits) - 1)), s.name_off)) {
      return;
    }
    if (++i == slots_.size()) i = 0;
  }
}

void NameIndex::Insert(absl::string_view key, int kind, bool flavor, uint32_t name_off,
                       uint32_t rel_id) {
  size_t i;
  uint32_t tag;
  Locate(key, kind, &i, &tag);
  while (slots_[i].name_off != 0) {
    if (++i == slots_.size()) i = 0;
  }
  slots_[i] = Slot{name_off, Meta(rel_id, kind, flavor, tag)};
}

void NameIndex::Build(const TypeTable* btf, uint32_t first, uint32_t end) {
  assert(end - first < (1u << kIdBits) && "NameIndex::Build of more types than BTF allows");
  btf_ = btf;
  first_ = first;
  size_ = 0;
  size_t flavors = 0;
  for (uint32_t id = first; id < end; ++id) {
    const struct btf_type* t = btf->type(id);
    if (t->name_off == 0) continue;
    ++size_;
    const absl::string_view name = btf->str(t->name_off);
    flavors += EssentialName(name).size() != name.size();
  }
  // Sized once, at most 80% full: probes stay short, nothing is rehashed.
  const size_t keys = size_ + flavors;
  slots_.assign(keys + keys / 4 + 1, Slot{0, 0});
  for (uint32_t id = first; id < end; ++id) {
    const struct btf_type* t = btf->type(id);
    if (t->name_off == 0) continue;
    const absl::string_view name = btf->str(t->name_off);
    Insert(name, btf_kind(t), /*flavor=*/false, t->name_off, id - first);
    const absl::string_view essential = EssentialName(name);
    if (essential.size() != name.size()) {
      Insert(essential, btf_kind(t), /*flavor=*/true, t->name_off, id - first);
    }
  }
}

bool NameIndex::NameIs(uint32_t off, absl::string_view name) const {
  // memcmp, bounded by the section the string is in (a split BTF's names
  // may be its base's), instead of strncmp: FindByName's time is mostly
  // here, in the wait for the string.
  const uint32_t section_end = off < btf_->start_str_off() ? btf_->start_str_off() : btf_->str_end();
  if (uint64_t{off} + name.size() >= section_end) return false;
  const char* p = btf_->str(off);
  return memcmp(p, name.data(), name.size()) == 0 && p[name.size()] == '\0';
}

uint32_t NameIndex::Find(absl::string_view name, int kind) const {
  uint32_t found = 0;
  Probe(name, kind, /*flavor=*/false, [&](uint32_t id, uint32_t off) {
    if (NameIs(off, name)) found = id;
    return found == 0;  // the first is the lowest
  });
  return found;
}

std::vector<uint32_t> NameIndex::FindAll(absl::string_view name, int kind) const {
  std::vector<uint32_t> out;
  Probe(name, kind, /*flavor=*/false, [&](uint32_t id, uint32_t off) {
    if (NameIs(off, name)) out.push_back(id);
    return true;
  });
  return out;
}

std::vector<uint32_t> NameIndex::FindFlavors(absl::string_view essential, int kind) const {
  std::vector<uint32_t> out;
  Probe(essential, kind, /*flavor=*/true, [&](uint32_t id, uint32_t off) {
    if (EssentialName(btf_->str(off)) == essential) out.push_back(id);
    return true;
  });
  return out;
}

}  // namespace btfreg
