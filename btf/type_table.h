// btf/type_table.h: BTF's types and strings read in place, with our own
// type-offset table. Internal to btf/.
//
// libbpf's btf__new copies the bytes and builds the same table; reading
// them in place saves the copy (the raw bytes are the bulk of a vmlinux
// load) and the call through libbpf's table per type. BTF in the other
// byte order is the exception: it is swapped into a copy of its own.
//
// Split BTF: ids below start_id() and string offsets below start_str_off()
// belong to the base, which must outlive the table.

#ifndef BTFREG_BTF_TYPE_TABLE_H_
#define BTFREG_BTF_TYPE_TABLE_H_

#include <linux/btf.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace btfreg {

class TypeTable {
 public:
  // Reads the type section of `raw` (a header that ValidateHeader accepted,
  // cut to sizeof(struct btf_header)). `raw` must outlive the table unless
  // it is in the other byte order, which is copied and swapped. Errors name
  // `name`: a type of an unknown kind, or a type record that runs past the
  // type section.
  static absl::StatusOr<std::unique_ptr<TypeTable>> Parse(absl::Span<const uint8_t> raw,
                                                          absl::string_view name,
                                                          const TypeTable* base);

  // The type with this id, the base's below start_id(). Id 0 (void) is an
  // all-zero type of kind UNKN, as libbpf's; nullptr past the last id.
  const struct btf_type* type(uint32_t id) const {
    if (id < start_id_) return base_ != nullptr ? base_->type(id) : (id == 0 ? &kVoid : nullptr);
    if (id - start_id_ >= offsets_.size()) return nullptr;
    return reinterpret_cast<const struct btf_type*>(types_ + offsets_[id - start_id_]);
  }
  // The NUL-terminated string at `off` (the base's below start_str_off()),
  // or nullptr past the string section.
  const char* str(uint32_t off) const {
    if (off < start_str_off_) return base_ != nullptr ? base_->str(off) : nullptr;
    off -= start_str_off_;
    return off < str_len_ ? strs_ + off : nullptr;
  }
  // One past the last id (the base's ids included), as btf__type_cnt.
  uint32_t type_cnt() const { return start_id_ + static_cast<uint32_t>(offsets_.size()); }
  uint32_t start_id() const { return start_id_; }
  uint32_t start_str_off() const { return start_str_off_; }
  // Bytes of strings, the base's included (string offsets run below this).
  uint32_t str_end() const { return start_str_off_ + str_len_; }
  const TypeTable* base() const { return base_; }
  bool swapped() const { return !swapped_copy_.empty(); }
  // The bytes the table reads (the header cut to its known size), in host
  // byte order.
  absl::Span<const uint8_t> raw() const { return raw_; }
  // Pointer size as libbpf's btf__pointer_size: the base's, else the size
  // of an integer named "long", "unsigned long" or the like; 0 when the BTF
  // does not tell.
  uint32_t pointer_size() const { return pointer_size_; }

  // As libbpf's btf__resolve_size: the size of an object of type `id`
  // (arrays multiplied out; typedefs, modifiers, VAR and DECL_TAG followed,
  // 32 steps at most; a pointer sized as pointer_size(), or the host's when
  // 0). -EINVAL for a type without a size (void, a FWD, a prototype...),
  // -E2BIG past 4 GiB.
  int64_t ResolveSize(uint32_t id) const;
  // As libbpf's btf__resolve_type: `id` with modifiers, typedefs and VARs
  // skipped (32 steps at most); -EINVAL when that ends at void, a FWD or an
  // id out of range, or does not end.
  int64_t ResolveType(uint32_t id) const;
  size_t bytes() const { return offsets_.capacity() * sizeof(uint32_t) + swapped_copy_.capacity(); }

 private:
  TypeTable() = default;
  uint32_t FindPointerSize() const;
  static bool VoidOrNull(const struct btf_type* t);

  static const struct btf_type kVoid;
  const TypeTable* base_ = nullptr;
  std::vector<uint8_t> swapped_copy_;  // only for BTF in the other byte order
  absl::Span<const uint8_t> raw_;
  const uint8_t* types_ = nullptr;
  const char* strs_ = nullptr;
  uint32_t str_len_ = 0;
  uint32_t start_id_ = 1;
  uint32_t start_str_off_ = 0;
  uint32_t pointer_size_ = 0;
  std::vector<uint32_t> offsets_;  // by id - start_id_, into types_
};

// Whether the kind's `size` field is its size (INT, STRUCT, UNION, ENUM,
// ENUM64, DATASEC, FLOAT); the other kinds use that word for a type id.
inline bool HasSizeField(int kind) {
  switch (kind) {
    case BTF_KIND_INT:
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_DATASEC:
    case BTF_KIND_FLOAT:
      return true;
    default:
      return false;
  }
}

// Bytes of a type record of this kind and vlen, or 0 for an unknown kind.
uint32_t TypeRecordSize(const struct btf_type* t);

}  // namespace btfreg

#endif  // BTFREG_BTF_TYPE_TABLE_H_
