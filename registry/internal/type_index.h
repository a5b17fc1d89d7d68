// registry/internal/type_index.h: the named types of a registry's modules,
// by CO-RE essential name and kind class, kept as modules come and go.
// Private to registry/; the base answers from its own name index.
//
// Not synchronized: the registry keeps it under its lock. The postings name
// objects the registry holds a reference to while they are published;
// Remove takes an object's postings out before that reference is dropped.

#ifndef BTFREG_REGISTRY_INTERNAL_TYPE_INDEX_H_
#define BTFREG_REGISTRY_INTERNAL_TYPE_INDEX_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "registry/btf_ref.h"

namespace btfreg {
namespace internal {

// The kinds CO-RE treats as one: ENUM for ENUM64, else the kind itself.
int KindClass(int kind);

class TypeIndex {
 public:
  struct Posting {
    BtfObject* obj;
    uint32_t type_id;
  };

  // Adds or removes the named types `obj` defines itself (not its base's).
  void Add(BtfObject* obj);
  void Remove(const BtfObject* obj);
  // The postings of (EssentialName(name), KindClass(kind)), in the order
  // their objects were added; empty if none.
  absl::Span<const Posting> Find(absl::string_view essential_name, int kind) const;
  void Clear() { postings_.clear(); }

 private:
  absl::flat_hash_map<std::pair<std::string, int>, std::vector<Posting>> postings_;
};

}  // namespace internal
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_INTERNAL_TYPE_INDEX_H_
