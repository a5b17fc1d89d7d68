// btf/name_index.h: O(1) lookup of a type id by (name, kind).
//
// libbpf 1.1's btf__find_by_name_kind scans every type (126k in vmlinux);
// this index answers the same question with one hash probe. It stores only
// the 4-byte type ids: the hash and the equality read each id's name and kind
// back from the BTF, so a named type costs ~5 bytes instead of a string_view
// key per entry (about 0.6 MiB for vmlinux's 71k named types). The rare
// names that several types share, and CO-RE flavors ("task_struct___v2"),
// are kept in side tables.
//
// Internal to btf/: `Btf::FindByName` is the public face.

#ifndef BTFREG_BTF_NAME_INDEX_H_
#define BTFREG_BTF_NAME_INDEX_H_

#include <cstddef>
#include <cstdint>

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"


namespace btfreg {

class TypeTable;

class NameIndex {
 public:
  NameIndex();

  // Indexes the named types with ids in [first, end) of `btf`. When several
  // types share a name and kind, the lowest id wins, as in libbpf.
  // REQUIRES: `btf` outlives this index and its names were validated.
  void Build(const TypeTable* btf, uint32_t first, uint32_t end);

  // The lowest indexed id with this name and kind, or 0.
  uint32_t Find(absl::string_view name, int kind) const;
  // Every indexed id with this name and kind, lowest first.
  std::vector<uint32_t> FindAll(absl::string_view name, int kind) const;
  // Every indexed id whose name is a flavor of `essential` ("foo___v2" for
  // "foo", see EssentialName in btf.h) with this kind. The exact name is
  // not included: FindAll has it.
  std::vector<uint32_t> FindFlavors(absl::string_view essential, int kind) const;

  size_t size() const { return ids_.size(); }
  // Heap bytes held by the index.
  size_t bytes() const;

 private:
  struct Key {
    absl::string_view name;
    int kind;
  };
  struct Hash {
    using is_transparent = void;
    const TypeTable* btf = nullptr;
    size_t operator()(uint32_t id) const;
    size_t operator()(const Key& key) const;
  };
  struct Eq {
    using is_transparent = void;
    const TypeTable* btf = nullptr;
    // Ids are equal when their names and kinds are: inserting a duplicate
    // name then keeps the first id.
    bool operator()(uint32_t a, uint32_t b) const {
      return (*this)(KeyOf(btf, a), b);
    }
    bool operator()(const Key& key, uint32_t id) const;
    bool operator()(uint32_t id, const Key& key) const { return (*this)(key, id); }
  };
  static Key KeyOf(const TypeTable* btf, uint32_t id);

  absl::flat_hash_set<uint32_t, Hash, Eq> ids_;
  // Rare cases, kept aside: ids whose name and kind an earlier id already
  // has (keyed by that first id), and flavored names by (essential, kind).
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> dups_;
  absl::flat_hash_map<std::pair<std::string, int>, std::vector<uint32_t>> flavors_;
};

}  // namespace btfreg

#endif  // BTFREG_BTF_NAME_INDEX_H_
