#include "btf/type_table.h"

#include <bpf/btf.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace btfreg {

const struct btf_type TypeTable::kVoid = {};

namespace {

uint32_t Swap(uint32_t v) { return __builtin_bswap32(v); }
void SwapAt(uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  v = Swap(v);
  memcpy(p, &v, 4);
}

// Words after the 12-byte common part, per vlen entry and fixed.
struct Tail {
  uint32_t fixed_words;
  uint32_t words_per_entry;
};
bool TailOf(uint32_t kind, Tail* tail) {
  switch (kind) {
    case BTF_KIND_INT:
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
      *tail = {1, 0};
      return true;
    case BTF_KIND_PTR:
    case BTF_KIND_FWD:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_FUNC:
    case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG:
      *tail = {0, 0};
      return true;
    case BTF_KIND_ARRAY:
      *tail = {3, 0};
      return true;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_DATASEC:
    case BTF_KIND_ENUM64:
      *tail = {0, 3};
      return true;
    case BTF_KIND_ENUM:
    case BTF_KIND_FUNC_PROTO:
      *tail = {0, 2};
      return true;
    default:
      return false;
  }
}

}  // namespace

uint32_t TypeRecordSize(const struct btf_type* t) {
  Tail tail;
  if (!TailOf(btf_kind(t), &tail)) return 0;
  return sizeof(struct btf_type) + 4 * (tail.fixed_words + tail.words_per_entry * btf_vlen(t));
}

absl::StatusOr<std::unique_ptr<TypeTable>> TypeTable::Parse(absl::Span<const uint8_t> raw,
                                                            absl::string_view name,
                                                            const TypeTable* base) {
  std::unique_ptr<TypeTable> t(new TypeTable);
  t->base_ = base;
  struct btf_header h;
  memcpy(&h, raw.data(), sizeof(h));
  const bool swapped = h.magic != BTF_MAGIC;
  if (swapped) {
    // Every word of the header and the types is swapped; strings are bytes.
    t->swapped_copy_.assign(raw.begin(), raw.end());
    uint8_t* p = t->swapped_copy_.data();
    const uint16_t magic = BTF_MAGIC;
    memcpy(p, &magic, 2);
    for (size_t off = 4; off < sizeof(h); off += 4) SwapAt(p + off);
    memcpy(&h, p, sizeof(h));
    raw = t->swapped_copy_;
  }
  t->raw_ = raw;
  const uint8_t* data = raw.data() + h.hdr_len;
  t->types_ = data + h.type_off;
  t->strs_ = reinterpret_cast<const char*>(data + h.str_off);
  t->str_len_ = h.str_len;
  if (base != nullptr) {
    t->start_id_ = base->type_cnt();
    t->start_str_off_ = base->str_end();
  }
  // A record is at least 12 bytes: a first guess of the count.
  t->offsets_.reserve(h.type_len / 16 + 1);
  uint8_t* writable = swapped ? t->swapped_copy_.data() + h.hdr_len + h.type_off : nullptr;
  for (uint32_t off = 0; off < h.type_len;) {
    const uint32_t id = t->start_id_ + static_cast<uint32_t>(t->offsets_.size());
    if (h.type_len - off < sizeof(struct btf_type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": type ", id, " is cut off: ", h.type_len - off,
          " bytes are left of the type section, a type needs 12"));
    }
    if (writable != nullptr) {
      for (uint32_t w = 0; w < 3; ++w) SwapAt(writable + off + 4 * w);
    }
    const auto* type = reinterpret_cast<const struct btf_type*>(t->types_ + off);
    const uint32_t size = TypeRecordSize(type);
    if (size == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": type ", id, " has an unknown kind ", btf_kind(type)));
    }
    if (size > h.type_len - off) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": type ", id, " (", btf_vlen(type), " entries) runs past the end of the type "
          "section: it needs ", size, " bytes, ", h.type_len - off, " are left"));
    }
    if (writable != nullptr) {
      // The rest is 32-bit words (an ENUM64 value is two of them, each
      // swapped by itself, as libbpf does).
      for (uint32_t w = 12; w < size; w += 4) SwapAt(writable + off + w);
    }
    t->offsets_.push_back(off);
    off += size;
  }
  t->offsets_.shrink_to_fit();
  t->pointer_size_ = t->FindPointerSize();
  return t;
}

// libbpf's btf_type_is_void_or_null: id 0, an id out of range, or a FWD.
bool TypeTable::VoidOrNull(const struct btf_type* t) { return t == nullptr || t == &kVoid || btf_is_fwd(t); }

int64_t TypeTable::ResolveSize(uint32_t id) const {
  constexpr int kMaxResolveDepth = 32;  // libbpf's MAX_RESOLVE_DEPTH
  uint32_t nelems = 1;
  int64_t size = -1;
  const struct btf_type* t = type(id);
  for (int i = 0; i < kMaxResolveDepth && !VoidOrNull(t); ++i) {
    if (HasSizeField(btf_kind(t))) {
      size = t->size;
      break;
    }
    switch (btf_kind(t)) {
      case BTF_KIND_PTR:
        size = pointer_size_ != 0 ? pointer_size_ : sizeof(void*);
        break;
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_VAR:
      case BTF_KIND_DECL_TAG:
      case BTF_KIND_TYPE_TAG:
        id = t->type;
        t = type(id);
        continue;
      case BTF_KIND_ARRAY: {
        const struct btf_array* a = btf_array(t);
        if (nelems != 0 && a->nelems > UINT32_MAX / nelems) return -E2BIG;
        nelems *= a->nelems;
        id = a->type;
        t = type(id);
        continue;
      }
      default:
        return -EINVAL;
    }
    break;
  }
  if (size < 0) return -EINVAL;
  if (nelems != 0 && size > UINT32_MAX / nelems) return -E2BIG;
  return int64_t{nelems} * size;
}

int64_t TypeTable::ResolveType(uint32_t id) const {
  constexpr int kMaxResolveDepth = 32;
  const struct btf_type* t = type(id);
  int depth = 0;
  while (depth < kMaxResolveDepth && !VoidOrNull(t) &&
         (btf_is_mod(t) || btf_is_typedef(t) || btf_is_var(t))) {
    id = t->type;
    t = type(id);
    ++depth;
  }
  if (depth == kMaxResolveDepth || VoidOrNull(t)) return -EINVAL;
  return id;
}

uint32_t TypeTable::FindPointerSize() const {
  // As libbpf's determine_ptr_size: the base's, else the size of a C long
  // of either sign, spelled any way.
  if (base_ != nullptr && base_->pointer_size() != 0) return base_->pointer_size();
  static constexpr absl::string_view kLongs[] = {
      "long",           "long int",          "int long",          "unsigned long",
      "long unsigned",  "unsigned long int", "unsigned int long", "long unsigned int",
      "long int unsigned", "int unsigned long", "int long unsigned"};
  for (uint32_t id = 1; id < type_cnt(); ++id) {
    const struct btf_type* t = type(id);
    if (btf_kind(t) != BTF_KIND_INT) continue;
    if (t->size != 4 && t->size != 8) continue;
    const char* n = str(t->name_off);
    if (n == nullptr) continue;
    for (absl::string_view l : kLongs) {
      if (l == n) return t->size;
    }
  }
  return 0;
}

}  // namespace btfreg
