#include "btf/name_index.h"

#include <bpf/btf.h>

#include <cassert>
#include <cstring>
#include <utility>

#include "absl/hash/hash.h"
#include "btf/btf.h"
#include "btf/type_table.h"

namespace btfreg {

namespace {
// The string at `p` is exactly `name`.
bool Equals(const char* p, absl::string_view name) {
  return strncmp(p, name.data(), name.size()) == 0 && p[name.size()] == '\0';
}
}  // namespace

void NameIndex::Locate(absl::string_view essential, int kind, size_t* start,
                       uint32_t* tag) const {
  const uint64_t h = absl::Hash<std::pair<absl::string_view, int>>{}({essential, kind});
  // The low 32 bits choose the slot (multiply-shift: any table size), the
  // top 7 are the tag.
  *start = static_cast<size_t>((h & 0xffffffffu) * slots_.size() >> 32);
  *tag = static_cast<uint32_t>(h >> 57);
}

template <typename Fn>
void NameIndex::Probe(absl::string_view essential, int kind, Fn&& fn) const {
  if (slots_.empty()) return;
  size_t i;
  uint32_t tag;
  Locate(essential, kind, &i, &tag);
  const uint32_t want = Meta(0, kind, tag);
  constexpr uint32_t kKeyMask = ~((1u << kIdBits) - 1);
  for (;;) {
    const Slot s = slots_[i];
    if (s.name_off == 0) return;
    if ((s.meta & kKeyMask) == want &&
        !fn(first_ + (s.meta & ((1u << kIdBits) - 1)), btf_->str(s.name_off))) {
      return;
    }
    if (++i == slots_.size()) i = 0;
  }
}

void NameIndex::Build(const TypeTable* btf, uint32_t first, uint32_t end) {
  assert(end - first < (1u << kIdBits) && "NameIndex::Build of more types than BTF allows");
  btf_ = btf;
  first_ = first;
  size_ = 0;
  for (uint32_t id = first; id < end; ++id) size_ += btf->type(id)->name_off != 0;
  // Sized once, at most 80% full: probes stay short, nothing is rehashed.
  slots_.assign(size_ + size_ / 4 + 1, Slot{0, 0});
  for (uint32_t id = first; id < end; ++id) {
    const struct btf_type* t = btf->type(id);
    if (t->name_off == 0) continue;
    const absl::string_view name = btf->str(t->name_off);
    size_t i;
    uint32_t tag;
    Locate(EssentialName(name), btf_kind(t), &i, &tag);
    while (slots_[i].name_off != 0) {
      if (++i == slots_.size()) i = 0;
    }
    slots_[i] = Slot{t->name_off, Meta(id - first, btf_kind(t), tag)};
  }
}

uint32_t NameIndex::Find(absl::string_view name, int kind) const {
  uint32_t found = 0;
  Probe(EssentialName(name), kind, [&](uint32_t id, const char* n) {
    if (Equals(n, name)) found = id;
    return found == 0;  // the first is the lowest
  });
  return found;
}

std::vector<uint32_t> NameIndex::FindAll(absl::string_view name, int kind) const {
  std::vector<uint32_t> out;
  Probe(EssentialName(name), kind, [&](uint32_t id, const char* n) {
    if (Equals(n, name)) out.push_back(id);
    return true;
  });
  return out;
}

std::vector<uint32_t> NameIndex::FindFlavors(absl::string_view essential, int kind) const {
  std::vector<uint32_t> out;
  Probe(essential, kind, [&](uint32_t id, const char* n) {
    const absl::string_view name(n);
    if (name.size() != essential.size() && EssentialName(name) == essential) out.push_back(id);
    return true;
  });
  return out;
}

}  // namespace btfreg
