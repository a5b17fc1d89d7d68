#include "core/spec.h"

#include <linux/bpf.h>
#include <linux/btf.h>

#include <bpf/btf.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace btfreg {
namespace {

constexpr struct btf_type kVoidType = {};
constexpr int kMaxChain = 64;  // modifiers and typedefs in a row
// How deep libbpf's type comparisons go (its `depth` and `level`).
constexpr int kMaxCompatDepth = 32;

bool KindCompat(const struct btf_type* a, const struct btf_type* b) {
  return btf_kind(a) == btf_kind(b) || (btf_is_any_enum(a) && btf_is_any_enum(b));
}

absl::string_view Str(const Btf& btf, uint32_t off) {
  const char* s = btf.str(off);
  return s != nullptr ? s : "";
}

// Whether the array reached through `parent` (the accessor that named it)
// is a flexible array: no elements, the last member of its struct.
bool IsFlexArray(const Btf& btf, const CoreAccessor* parent, const struct btf_array* a) {
  if (parent == nullptr || parent->name == nullptr || a->nelems > 0) return false;
  const struct btf_type* t = CoreType(btf, parent->type_id);
  return t != nullptr && parent->idx + 1 == btf_vlen(t);
}

absl::StatusOr<uint64_t> Size(const Btf& btf, uint32_t id) {
  absl::StatusOr<uint32_t> s = btf.ResolvedSize(id);
  if (!s.ok()) return s.status();
  return uint64_t{*s};
}

// bit_offset += idx * size * 8, refusing what a u32 cannot hold.
absl::Status AddElements(CoreSpec* spec, uint64_t idx, uint64_t size) {
  const uint64_t bits = idx * size * 8;
  if ((size != 0 && idx > UINT32_MAX / size) || spec->bit_offset + bits > UINT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("element ", idx, " of ", size,
                                                   " bytes lies past 4 GiB"));
  }
  spec->bit_offset += static_cast<uint32_t>(bits);
  return absl::OkStatus();
}

absl::StatusOr<bool> FieldsAreCompat(const Btf& local, uint32_t lid, const Btf& target,
                                     uint32_t tid) {
  for (int depth = 0; depth < kMaxChain; ++depth) {
    const struct btf_type* lt = SkipModsAndTypedefs(local, lid, &lid);
    const struct btf_type* tt = SkipModsAndTypedefs(target, tid, &tid);
    if (lt == nullptr || tt == nullptr) return absl::InvalidArgumentError("a type out of range");
    if (btf_is_composite(lt) && btf_is_composite(tt)) return true;
    if (!KindCompat(lt, tt)) return false;
    switch (btf_kind(lt)) {
      case BTF_KIND_PTR:
      case BTF_KIND_FLOAT:
        return true;
      case BTF_KIND_FWD:
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64: {
        const absl::string_view ln = EssentialName(Str(local, lt->name_off));
        const absl::string_view tn = EssentialName(Str(target, tt->name_off));
        return ln.empty() || tn.empty() || ln == tn;
      }
      case BTF_KIND_INT:
        return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
      case BTF_KIND_ARRAY:
        lid = btf_array(lt)->type;
        tid = btf_array(tt)->type;
        continue;
      default:
        return false;
    }
  }
  return absl::InvalidArgumentError("arrays nested too deep");
}

// libbpf's bpf_core_match_member: finds the local accessor's member by
// name in the target struct or union `tid`, through anonymous members,
// extending `out` as it goes. 1: found and compatible; 0: not; <0: error.
absl::StatusOr<bool> MatchMember(const CoreSpec& local, const CoreAccessor& acc,
                                 const Btf& target, uint32_t tid, CoreSpec* out,
                                 uint32_t* next_tid) {
  const struct btf_type* tt = SkipModsAndTypedefs(target, tid, &tid);
  if (tt == nullptr) return absl::InvalidArgumentError("a target type out of range");
  if (!btf_is_composite(tt)) return false;
  const struct btf_type* lt = CoreType(*local.btf, acc.type_id);
  const struct btf_member* lm = btf_members(lt) + acc.idx;
  const absl::string_view lname = Str(*local.btf, lm->name_off);
  const struct btf_member* m = btf_members(tt);
  for (uint32_t i = 0; i < btf_vlen(tt); ++i, ++m) {
    const uint32_t bit = btf_member_bit_offset(tt, i);
    if (out->raw.size() == kMaxCoreSpecLen) {
      return absl::InvalidArgumentError("target nests structs deeper than a spec holds");
    }
    out->bit_offset += bit;  // speculatively: this member may be the one
    out->raw.push_back(i);
    const absl::string_view tname = Str(target, m->name_off);
    if (tname.empty()) {
      absl::StatusOr<bool> found = MatchMember(local, acc, target, m->type, out, next_tid);
      if (!found.ok() || *found) return found;
    } else if (tname == lname) {
      out->spec.push_back({tid, i, target.str(m->name_off)});
      *next_tid = m->type;
      absl::StatusOr<bool> compat = FieldsAreCompat(*local.btf, lm->type, target, m->type);
      if (compat.ok() && !*compat) out->spec.pop_back();
      return compat;
    }
    out->bit_offset -= bit;
    out->raw.pop_back();
  }
  return false;
}

absl::StatusOr<bool> TypesAreCompat(const Btf& local, uint32_t lid, const Btf& target,
                                    uint32_t tid, int level) {
  if (level <= 0) return absl::InvalidArgumentError("prototypes nested too deep");
  for (int depth = kMaxCompatDepth; depth-- > 0;) {
    const struct btf_type* lt = SkipModsAndTypedefs(local, lid, &lid);
    const struct btf_type* tt = SkipModsAndTypedefs(target, tid, &tid);
    if (lt == nullptr || tt == nullptr) return absl::InvalidArgumentError("a type out of range");
    if (!KindCompat(lt, tt)) return false;
    switch (btf_kind(lt)) {
      case BTF_KIND_UNKN:
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
      case BTF_KIND_ENUM:
      case BTF_KIND_FWD:
      case BTF_KIND_ENUM64:
        return true;
      case BTF_KIND_INT:
        return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
      case BTF_KIND_PTR:
        lid = lt->type;
        tid = tt->type;
        continue;
      case BTF_KIND_ARRAY:
        lid = btf_array(lt)->type;
        tid = btf_array(tt)->type;
        continue;
      case BTF_KIND_FUNC_PROTO: {
        if (btf_vlen(lt) != btf_vlen(tt)) return false;
        for (uint32_t i = 0; i < btf_vlen(lt); ++i) {
          uint32_t lp = 0, tp = 0;
          SkipModsAndTypedefs(local, btf_params(lt)[i].type, &lp);
          SkipModsAndTypedefs(target, btf_params(tt)[i].type, &tp);
          absl::StatusOr<bool> c = TypesAreCompat(local, lp, target, tp, level - 1);
          if (!c.ok() || !*c) return c;
        }
        SkipModsAndTypedefs(local, lt->type, &lid);
        SkipModsAndTypedefs(target, tt->type, &tid);
        continue;
      }
      default:
        return false;
    }
  }
  return absl::InvalidArgumentError("types nested too deep");
}

// libbpf's bpf_core_names_match: an anonymous target matches only an
// anonymous local; otherwise the essential names are equal.
bool NamesMatch(const Btf& local, uint32_t loff, const Btf& target, uint32_t toff) {
  const absl::string_view ln = Str(local, loff);
  const absl::string_view tn = Str(target, toff);
  if (tn.empty()) return ln.empty();
  return EssentialName(ln) == EssentialName(tn);
}

uint32_t EnumNameOff(const struct btf_type* t, uint32_t i) {
  return btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
}

absl::StatusOr<bool> TypesMatch(const Btf& local, uint32_t lid, const Btf& target, uint32_t tid,
                                bool behind_ptr, int level) {
  if (level <= 0) return absl::InvalidArgumentError("types nested too deep");
  for (int depth = kMaxCompatDepth; depth-- > 0;) {
    const struct btf_type* lt = SkipModsAndTypedefs(local, lid, &lid);
    const struct btf_type* tt = SkipModsAndTypedefs(target, tid, &tid);
    if (lt == nullptr || tt == nullptr) return absl::InvalidArgumentError("a type out of range");
    if (!NamesMatch(local, lt->name_off, target, tt->name_off)) return false;
    const int lk = btf_kind(lt), tk = btf_kind(tt);
    switch (lk) {
      case BTF_KIND_UNKN:
        return lk == tk;
      case BTF_KIND_FWD: {
        const bool lf = btf_kflag(lt);
        if (behind_ptr) {
          if (lk == tk) return lf == btf_kflag(tt);
          // A forward declaration's kind_flag says union (1) or struct (0).
          return (tk == BTF_KIND_STRUCT && !lf) || (tk == BTF_KIND_UNION && lf);
        }
        return lk == tk && lf == btf_kflag(tt);
      }
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64: {
        if (!btf_is_any_enum(tt) || lt->size != tt->size || btf_vlen(lt) > btf_vlen(tt)) {
          return false;
        }
        for (uint32_t i = 0; i < btf_vlen(lt); ++i) {
          bool found = false;
          for (uint32_t j = 0; j < btf_vlen(tt) && !found; ++j) {
            found = NamesMatch(local, EnumNameOff(lt, i), target, EnumNameOff(tt, j));
          }
          if (!found) return false;
        }
        return true;
      }
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION: {
        if (behind_ptr) {
          if (lk == tk) return true;
          return tk == BTF_KIND_FWD && (lk == BTF_KIND_UNION) == btf_kflag(tt);
        }
        if (lk != tk || btf_vlen(lt) > btf_vlen(tt)) return false;
        for (uint32_t i = 0; i < btf_vlen(lt); ++i) {
          const struct btf_member* lm = btf_members(lt) + i;
          bool found = false;
          for (uint32_t j = 0; j < btf_vlen(tt) && !found; ++j) {
            const struct btf_member* tm = btf_members(tt) + j;
            if (!NamesMatch(local, lm->name_off, target, tm->name_off)) continue;
            absl::StatusOr<bool> m = TypesMatch(local, lm->type, target, tm->type, behind_ptr,
                                                level - 1);
            if (!m.ok()) return m;
            found = *m;
          }
          if (!found) return false;
        }
        return true;
      }
      case BTF_KIND_INT:
        return lk == tk && lt->size == tt->size &&
               (btf_int_encoding(lt) & BTF_INT_SIGNED) == (btf_int_encoding(tt) & BTF_INT_SIGNED);
      case BTF_KIND_PTR:
        if (lk != tk) return false;
        behind_ptr = true;
        lid = lt->type;
        tid = tt->type;
        continue;
      case BTF_KIND_ARRAY:
        if (lk != tk || btf_array(lt)->nelems != btf_array(tt)->nelems) return false;
        lid = btf_array(lt)->type;
        tid = btf_array(tt)->type;
        continue;
      case BTF_KIND_FUNC_PROTO:
        if (lk != tk || btf_vlen(lt) != btf_vlen(tt)) return false;
        for (uint32_t i = 0; i < btf_vlen(lt); ++i) {
          absl::StatusOr<bool> m = TypesMatch(local, btf_params(lt)[i].type, target,
                                              btf_params(tt)[i].type, behind_ptr, level - 1);
          if (!m.ok() || !*m) return m;
        }
        lid = lt->type;
        tid = tt->type;
        continue;
      default:
        return false;
    }
  }
  return absl::InvalidArgumentError("types nested too deep");
}

const char* KindWord(int kind) {
  static constexpr const char* kWords[] = {
      "void",     "int",   "ptr",      "array",    "struct", "union",    "enum",
      "fwd",      "typedef", "volatile", "const",  "restrict", "func",   "func_proto",
      "var",      "datasec", "float",  "decl_tag", "type_tag", "enum64"};
  return kind >= 0 && kind < static_cast<int>(sizeof(kWords) / sizeof(*kWords)) ? kWords[kind]
                                                                                 : "unknown";
}

// The signature writers below follow the matchers above step for step, and
// write every local fact each step reads. `budget` bounds the work as the
// matchers' depths do; when it runs out the signature is abandoned.
class Signer {
 public:
  explicit Signer(const Btf& btf) : btf_(btf) {}
  bool ok() const { return ok_; }
  std::string& out() { return out_; }

  void Kind(const struct btf_type* t) {
    absl::StrAppend(&out_, "k", btf_kind(t), ".", btf_kflag(t) ? 1 : 0, ":");
  }
  void Name(uint32_t off) { absl::StrAppend(&out_, "n", EssentialName(Str(btf_, off)), ";"); }

  // What FieldsAreCompat reads of the local member type `id`.
  void FieldShape(uint32_t id) {
    for (int depth = 0; depth < kMaxChain; ++depth) {
      const struct btf_type* t = SkipModsAndTypedefs(btf_, id, &id);
      if (t == nullptr) return Abandon();
      Kind(t);
      switch (btf_kind(t)) {
        case BTF_KIND_FWD:
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64:
          return Name(t->name_off);
        case BTF_KIND_INT:
          absl::StrAppend(&out_, "o", btf_int_offset(t), ";");
          return;
        case BTF_KIND_ARRAY:
          id = btf_array(t)->type;
          continue;
        default:
          return;
      }
    }
    Abandon();
  }

  // What TypesAreCompat reads, from the skipped root on.
  void CompatShape(uint32_t id, int level) {
    if (level <= 0) return Abandon();
    for (int depth = kMaxCompatDepth; depth-- > 0;) {
      const struct btf_type* t = SkipModsAndTypedefs(btf_, id, &id);
      if (t == nullptr) return Abandon();
      Kind(t);
      switch (btf_kind(t)) {
        case BTF_KIND_INT:
          absl::StrAppend(&out_, "o", btf_int_offset(t), ";");
          return;
        case BTF_KIND_PTR:
          id = t->type;
          continue;
        case BTF_KIND_ARRAY:
          id = btf_array(t)->type;
          continue;
        case BTF_KIND_FUNC_PROTO:
          absl::StrAppend(&out_, "v", btf_vlen(t), "(");
          for (uint32_t i = 0; i < btf_vlen(t) && ok_; ++i) {
            uint32_t p = 0;
            SkipModsAndTypedefs(btf_, btf_params(t)[i].type, &p);
            CompatShape(p, level - 1);
          }
          absl::StrAppend(&out_, ")");
          SkipModsAndTypedefs(btf_, t->type, &id);
          continue;
        default:
          return;
      }
    }
    Abandon();
  }

  // What TypesMatch reads.
  void MatchShape(uint32_t id, bool behind_ptr, int level) {
    if (level <= 0) return Abandon();
    for (int depth = kMaxCompatDepth; depth-- > 0;) {
      const struct btf_type* t = SkipModsAndTypedefs(btf_, id, &id);
      if (t == nullptr) return Abandon();
      Kind(t);
      Name(t->name_off);
      switch (btf_kind(t)) {
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64:
          absl::StrAppend(&out_, "s", t->size, "v", btf_vlen(t), "(");
          for (uint32_t i = 0; i < btf_vlen(t); ++i) Name(EnumNameOff(t, i));
          absl::StrAppend(&out_, ")");
          return;
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
          if (behind_ptr) return;
          absl::StrAppend(&out_, "v", btf_vlen(t), "(");
          for (uint32_t i = 0; i < btf_vlen(t) && ok_; ++i) {
            Name(btf_members(t)[i].name_off);
            MatchShape(btf_members(t)[i].type, behind_ptr, level - 1);
          }
          absl::StrAppend(&out_, ")");
          return;
        case BTF_KIND_INT:
          absl::StrAppend(&out_, "s", t->size, "e", btf_int_encoding(t) & BTF_INT_SIGNED, ";");
          return;
        case BTF_KIND_PTR:
          behind_ptr = true;
          id = t->type;
          continue;
        case BTF_KIND_ARRAY:
          absl::StrAppend(&out_, "e", btf_array(t)->nelems, ";");
          id = btf_array(t)->type;
          continue;
        case BTF_KIND_FUNC_PROTO:
          absl::StrAppend(&out_, "v", btf_vlen(t), "(");
          for (uint32_t i = 0; i < btf_vlen(t) && ok_; ++i) {
            MatchShape(btf_params(t)[i].type, behind_ptr, level - 1);
          }
          absl::StrAppend(&out_, ")");
          id = t->type;
          continue;
        default:
          return;
      }
    }
    Abandon();
  }

 private:
  void Abandon() { ok_ = false; }
  const Btf& btf_;
  std::string out_;
  bool ok_ = true;
};

}  // namespace

std::string MatchSignature(const CoreSpec& local) {
  const Btf& btf = *local.btf;
  Signer sig(btf);
  const struct btf_type* root = CoreType(btf, local.root_type_id);
  if (root == nullptr) return "";
  absl::StrAppend(&sig.out(), "K", local.kind, "|");
  sig.Kind(root);
  sig.Name(root->name_off);
  if (IsTypeRelo(local.kind)) {
    if (local.kind == BPF_CORE_TYPE_MATCHES) {
      sig.MatchShape(local.root_type_id, false, kMaxCompatDepth);
    } else {
      sig.CompatShape(local.root_type_id, kMaxCompatDepth);
    }
  } else if (IsEnumvalRelo(local.kind)) {
    absl::StrAppend(&sig.out(), "E", EssentialName(local.spec[0].name), ";");
  } else {
    for (const CoreAccessor& acc : local.spec) {
      if (acc.name == nullptr) {
        absl::StrAppend(&sig.out(), "I", acc.idx, ";");
        continue;
      }
      const struct btf_member* m = btf_members(CoreType(btf, acc.type_id)) + acc.idx;
      absl::StrAppend(&sig.out(), "M", acc.name, ":");
      sig.FieldShape(m->type);
    }
  }
  return sig.ok() ? std::move(sig.out()) : std::string();
}

bool IsFieldRelo(uint32_t kind) { return kind <= BPF_CORE_FIELD_RSHIFT_U64; }
bool IsTypeRelo(uint32_t kind) {
  return (kind >= BPF_CORE_TYPE_ID_LOCAL && kind <= BPF_CORE_TYPE_SIZE) ||
         kind == BPF_CORE_TYPE_MATCHES;
}
bool IsEnumvalRelo(uint32_t kind) {
  return kind == BPF_CORE_ENUMVAL_EXISTS || kind == BPF_CORE_ENUMVAL_VALUE;
}

const char* CoreReloKindName(uint32_t kind) {
  switch (kind) {
    case BPF_CORE_FIELD_BYTE_OFFSET: return "byte_off";
    case BPF_CORE_FIELD_BYTE_SIZE: return "byte_sz";
    case BPF_CORE_FIELD_EXISTS: return "field_exists";
    case BPF_CORE_FIELD_SIGNED: return "signed";
    case BPF_CORE_FIELD_LSHIFT_U64: return "lshift_u64";
    case BPF_CORE_FIELD_RSHIFT_U64: return "rshift_u64";
    case BPF_CORE_TYPE_ID_LOCAL: return "local_type_id";
    case BPF_CORE_TYPE_ID_TARGET: return "target_type_id";
    case BPF_CORE_TYPE_EXISTS: return "type_exists";
    case BPF_CORE_TYPE_MATCHES: return "type_matches";
    case BPF_CORE_TYPE_SIZE: return "type_size";
    case BPF_CORE_ENUMVAL_EXISTS: return "enumval_exists";
    case BPF_CORE_ENUMVAL_VALUE: return "enumval_value";
    default: return "unknown";
  }
}

const struct btf_type* CoreType(const Btf& btf, uint32_t id) {
  if (id == 0) return &kVoidType;
  return btf.type(id);
}

const struct btf_type* SkipModsAndTypedefs(const Btf& btf, uint32_t id, uint32_t* res_id) {
  // Btf's own walk: a validated Btf's references are in range and its
  // chains of modifiers end (the kernel's rules bound them at 32).
  if (!btf.valid_id(id)) return nullptr;
  id = btf.SkipModsAndTypedefs(id);
  if (res_id != nullptr) *res_id = id;
  return CoreType(btf, id);
}

absl::StatusOr<CoreSpec> ParseLocalSpec(const Btf& btf, const CoreRelo& relo) {
  const char* access = btf.str(relo.access_str_off);
  auto bad = [&](absl::string_view problem) {
    return absl::InvalidArgumentError(absl::StrCat(
        "access '", access != nullptr ? access : "?", "' of type ", relo.type_id, " (",
        CoreReloKindName(relo.kind), "): ", problem));
  };
  if (access == nullptr) return bad("access string offset past the strings");
  if (*access == '\0' || *access == ':') return bad("empty or malformed access string");
  if (relo.kind > BPF_CORE_TYPE_MATCHES) return bad(absl::StrCat("unknown kind ", relo.kind));
  if (relo.type_id == 0 || !btf.valid_id(relo.type_id)) return bad("no such local type");
  CoreSpec spec;
  spec.btf = &btf;
  spec.root_type_id = relo.type_id;
  spec.kind = relo.kind;
  if (IsTypeRelo(relo.kind)) {
    if (strcmp(access, "0") != 0) return bad("a type relocation's access string must be \"0\"");
    return spec;
  }
  for (const char* p = access; *p != '\0';) {
    if (*p == ':') ++p;
    if (*p < '0' || *p > '9') return bad("not a list of indexes");
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; ++p) {
      v = v * 10 + (*p - '0');
      if (v > INT32_MAX) return bad("an index too large");
    }
    if (*p != '\0' && *p != ':') return bad("not a list of indexes");
    if (spec.raw.size() == kMaxCoreSpecLen) return bad("more levels than a spec holds");
    spec.raw.push_back(static_cast<uint32_t>(v));
  }
  uint32_t id = 0;
  const struct btf_type* t = SkipModsAndTypedefs(btf, relo.type_id, &id);
  if (t == nullptr) return bad("type chain out of range");
  spec.spec.push_back({id, spec.raw[0], nullptr});
  if (IsEnumvalRelo(relo.kind)) {
    if (!btf_is_any_enum(t) || spec.raw.size() > 1 || spec.raw[0] >= btf_vlen(t)) {
      return bad("not an enumerator of an enum");
    }
    spec.spec[0].name = btf.str(EnumNameOff(t, spec.raw[0]));
    return spec;
  }
  absl::StatusOr<uint64_t> size = Size(btf, id);
  if (!size.ok()) return bad(absl::StrCat("root type ", id, " has no size"));
  if (absl::Status s = AddElements(&spec, spec.raw[0], *size); !s.ok()) return bad(s.message());
  for (size_t i = 1; i < spec.raw.size(); ++i) {
    t = SkipModsAndTypedefs(btf, id, &id);
    if (t == nullptr) return bad("type chain out of range");
    const uint32_t idx = spec.raw[i];
    if (btf_is_composite(t)) {
      if (idx >= btf_vlen(t)) return bad(absl::StrCat("member ", idx, " of type ", id, " does not exist"));
      spec.bit_offset += btf_member_bit_offset(t, idx);
      const struct btf_member* m = btf_members(t) + idx;
      if (m->name_off != 0) {
        const char* name = btf.str(m->name_off);
        if (name == nullptr || *name == '\0') return bad("a member's name is not a string");
        spec.spec.push_back({id, idx, name});
      }
      id = m->type;
    } else if (btf_is_array(t)) {
      const struct btf_array* a = btf_array(t);
      if (SkipModsAndTypedefs(btf, a->type, &id) == nullptr) return bad("element type out of range");
      if (!IsFlexArray(btf, &spec.spec.back(), a) && idx >= a->nelems) {
        return bad(absl::StrCat("index ", idx, " past the ", a->nelems, " elements"));
      }
      spec.spec.push_back({id, idx, nullptr});
      size = Size(btf, id);
      if (!size.ok()) return bad(absl::StrCat("element type ", id, " has no size"));
      if (absl::Status s = AddElements(&spec, idx, *size); !s.ok()) return bad(s.message());
    } else {
      return bad(absl::StrCat("level ", i, " reaches type ", id, " (", KindWord(btf_kind(t)),
                              "), which has no members or elements"));
    }
  }
  return spec;
}

absl::StatusOr<bool> MatchSpec(const CoreSpec& local, const Btf& target, uint32_t tid,
                               CoreSpec* out) {
  *out = CoreSpec();
  out->btf = &target;
  out->root_type_id = tid;
  out->kind = local.kind;
  if (IsTypeRelo(local.kind)) {
    if (local.kind == BPF_CORE_TYPE_MATCHES) {
      return TypesMatch(*local.btf, local.root_type_id, target, tid, false, kMaxCompatDepth);
    }
    return CoreTypesAreCompat(*local.btf, local.root_type_id, target, tid);
  }
  if (IsEnumvalRelo(local.kind)) {
    const struct btf_type* t = SkipModsAndTypedefs(target, tid, &tid);
    if (t == nullptr || !btf_is_any_enum(t)) return false;
    const absl::string_view want = EssentialName(local.spec[0].name);
    for (uint32_t i = 0; i < btf_vlen(t); ++i) {
      const char* name = target.str(EnumNameOff(t, i));
      if (name != nullptr && EssentialName(name) == want) {
        out->spec.push_back({tid, i, name});
        out->raw.push_back(i);
        return true;
      }
    }
    return false;
  }
  for (size_t i = 0; i < local.spec.size(); ++i) {
    const CoreAccessor& acc = local.spec[i];
    const struct btf_type* t = SkipModsAndTypedefs(target, tid, &tid);
    if (t == nullptr) return absl::InvalidArgumentError("a target type out of range");
    if (acc.name != nullptr) {
      absl::StatusOr<bool> m = MatchMember(local, acc, target, tid, out, &tid);
      if (!m.ok() || !*m) return m;
      continue;
    }
    if (i > 0) {
      if (!btf_is_array(t)) return false;
      const struct btf_array* a = btf_array(t);
      if (!IsFlexArray(target, &out->spec.back(), a) && acc.idx >= a->nelems) return false;
      if (SkipModsAndTypedefs(target, a->type, &tid) == nullptr) {
        return absl::InvalidArgumentError("a target element type out of range");
      }
    }
    if (out->raw.size() == kMaxCoreSpecLen) {
      return absl::InvalidArgumentError("target nests deeper than a spec holds");
    }
    out->spec.push_back({tid, acc.idx, nullptr});
    out->raw.push_back(acc.idx);
    absl::StatusOr<uint64_t> size = Size(target, tid);
    if (!size.ok()) return size.status();
    if (absl::Status s = AddElements(out, acc.idx, *size); !s.ok()) return s;
  }
  return true;
}

std::string FormatSpec(const CoreSpec& spec) {
  const struct btf_type* t = CoreType(*spec.btf, spec.root_type_id);
  const absl::string_view name = t != nullptr ? Str(*spec.btf, t->name_off) : "";
  std::string out = absl::StrCat("<", CoreReloKindName(spec.kind), "> [", spec.root_type_id, "] ",
                                 KindWord(t != nullptr ? btf_kind(t) : 0), " ",
                                 name.empty() ? "<anon>" : name);
  if (IsTypeRelo(spec.kind) || spec.spec.empty()) return out;
  if (IsEnumvalRelo(spec.kind)) {
    const struct btf_type* e = CoreType(*spec.btf, spec.spec[0].type_id);
    const uint32_t i = spec.spec[0].idx;
    const bool is_signed = btf_kflag(e);
    if (btf_is_enum(e)) {
      const int32_t v = btf_enum(e)[i].val;
      absl::StrAppend(&out, "::", spec.spec[0].name, " = ",
                      is_signed ? absl::StrCat(v) : absl::StrCat(static_cast<uint32_t>(v)));
    } else {
      const uint64_t v = btf_enum64_value(btf_enum64(e) + i);
      absl::StrAppend(&out, "::", spec.spec[0].name, " = ",
                      is_signed ? absl::StrCat(static_cast<int64_t>(v)) : absl::StrCat(v));
    }
    return out;
  }
  for (size_t i = 0; i < spec.spec.size(); ++i) {
    if (spec.spec[i].name != nullptr) {
      absl::StrAppend(&out, ".", spec.spec[i].name);
    } else if (i > 0 || spec.spec[i].idx > 0) {
      absl::StrAppend(&out, "[", spec.spec[i].idx, "]");
    }
  }
  absl::StrAppend(&out, " (");
  for (size_t i = 0; i < spec.raw.size(); ++i) absl::StrAppend(&out, i ? ":" : "", spec.raw[i]);
  if (spec.bit_offset % 8 != 0) {
    absl::StrAppend(&out, " @ offset ", spec.bit_offset / 8, ".", spec.bit_offset % 8, ")");
  } else {
    absl::StrAppend(&out, " @ offset ", spec.bit_offset / 8, ")");
  }
  return out;
}

absl::StatusOr<bool> CoreTypesAreCompat(const Btf& local, uint32_t local_id, const Btf& target,
                                        uint32_t target_id) {
  // The roots as they are (a typedef matches only a typedef), then what
  // they name.
  const struct btf_type* lt = CoreType(local, local_id);
  const struct btf_type* tt = CoreType(target, target_id);
  if (lt == nullptr || tt == nullptr) return absl::InvalidArgumentError("a type out of range");
  if (!KindCompat(lt, tt)) return false;
  return TypesAreCompat(local, local_id, target, target_id, kMaxCompatDepth);
}

absl::StatusOr<bool> CoreTypesMatch(const Btf& local, uint32_t local_id, const Btf& target,
                                    uint32_t target_id) {
  return TypesMatch(local, local_id, target, target_id, false, kMaxCompatDepth);
}

}  // namespace btfreg
