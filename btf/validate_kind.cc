// The kernel's per-kind BTF rules (kernel/bpf/btf.c: the *_check_meta
// functions, the resolve pass and btf_check_type_tags), so that what the
// kernel's loader rejects, btfreg rejects too. Deliberate differences, for
// BPF object files only (`object_file`): a FUNC or VAR may have extern
// linkage and a DATASEC may have size 0 (libbpf rewrites both before
// loading such an object).

#include <bpf/btf.h>
#include <linux/btf.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "btf/btf.h"
#include "btf/identifiers.h"
#include "btf/type_table.h"
#include "btf/validate.h"

namespace btfreg {
namespace {

constexpr uint32_t kIntMask = 0x0fffffff;
constexpr int kChainLimit = 32;

absl::Status Bad(absl::string_view name, uint32_t id,
                 absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": type ", id, ": ", problem));
}

// The kernel's <linux/ctype.h> is Latin-1, not the C locale: 0xA0 to 0xFF
// are printable (identifiers.h has its letters).
constexpr bool KernelIsPrint(unsigned char c) {
  return (c >= 0x20 && c < 0x7F) || c >= 0xA0;
}

// Printable, non-empty: section names such as ".data..percpu" or "?.foo".
bool ValidSectionName(const char* s) {
  if (s == nullptr || *s == '\0') return false;
  size_t n = 0;
  for (const char* p = s; *p; ++p, ++n) {
    if (!KernelIsPrint(static_cast<unsigned char>(*p)) || n >= kNameMax) return false;
  }
  return true;
}

}  // namespace

bool IsReferenceKind(int kind) {
  switch (kind) {
    case BTF_KIND_PTR:
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_TYPE_TAG:
      return true;
    default:
      return false;
  }
}

namespace {

bool KflagAllowed(int kind) {
  switch (kind) {
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_FWD:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_DECL_TAG:
    case BTF_KIND_TYPE_TAG:
      return true;
    default:
      return false;
  }
}

bool VlenMustBeZero(int kind) {
  if (IsReferenceKind(kind)) return true;
  switch (kind) {
    case BTF_KIND_INT:
    case BTF_KIND_FWD:
    case BTF_KIND_ARRAY:
    case BTF_KIND_VAR:
    case BTF_KIND_FLOAT:
    case BTF_KIND_DECL_TAG:
      return true;
    default:
      return false;
  }
}

// Kinds that can be the type of a value (a member, an element, an argument).
bool IsValueKind(int kind) {
  switch (kind) {
    case BTF_KIND_FUNC:
    case BTF_KIND_VAR:
    case BTF_KIND_DATASEC:
    case BTF_KIND_DECL_TAG:
    case BTF_KIND_FUNC_PROTO:
      return false;
    default:
      return true;
  }
}

bool IsModifier(const struct btf_type* t) {
  return btf_is_mod(t) || btf_is_typedef(t);  // typedef counts, as in the kernel
}

class KindChecker {
 public:
  KindChecker(const TypeTable* btf, uint32_t first, absl::string_view name, bool object_file)
      : btf_(btf), name_(name), object_file_(object_file),
        values_(first, btf->type_cnt()) {
    FindIdentifiers();
  }

  const char* Str(uint32_t off) const { return btf_->str(off); }
  // ValidIdentifier(Str(off)), remembered for the offsets found valid: the
  // same names (parameters above all) come back thousands of times.
  bool Identifier(uint32_t off) {
    if (off < valid_names_.size() && valid_names_[off]) return true;
    if (!ValidIdentifier(Str(off))) return false;
    if (off >= valid_names_.size()) valid_names_.resize(btf_->str_end(), false);
    valid_names_[off] = true;
    return true;
  }
  // Marks every string of the own string section that is a valid
  // identifier, in one sequential pass: BTF names nearly all its strings
  // (vmlinux: 124k strings, asked about 228k times), and this reads each
  // once, in order, instead of at random. A name that starts inside a
  // string, or in the base's strings, is checked when asked.
  void FindIdentifiers() {
    const uint32_t begin = btf_->start_str_off();
    const uint32_t end = btf_->str_end();
    if (begin == end) return;
    valid_names_.assign(end, false);
    // The section ends with a NUL (ValidateHeader).
    MarkIdentifierStrings(reinterpret_cast<const unsigned char*>(Str(begin)), end - begin,
                          begin, &valid_names_);
  }
  const struct btf_type* T(uint32_t id) const {
    return id == 0 ? nullptr : btf_->type(id);
  }
  // Follows modifiers and typedefs; nullptr for void.
  const struct btf_type* Resolve(uint32_t id) const {
    for (int i = 0; i < kChainLimit; ++i) {
      const struct btf_type* t = T(id);
      if (t == nullptr || !IsModifier(t)) return t;
      id = t->type;
    }
    return nullptr;
  }
  // What the resolve pass asks of the type an id resolves to (Resolve),
  // packed in a word and remembered per own type (a TypeMemo): vmlinux's members and
  // parameters name the same few thousand types about 700k times, and this
  // reads a 4-byte entry instead of following the chain through the type
  // records each time. Computed by Resolve itself, so the answers are its.
  struct Value {
    uint8_t kind;      // the resolved type's kind; kNoType for void or a chain too long
    uint8_t flags;     // kValueOk: may be a value's type; kRegularInt: RegularInt
    uint8_t int_bits;  // an INT's BTF_INT_BITS (Meta bounds them by 128)
    uint8_t size;      // its size, capped at 255 (what the rules compare it to is smaller)
  };
  static constexpr uint8_t kNoType = 0xff;
  static constexpr uint8_t kValueOk = 1, kRegularInt = 2;
  static_assert(sizeof(Value) == 4, "Value: one 4-byte entry per type");
  friend bool operator==(const Value& a, const Value& b) {
    return a.kind == b.kind && a.flags == b.flags && a.int_bits == b.int_bits && a.size == b.size;
  }
  Value ResolvedValue(uint32_t id) {
    return values_.Get(id, [this](uint32_t id) { return ComputeValue(id); });
  }
  Value ComputeValue(uint32_t id) const {
    Value v{kNoType, 0, 0, 0};
    if (const struct btf_type* t = Resolve(id)) {
      v.kind = static_cast<uint8_t>(btf_kind(t));
      if (IsValueKind(btf_kind(t)) && !btf_is_fwd(t)) v.flags |= kValueOk;
      if (RegularInt(t)) v.flags |= kRegularInt;
      if (btf_is_int(t)) v.int_bits = static_cast<uint8_t>(BTF_INT_BITS(*reinterpret_cast<const uint32_t*>(t + 1)));
      v.size = static_cast<uint8_t>(t->size < 255 ? t->size : 255);
    }
    return v;  // never Value{}: kind 0 (BTF_KIND_UNKN) never resolves
  }
  // The kernel's btf_type_int_is_regular: whole bytes from bit 0, a power
  // of two up to 16 of them. (It judges the bits, not the INT's size.)
  bool RegularInt(const struct btf_type* t) const {
    if (t == nullptr || !btf_is_int(t)) return false;
    const uint32_t enc = *reinterpret_cast<const uint32_t*>(t + 1);
    const uint32_t bytes = BTF_INT_BITS(enc) / 8;
    return BTF_INT_OFFSET(enc) == 0 && BTF_INT_BITS(enc) % 8 == 0 &&
           bytes != 0 && bytes <= 16 && (bytes & (bytes - 1)) == 0;
  }

  // Rules about one type alone (the kernel's check_meta).
  absl::Status Meta(uint32_t id) {
    const struct btf_type* t = btf_->type(id);
    const int kind = btf_kind(t);
    if (t->info & ~(0x8000ffffu | (0x1fu << 24))) {
      return Bad(name_, id, "invalid btf_info (reserved bits set)");
    }
    if (btf_kflag(t) && !KflagAllowed(kind)) {
      return Bad(name_, id, absl::StrCat("kind_flag set on ", KindName(kind)));
    }
    if (VlenMustBeZero(kind) && btf_vlen(t) != 0) {
      return Bad(name_, id, absl::StrCat(KindName(kind), " with vlen != 0"));
    }
    const char* n = Str(t->name_off);
    switch (kind) {
      case BTF_KIND_INT: {
        const uint32_t enc = *reinterpret_cast<const uint32_t*>(t + 1);
        if (enc & ~kIntMask) return Bad(name_, id, "invalid int_data");
        const uint32_t e = BTF_INT_ENCODING(enc);
        if (e != 0 && e != BTF_INT_SIGNED && e != BTF_INT_CHAR && e != BTF_INT_BOOL) {
          return Bad(name_, id, "unsupported int encoding");
        }
        // The kernel bounds the bits, not the size (INT size 24 loads).
        if (BTF_INT_OFFSET(enc) + BTF_INT_BITS(enc) > 128) {
          return Bad(name_, id, "int has more than 128 bits");
        }
        if (uint64_t{BTF_INT_OFFSET(enc)} + BTF_INT_BITS(enc) > uint64_t{t->size} * 8) {
          return Bad(name_, id, "int has more bits than its size");
        }
        return absl::OkStatus();
      }
      case BTF_KIND_TYPEDEF:
        if (!Identifier(t->name_off)) return Bad(name_, id, "TYPEDEF has no valid name");
        return absl::OkStatus();
      case BTF_KIND_TYPE_TAG:
        if (n == nullptr || *n == '\0') return Bad(name_, id, "TYPE_TAG has no value");
        return absl::OkStatus();
      case BTF_KIND_PTR:
      case BTF_KIND_CONST:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_ARRAY:
      case BTF_KIND_FUNC_PROTO:
        if (t->name_off != 0) {
          return Bad(name_, id, absl::StrCat(KindName(kind), " must not have a name"));
        }
        if (kind == BTF_KIND_ARRAY && t->size != 0) {
          return Bad(name_, id, "ARRAY with size != 0");
        }
        return absl::OkStatus();
      case BTF_KIND_FWD:
        if (t->type != 0) return Bad(name_, id, "FWD with type != 0");
        if (!Identifier(t->name_off)) return Bad(name_, id, "FWD has no valid name");
        return absl::OkStatus();
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION: {
        if (t->name_off != 0 && !Identifier(t->name_off)) {
          return Bad(name_, id, "invalid struct name");
        }
        const struct btf_member* m = btf_members(t);
        uint32_t last = 0;
        for (uint32_t i = 0; i < btf_vlen(t); ++i) {
          if (m[i].name_off != 0 && !Identifier(m[i].name_off)) {
            return Bad(name_, id, absl::StrCat("member ", i, " has an invalid name"));
          }
          const uint32_t off = btf_member_bit_offset(t, i);
          if ((btf_is_union(t) && off != 0) || off < last) {
            return Bad(name_, id, absl::StrCat("invalid member bits_offset (member ", i, ")"));
          }
          last = off;
        }
        return absl::OkStatus();
      }
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64: {
        if (t->name_off != 0 && !Identifier(t->name_off)) {
          return Bad(name_, id, "invalid enum name");
        }
        if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8) {
          return Bad(name_, id, absl::StrCat("enum of unexpected size ", t->size));
        }
        for (uint32_t i = 0; i < btf_vlen(t); ++i) {
          uint32_t off = kind == BTF_KIND_ENUM ? btf_enum(t)[i].name_off
                                               : btf_enum64(t)[i].name_off;
          if (!Identifier(off)) {
            return Bad(name_, id, absl::StrCat("enumerator ", i, " has no valid name"));
          }
        }
        return absl::OkStatus();
      }
      case BTF_KIND_FUNC: {
        if (!Identifier(t->name_off)) return Bad(name_, id, "FUNC has no valid name");
        const uint32_t linkage = btf_vlen(t);
        if (linkage > BTF_FUNC_EXTERN || (linkage == BTF_FUNC_EXTERN && !object_file_)) {
          return Bad(name_, id, absl::StrCat("invalid func linkage ", linkage));
        }
        return absl::OkStatus();
      }
      case BTF_KIND_VAR:
        if (!Identifier(t->name_off)) return Bad(name_, id, "VAR has no valid name");
        if (btf_var(t)->linkage > BTF_VAR_GLOBAL_EXTERN ||
            (btf_var(t)->linkage == BTF_VAR_GLOBAL_EXTERN && !object_file_)) {
          return Bad(name_, id, "VAR linkage not supported");
        }
        return absl::OkStatus();
      case BTF_KIND_DATASEC: {
        if (!ValidSectionName(n)) return Bad(name_, id, "DATASEC has no valid name");
        if (t->size == 0) {
          if (object_file_) return absl::OkStatus();  // laid out by the loader
          return Bad(name_, id, "DATASEC with size == 0");
        }
        const struct btf_var_secinfo* v = btf_var_secinfos(t);
        uint64_t end = 0;
        for (uint32_t i = 0; i < btf_vlen(t); ++i) {
          if (v[i].offset < end || v[i].offset >= t->size) {
            return Bad(name_, id, absl::StrCat("DATASEC variable ", i, " at an invalid offset"));
          }
          if (v[i].size == 0 || v[i].size > t->size) {
            return Bad(name_, id, absl::StrCat("DATASEC variable ", i, " of invalid size"));
          }
          end = uint64_t{v[i].offset} + v[i].size;
        }
        return absl::OkStatus();
      }
      case BTF_KIND_FLOAT:
        if (t->size != 2 && t->size != 4 && t->size != 8 && t->size != 12 &&
            t->size != 16) {
          return Bad(name_, id, absl::StrCat("FLOAT of invalid size ", t->size));
        }
        return absl::OkStatus();
      case BTF_KIND_DECL_TAG:
        if (n == nullptr || *n == '\0') return Bad(name_, id, "DECL_TAG has no value");
        if (btf_decl_tag(t)->component_idx < -1) {
          return Bad(name_, id, "DECL_TAG with invalid component_idx");
        }
        return absl::OkStatus();
      default:
        return absl::OkStatus();
    }
  }

  // Rules relating a type to the types it refers to (the resolve pass).
  // REQUIRES: ids in range and no reference loops.
  absl::Status Resolved(uint32_t id) {
    const struct btf_type* t = btf_->type(id);
    switch (btf_kind(t)) {
      case BTF_KIND_PTR:
      case BTF_KIND_CONST:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_TYPE_TAG: {
        // Only what the kernel calls "resolve source only" (a VAR, a
        // DATASEC, a DECL_TAG) is refused here: a pointer, qualifier or
        // typedef of a FUNC loads (6.18: btf_ptr_resolve and
        // btf_modifier_resolve), though no compiler emits one.
        const struct btf_type* to = T(t->type);
        if (to != nullptr && (btf_is_var(to) || btf_is_datasec(to) || btf_is_decl_tag(to))) {
          return Bad(name_, id, "invalid type_id");
        }
        return absl::OkStatus();
      }
      case BTF_KIND_ARRAY: {
        const struct btf_array* a = btf_array(t);
        if (!(ResolvedValue(a->index_type).flags & kRegularInt)) {
          return Bad(name_, id, "invalid index type");
        }
        const Value e = ResolvedValue(a->type);
        if (!(e.flags & kValueOk)) return Bad(name_, id, "invalid elem type");
        if (e.kind == BTF_KIND_INT && !(e.flags & kRegularInt)) {
          return Bad(name_, id, "invalid array of int");
        }
        if (btf_->ResolveSize(id) < 0) {
          return Bad(name_, id, "array size overflows 32 bits");
        }
        return absl::OkStatus();
      }
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
        return Members(id, t);
      case BTF_KIND_FUNC_PROTO:
        return Proto(id, t, /*for_func=*/false);
      case BTF_KIND_FUNC:
        return Proto(id, T(t->type), /*for_func=*/true);
      case BTF_KIND_VAR:
        if (!(ResolvedValue(t->type).flags & kValueOk)) return Bad(name_, id, "VAR of invalid type");
        return absl::OkStatus();
      case BTF_KIND_DATASEC: {
        const struct btf_var_secinfo* v = btf_var_secinfos(t);
        for (uint32_t i = 0; i < btf_vlen(t); ++i) {
          if (!btf_is_var(T(v[i].type))) {
            return Bad(name_, id, absl::StrCat("DATASEC entry ", i, " is not a VAR"));
          }
          // The slot must hold the variable (an object file's may be 0).
          const long long need = btf_->ResolveSize(T(v[i].type)->type);
          if (need < 0 || (v[i].size < need && !(object_file_ && t->size == 0))) {
            return Bad(name_, id, absl::StrCat("DATASEC entry ", i, " of invalid size"));
          }
        }
        return absl::OkStatus();
      }
      case BTF_KIND_DECL_TAG: {
        const struct btf_type* target = T(t->type);
        const int k = btf_kind(target);
        const int idx = btf_decl_tag(t)->component_idx;
        if (k != BTF_KIND_STRUCT && k != BTF_KIND_UNION && k != BTF_KIND_VAR &&
            k != BTF_KIND_FUNC && k != BTF_KIND_TYPEDEF) {
          return Bad(name_, id, "DECL_TAG on a type that takes none");
        }
        int limit = -1;
        if (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION) limit = btf_vlen(target);
        if (k == BTF_KIND_FUNC) limit = btf_vlen(T(target->type));
        if (idx != -1 && (limit < 0 || idx >= limit)) {
          return Bad(name_, id, "DECL_TAG with invalid component_idx");
        }
        return absl::OkStatus();
      }
      default:
        return absl::OkStatus();
    }
  }

  // Type tags first in any chain of modifiers (btf_check_type_tags).
  absl::Status TypeTagOrder(uint32_t first, uint32_t end) {
    uint32_t good = first - 1;
    for (uint32_t i = first; i < end; ++i) {
      const struct btf_type* t = T(i);
      if (!IsModifier(t)) continue;
      bool in_tags = btf_is_type_tag(t);
      uint32_t cur = i;
      for (int limit = kChainLimit; t != nullptr && IsModifier(t); --limit) {
        if (limit == 0) return Bad(name_, i, "modifier chain longer than 32");
        if (btf_is_type_tag(t)) {
          if (!in_tags) return Bad(name_, i, "type tags do not precede modifiers");
        } else {
          in_tags = false;
        }
        if (cur <= good) break;
        cur = t->type;
        t = T(cur);
      }
      good = i;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Members(uint32_t id, const struct btf_type* t) {
    const struct btf_member* m = btf_members(t);
    for (uint32_t i = 0; i < btf_vlen(t); ++i) {
      const Value mt = ResolvedValue(m[i].type);
      if (!(mt.flags & kValueOk)) return Bad(name_, id, absl::StrCat("invalid member ", i));
      const uint32_t off = btf_member_bit_offset(t, i);
      const uint32_t bits = btf_member_bitfield_size(t, i);
      if (mt.kind == BTF_KIND_INT) {
        // Without kind_flag an int member may sit at any bit (the old
        // bitfield encoding); with it, only a bitfield may.
        if (btf_kflag(t) && bits == 0 && off % 8 != 0) {
          return Bad(name_, id, absl::StrCat("invalid member offset (member ", i, ")"));
        }
        if (btf_kflag(t) && !(mt.flags & kRegularInt)) {
          return Bad(name_, id, absl::StrCat("invalid member base type (member ", i, ")"));
        }
        if (bits > mt.int_bits) {
          return Bad(name_, id, absl::StrCat("invalid member bitfield_size (member ", i, ")"));
        }
        continue;
      }
      if (mt.kind == BTF_KIND_ENUM || mt.kind == BTF_KIND_ENUM64) {
        if (bits == 0 && off % 8 != 0) {
          return Bad(name_, id, absl::StrCat("invalid member offset (member ", i, ")"));
        }
        // btf_enum_check_kflag_member. (bits < 256: a size capped at 255
        // compares as the size would.)
        if (bits > uint32_t{mt.size} * 8) {
          return Bad(name_, id, absl::StrCat("invalid member bitfield_size (member ", i, ")"));
        }
        continue;
      }
      if (bits != 0) {
        return Bad(name_, id, absl::StrCat("invalid member bitfield_size (member ", i, ")"));
      }
      if (off % 8 != 0) {
        return Bad(name_, id, absl::StrCat("member ", i, " is not byte aligned"));
      }
      if (mt.kind == BTF_KIND_FLOAT) {
        const uint32_t align = mt.size < 8 ? mt.size : 8;
        if ((off / 8) % align != 0) {
          return Bad(name_, id, absl::StrCat("member ", i, " is not properly aligned"));
        }
      }
    }
    return absl::OkStatus();
  }

  // A FUNC's prototype was checked as a FUNC_PROTO already; a FUNC adds one
  // rule, that its parameters have names.
  absl::Status Proto(uint32_t id, const struct btf_type* proto, bool for_func) {
    if (proto == nullptr || !btf_is_func_proto(proto)) return absl::OkStatus();
    if (for_func) {
      const struct btf_param* p = btf_params(proto);
      for (uint32_t i = 0; i < btf_vlen(proto); ++i) {
        if (p[i].name_off == 0 && p[i].type != 0) {
          return Bad(name_, id, absl::StrCat("invalid arg#", i + 1, " has no name"));
        }
      }
      return absl::OkStatus();
    }
    // Returns and arguments must have a size (the kernel's btf_type_id_size):
    // not void (but a last "..."), a FWD, a FUNC or a FUNC_PROTO.
    if (proto->type != 0 && !(ResolvedValue(proto->type).flags & kValueOk)) {
      return Bad(name_, id, "invalid return type");
    }
    const struct btf_param* p = btf_params(proto);
    const uint32_t n = btf_vlen(proto);
    for (uint32_t i = 0; i < n; ++i) {
      // The message is built only when it is needed.
      auto bad_arg = [&] { return Bad(name_, id, absl::StrCat("invalid arg#", i + 1)); };
      if (p[i].type == 0) {
        // Only the last may be void ("..."), and then unnamed.
        if (i + 1 != n || p[i].name_off != 0) return bad_arg();
        continue;
      }
      if (!(ResolvedValue(p[i].type).flags & kValueOk)) return bad_arg();
      if (p[i].name_off != 0 && !Identifier(p[i].name_off)) return bad_arg();
    }
    return absl::OkStatus();
  }

  const TypeTable* btf_;
  absl::string_view name_;
  bool object_file_;
  std::vector<bool> valid_names_;  // by string offset, for Identifier
  TypeMemo<Value> values_;         // for ResolvedValue
};

}  // namespace

absl::Status ValidateKernelRules(const TypeTable* btf, uint32_t first,
                                 absl::string_view name, bool object_file) {
  const uint32_t end = btf->type_cnt();
  if (first == 1 && end == 1) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": no type found"));
  }
  KindChecker k(btf, first, name, object_file);
  for (uint32_t id = first; id < end; ++id) {
    absl::Status s = k.Meta(id);
    if (!s.ok()) return s;
  }
  absl::Status s = k.TypeTagOrder(first, end);
  if (!s.ok()) return s;
  for (uint32_t id = first; id < end; ++id) {
    s = k.Resolved(id);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace btfreg
