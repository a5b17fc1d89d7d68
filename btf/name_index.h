// btf/name_index.h: O(1) lookup of type ids by (name, kind), and of CO-RE
// candidates by (essential name, kind).
//
// libbpf 1.1's btf__find_by_name_kind scans every type (126k in vmlinux).
// This index is one flat array of 8-byte slots, sized once at 1.25 slots
// per key and probed linearly: a slot holds the name's string offset and,
// in one word, the id (relative to the first indexed id), the kind, a flavor
// bit and 6 bits of the hash. A probe compares the hash bits, the flavor bit
// and the kind in the slot, and reads the string only when they match: one
// dependent load from the slot to the name, and no pointer chase through
// the type. A probe tests 8 slots at a time (SSE2), as absl's SwissTable
// tests its control bytes: a lookup branches once on what it found, not
// once per slot, and mispredicted branches are what held it back (63 ->
// 57 ns per lookup in load_benchmark, with the rest in the wait for the
// slot and then for the string). Every named type has a slot keyed by its
// name; a CO-RE flavor ("task_struct___v2", see EssentialName in btf.h)
// has a second, flavor slot keyed by its essential name ("task_struct"),
// so that an exact lookup hashes the name as given and CO-RE finds a
// name's flavors on one probe sequence. Types that share a key lie on its sequence in id order. For
// vmlinux's 71k named types (a handful of flavors): 0.7 MiB.
//
// Internal to btf/: `Btf::FindByName` and `Btf::OwnCandidates` are its
// public face.

#ifndef BTFREG_BTF_NAME_INDEX_H_
#define BTFREG_BTF_NAME_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace btfreg {

class TypeTable;

class NameIndex {
 public:
  // Indexes the named types with ids in [first, end) of `btf`.
  // REQUIRES: `btf` outlives this index, its names were validated, and
  // end - first < 2^20 (BTF's own limit on a type count).
  void Build(const TypeTable* btf, uint32_t first, uint32_t end);

  // The lowest indexed id with this name and kind, or 0.
  uint32_t Find(absl::string_view name, int kind) const;
  // Every indexed id with this name and kind, lowest first.
  std::vector<uint32_t> FindAll(absl::string_view name, int kind) const;
  // Every indexed id whose name is a flavor of `essential` ("foo___v2" for
  // "foo") with this kind, lowest first. The exact name is not included:
  // FindAll has it.
  std::vector<uint32_t> FindFlavors(absl::string_view essential, int kind) const;

  // A probe reads kGroup slots at a time (name_index.cc).
  static constexpr size_t kGroup = 8;

  // Named types indexed (a flavor's second slot not counted).
  size_t size() const { return size_; }
  // Heap bytes held by the index.
  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint32_t name_off;  // 0: empty (an indexed type has a name)
    uint32_t meta;      // id - first (20 bits) | kind << 20 | flavor << 25 | tag << 26
  };
  static constexpr uint32_t kIdBits = 20;
  // The table's n slots are followed by copies of its first kGroup - 1, so
  // that a probe reads any kGroup slots in a row without wrapping.
  size_t table_size() const { return slots_.size() - (kGroup - 1); }
  void Reset(size_t n) { slots_.assign(n + kGroup - 1, Slot{0, 0}); }
  static uint32_t Meta(uint32_t rel_id, int kind, bool flavor, uint32_t tag) {
    return rel_id | static_cast<uint32_t>(kind) << kIdBits | uint32_t{flavor} << 25 | tag << 26;
  }
  // Of the kGroup slots from `s` on: bit j of the low byte is set if slot
  // j's kind, flavor bit and tag are `want`'s, bit j of the next byte if
  // slot j is empty. One pass, with no branch on the slots (SSE2 where the
  // target has it).
  static uint32_t MatchGroup(const Slot* s, uint32_t want);
  // The slot a key's probe starts at, and the tag its slots carry.
  void Locate(absl::string_view key, int kind, size_t* start, uint32_t* tag) const;
  // Puts `slot` in the first empty slot from `i` on.
  void InsertAt(size_t i, Slot slot);
  // Inserts every named type of [first_, end) under its name; appends the
  // ids of flavors to `flavored`.
  void InsertNames(uint32_t end, std::vector<uint32_t>* flavored);
  // The string at `off` is exactly `name`.
  bool NameIs(uint32_t off, absl::string_view name) const;
  // Calls fn(id, name_off) for each slot on `key`'s probe sequence whose kind,
  // flavor bit and tag match, in probe order (id order within one key),
  // while fn returns true.
  template <typename Fn>
  void Probe(absl::string_view key, int kind, bool flavor, Fn&& fn) const;

  const TypeTable* btf_ = nullptr;
  uint32_t first_ = 0;
  size_t size_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace btfreg

#endif  // BTFREG_BTF_NAME_INDEX_H_
