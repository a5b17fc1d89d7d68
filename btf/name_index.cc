#include "btf/name_index.h"

#include <bpf/btf.h>

#include <cassert>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "btf/btf.h"
#include "btf/type_table.h"

namespace btfreg {

void NameIndex::Locate(absl::string_view key, int kind, size_t* start,
                       uint32_t* tag) const {
  const uint64_t h = absl::Hash<std::pair<absl::string_view, int>>{}({key, kind});
  // The low 32 bits choose the slot (multiply-shift: any table size), the
  // top 6 are the tag.
  *start = static_cast<size_t>((h & 0xffffffffu) * table_size() >> 32);
  *tag = static_cast<uint32_t>(h >> 58);
}

uint32_t NameIndex::MatchGroup(const Slot* s, uint32_t want) {
  static_assert(sizeof(Slot) == 8 && kGroup == 8, "eight 8-byte slots, two 32-bit words each");
  constexpr uint32_t kKeyMask = ~((1u << kIdBits) - 1);
#if defined(__SSE2__)
  const __m128i want4 = _mm_set1_epi32(static_cast<int>(want));
  const __m128i mask4 = _mm_set1_epi32(static_cast<int>(kKeyMask));
  const __m128i zero = _mm_setzero_si128();
  uint32_t match = 0, empty = 0;
  for (int half = 0; half < 2; ++half) {
    // Four slots, [name_off, meta] each, as four name_offs and four metas.
    const __m128 a = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 4 * half)));
    const __m128 b = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 4 * half + 2)));
    const __m128i offs = _mm_castps_si128(_mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
    const __m128i metas = _mm_castps_si128(_mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
    const __m128i hit = _mm_cmpeq_epi32(_mm_and_si128(metas, mask4), want4);
    match |= static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(hit))) << (4 * half);
    empty |= static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(offs, zero))))
             << (4 * half);
  }
#else
  uint32_t match = 0, empty = 0;
  for (size_t j = 0; j < kGroup; ++j) {
    match |= uint32_t{(s[j].meta & kKeyMask) == want} << j;
    empty |= uint32_t{s[j].name_off == 0} << j;
  }
#endif
  return match | empty << 8;
}

template <typename Fn>
void NameIndex::Probe(absl::string_view key, int kind, bool flavor, Fn&& fn) const {
  if (slots_.empty()) return;
  size_t i;
  uint32_t tag;
  Locate(key, kind, &i, &tag);
  const uint32_t want = Meta(0, kind, flavor, tag);
  const size_t n = table_size();
  for (;;) {
    const Slot* group = &slots_[i];
    const uint32_t bits = MatchGroup(group, want);
    uint32_t match = bits & 0xff;
    const uint32_t empty = bits >> 8;
    // Only the candidates before the first empty slot are on this key's
    // sequence.
    match &= (empty & -empty) - 1;  // all 8 when no slot is empty
    for (; match != 0; match &= match - 1) {
      const Slot s = group[__builtin_ctz(match)];
      if (!fn(first_ + (s.meta & ((1u << kIdBits) - 1)), s.name_off)) return;
    }
    if (empty != 0) return;
    i += kGroup;
    if (i >= n) i -= n;
  }
}

void NameIndex::InsertAt(size_t i, Slot slot) {
  const size_t n = table_size();
  while (slots_[i].name_off != 0) {
    if (++i == n) i = 0;
  }
  slots_[i] = slot;
  if (i < kGroup - 1) slots_[n + i] = slot;  // the copy a group read past the end finds
}

void NameIndex::InsertNames(uint32_t end, std::vector<uint32_t>* flavored) {
  // Each key's hash is computed, and its first slot prefetched, kAhead keys
  // before its insert: the inserts land at random in the table, and this
  // lets their cache misses overlap. The ring keeps id order, which keys
  // shared by several types rely on.
  constexpr size_t kAhead = 16;
  struct Pending {
    size_t start;
    Slot slot;
  } ring[kAhead];
  size_t n = 0;
  for (uint32_t id = first_; id < end; ++id) {
    const struct btf_type* t = btf_->type(id);
    if (t->name_off == 0) continue;
    const absl::string_view name = btf_->str(t->name_off);
    size_t start;
    uint32_t tag;
    Locate(name, btf_kind(t), &start, &tag);
    __builtin_prefetch(&slots_[start], /*rw=*/1);
    Pending& p = ring[n++ % kAhead];
    if (n > kAhead) InsertAt(p.start, p.slot);
    p = Pending{start, Slot{t->name_off, Meta(id - first_, btf_kind(t), false, tag)}};
    if (EssentialName(name).size() != name.size()) flavored->push_back(id);
  }
  for (size_t k = n > kAhead ? n - kAhead : 0; k < n; ++k) {
    InsertAt(ring[k % kAhead].start, ring[k % kAhead].slot);
  }
}

void NameIndex::Build(const TypeTable* btf, uint32_t first, uint32_t end) {
  assert(end - first < (1u << kIdBits) && "NameIndex::Build of more types than BTF allows");
  btf_ = btf;
  first_ = first;
  size_ = 0;
  for (uint32_t id = first; id < end; ++id) size_ += btf->type(id)->name_off != 0;
  // Sized once for the names, at most 80% full: probes stay short, nothing
  // is rehashed. Flavors need a second slot each; they are rare (vmlinux
  // has one), so they are found while the names go in, with room for
  // kFlavorRoom of them, and the table is sized again, once, only if more
  // would fill it past 80%.
  constexpr size_t kFlavorRoom = 16;
  std::vector<uint32_t> flavored;
  Reset(size_ + kFlavorRoom + (size_ + kFlavorRoom) / 4 + 1);
  InsertNames(end, &flavored);
  const size_t keys = size_ + flavored.size();
  if (keys + keys / 4 + 1 > table_size()) {
    Reset(keys + keys / 4 + 1);
    flavored.clear();
    InsertNames(end, &flavored);
  }
  for (uint32_t id : flavored) {
    const struct btf_type* t = btf->type(id);
    size_t start;
    uint32_t tag;
    Locate(EssentialName(btf->str(t->name_off)), btf_kind(t), &start, &tag);
    InsertAt(start, Slot{t->name_off, Meta(id - first, btf_kind(t), true, tag)});
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
