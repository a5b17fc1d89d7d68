#include "btf/validate.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "btf/btf.h"
#include "btf/type_table.h"

namespace btfreg {
namespace {

constexpr uint16_t kMagic = 0xeB9F;
constexpr uint32_t kMaxStrOffset = 0x7fffffff;  // BTF_MAX_STR_OFFSET
constexpr uint32_t kMaxTypes = 0x000fffff;      // BTF_MAX_TYPE

uint32_t Swap32(uint32_t v) { return __builtin_bswap32(v); }

absl::Status Bad(absl::string_view name, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(name, ": ", problem));
}

// The value graph: the edges along which a type's size or layout depends
// on another's (a struct on its members, an array on its element, a typedef
// on its target); a pointer has none there. A loop in it is invalid
// (`struct a { struct a x; }`, `typedef t t;`), and so is one in the chain
// graph of pointers, modifiers and typedefs (`T * -> T *`), which
// FindChainLoops checks.
uint32_t ValueEdgeCount(const struct btf_type* t) {
  switch (btf_kind(t)) {
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_TYPE_TAG:
    case BTF_KIND_ARRAY:
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
    case BTF_KIND_FUNC:
      return 1;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_DATASEC:
      return btf_vlen(t);
    default:
      return 0;
  }
}

uint32_t Edge(const struct btf_type* t, uint32_t i) {
  switch (btf_kind(t)) {
    case BTF_KIND_ARRAY:
      return btf_array(t)->type;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
      return btf_members(t)[i].type;
    case BTF_KIND_DATASEC:
      return btf_var_secinfos(t)[i].type;
    default:
      return t->type;
  }
}

struct Frame {
  uint32_t id;
  uint32_t next_edge;
  uint32_t edges;            // the type's edge count, counted once
  uint32_t acc;              // what on_edge gathers from the edges done so far
  const struct btf_type* t;  // the type, looked up once
};

// Iterative depth-first search over the own types [first, end); edges into
// the base are skipped (the base was checked on its own). `on_back(stack,
// to)` sees each back edge, i.e. a cycle through `to`. `on_edge(frame, to)`
// runs for each edge of the frame's type whose target `to` is done (at
// once if it was, else when it is), so that the frame's `acc` gathers what
// its type needs from its targets; `on_done(t, id, acc)` runs in
// post-order, with that gathering. A non-OK status from on_back or on_done
// ends the search.
template <typename Count, typename EdgeOf, typename OnBack, typename OnEdge, typename OnDone>
absl::Status DepthFirst(const TypeTable* btf, uint32_t first, uint32_t end,
                        Count count, EdgeOf edge, OnBack on_back, OnEdge on_edge,
                        OnDone on_done) {
  enum : uint8_t { kWhite, kGrey, kBlack };
  std::vector<uint8_t> color(end - first, kWhite);
  std::vector<Frame> stack;
  // Enters `id`. A type that can be done at once is, with no frame: one
  // without edges (most of vmlinux: pointers, ints, prototypes), or with
  // one edge to a type that is done or the base's (a function, a typedef,
  // a modifier, as a rule). It cannot be on a cycle, and the callbacks run
  // as they would with a frame.
  auto enter = [&](uint32_t id) -> absl::Status {
    const struct btf_type* t = btf->type(id);
    const uint32_t edges = count(t);
    if (edges <= 1) {
      const uint32_t to = edges == 1 ? edge(t, 0) : 0;
      if (edges == 0 || to < first || color[to - first] == kBlack) {
        Frame f{id, edges, edges, 0, t};
        if (edges == 1 && to >= first) on_edge(f, to);
        color[id - first] = kBlack;
        return on_done(t, id, f.acc);
      }
    }
    color[id - first] = kGrey;
    stack.push_back({id, 0, edges, 0, t});
    return absl::OkStatus();
  };
  for (uint32_t root = first; root < end; ++root) {
    if (color[root - first] != kWhite) continue;
    if (absl::Status s = enter(root); !s.ok()) return s;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next_edge < f.edges) {
        const uint32_t to = edge(f.t, f.next_edge++);
        if (to < first) continue;
        if (color[to - first] == kBlack) {
          on_edge(f, to);
        } else if (color[to - first] == kGrey) {
          absl::Status s = on_back(stack, to);
          if (!s.ok()) return s;
        } else {
          const size_t frames = stack.size();
          if (absl::Status s = enter(to); !s.ok()) return s;
          if (stack.size() == frames) on_edge(stack.back(), to);  // done at once
        }
        continue;
      }
      absl::Status s = on_done(f.t, f.id, f.acc);
      if (!s.ok()) return s;
      color[f.id - first] = kBlack;
      const uint32_t done = f.id;
      stack.pop_back();
      if (!stack.empty()) on_edge(stack.back(), done);
    }
  }
  return absl::OkStatus();
}

// Rejects loops in the value graph, and bounds how deep types nest (a
// struct in an array in a struct ...), which bounds every recursive walk
// over them.
absl::Status FindValueLoops(const TypeTable* btf, uint32_t first, uint32_t end,
                            absl::string_view name) {
  std::vector<uint16_t> depth(end - first, 0);
  auto on_back = [&](const std::vector<Frame>&, uint32_t to) {
    return Bad(name, absl::StrCat("type ", to, " (",
                                  KindName(btf_kind(btf->type(to))),
                                  ") refers to itself through a loop"));
  };
  // acc: the deepest own type this one holds by value.
  auto on_edge = [&](Frame& f, uint32_t to) {
    if (depth[to - first] > f.acc) f.acc = depth[to - first];
  };
  auto on_done = [&](const struct btf_type*, uint32_t id, uint32_t deepest) {
    if (deepest + 1 > kMaxNesting) {
      return Bad(name, absl::StrCat("type ", id, " nests types more than ",
                                    kMaxNesting, " deep"));
    }
    depth[id - first] = static_cast<uint16_t>(deepest + 1);
    return absl::OkStatus();
  };
  return DepthFirst(btf, first, end, ValueEdgeCount, Edge, on_back, on_edge, on_done);
}

// Rejects loops in the chain graph, where a type has at most one edge (the
// reference kinds: a pointer, a modifier, a typedef): following each chain
// once finds what a depth-first search would, in the same order and with
// the same message, without a stack. A chain that meets itself is a loop;
// one that meets an earlier chain ends there.
absl::Status FindChainLoops(const TypeTable* btf, uint32_t first, uint32_t end,
                            absl::string_view name) {
  std::vector<uint32_t> reached_from(end - first, 0);  // the root whose chain got there
  for (uint32_t root = first; root < end; ++root) {
    if (reached_from[root - first] != 0) continue;
    for (uint32_t id = root;;) {
      reached_from[id - first] = root;
      const struct btf_type* t = btf->type(id);
      if (!IsReferenceKind(btf_kind(t))) break;
      const uint32_t to = t->type;
      if (to < first) break;  // void, or the base's (checked on its own)
      if (reached_from[to - first] == root) {
        return Bad(name, absl::StrCat("type ", to, " (", KindName(btf_kind(btf->type(to))),
                                      ") refers to itself through a loop"));
      }
      if (reached_from[to - first] != 0) break;
      id = to;
    }
  }
  return absl::OkStatus();
}

class TypeChecker {
 public:
  TypeChecker(const TypeTable* btf, absl::string_view name)
      : btf_(btf),
        base_(btf->base()),
        name_(name),
        count_(btf->type_cnt()),
        str_end_(btf->str_end()),
        own_str_from_(base_ != nullptr ? btf->start_str_off() : 0) {}

  // `what` and `index` name the part of the type ("member", 3); they are
  // formatted only on failure, as this runs for every member of vmlinux.
  // The checks run for every type and member of vmlinux: each is an inline
  // test, with its error (and the base check of split BTF) out of line. A
  // name in the object's own strings, or none (0), needs no base check.
  absl::Status CheckName(uint32_t id, uint32_t off, const char* what = "",
                         int index = -1) {
    if (off < str_end_ && (off >= own_str_from_ || off == 0)) return absl::OkStatus();
    return CheckNameSlow(id, off, what, index);
  }
  ABSL_ATTRIBUTE_NOINLINE absl::Status CheckNameSlow(uint32_t id, uint32_t off, const char* what,
                                                     int index) {
    const char* str = btf_->str(off);
    if (str == nullptr) {
      return Bad(name_, absl::StrCat("type ", id, Part(what, index),
                                     " names string offset ", off,
                                     ", past the end of the string section"));
    }
    // Split BTF names its base's strings by their start (pahole and libbpf
    // dedup whole strings against the base). A name in the middle of a base
    // string means the BTF was made on another base.
    if (base_ != nullptr && off != 0 && base_->str(off) == str) {
      const char* before = base_->str(off - 1);
      if (before != nullptr && *before != '\0') {
        return Bad(name_, absl::StrCat(
            "does not fit its base: type ", id, Part(what, index),
            " names base string offset ", off,
            ", which is inside a string (split BTF made on another base?)"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckRef(uint32_t id, uint32_t to, bool void_ok,
                        const char* what = "", int index = -1) {
    if (to < count_ && (void_ok || to != 0)) return absl::OkStatus();
    return BadRef(id, to, what, index);
  }
  ABSL_ATTRIBUTE_NOINLINE absl::Status BadRef(uint32_t id, uint32_t to, const char* what,
                                              int index) const {
    if (to == 0) {
      return Bad(name_, absl::StrCat("type ", id, Part(what, index),
                                     " refers to void, which it may not"));
    }
    return Bad(name_, absl::StrCat("type ", id, Part(what, index),
                                   " refers to type ", to,
                                   ", but the types end at ", count_ - 1));
  }

  static std::string Part(const char* what, int index) {
    if (*what == '\0') return "";
    return index < 0 ? absl::StrCat(" ", what)
                     : absl::StrCat(" ", what, " ", index);
  }

  absl::Status CheckType(uint32_t id) {
    const struct btf_type* t = btf_->type(id);
    absl::Status s = CheckName(id, t->name_off);
    if (!s.ok()) return s;
    if (IsReferenceKind(btf_kind(t))) return CheckRef(id, t->type, true);
    switch (btf_kind(t)) {
      case BTF_KIND_INT:  // bits and encoding: validate_kind.cc
        return absl::OkStatus();
      case BTF_KIND_VAR:
      case BTF_KIND_DECL_TAG:
        return CheckRef(id, t->type, false);
      case BTF_KIND_FUNC:
        s = CheckRef(id, t->type, false);
        if (s.ok() && !btf_is_func_proto(btf_->type(t->type))) {
          return Bad(name_, absl::StrCat("type ", id, " (FUNC) refers to type ",
                                         t->type, ", not a FUNC_PROTO"));
        }
        return s;
      case BTF_KIND_ARRAY: {
        const struct btf_array* a = btf_array(t);
        s = CheckRef(id, a->type, false, "element");
        if (s.ok()) s = CheckRef(id, a->index_type, false, "index");
        return s;
      }
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION: {
        const struct btf_member* m = btf_members(t);
        for (uint32_t i = 0; i < btf_vlen(t) && s.ok(); ++i) {
          s = CheckName(id, m[i].name_off, "member", i);
          if (s.ok()) s = CheckRef(id, m[i].type, false, "member", i);
        }
        return s;
      }
      case BTF_KIND_ENUM: {
        const struct btf_enum* e = btf_enum(t);
        for (uint32_t i = 0; i < btf_vlen(t) && s.ok(); ++i) {
          s = CheckName(id, e[i].name_off, "enumerator", i);
        }
        return s;
      }
      case BTF_KIND_ENUM64: {
        const struct btf_enum64* e = btf_enum64(t);
        for (uint32_t i = 0; i < btf_vlen(t) && s.ok(); ++i) {
          s = CheckName(id, e[i].name_off, "enumerator", i);
        }
        return s;
      }
      case BTF_KIND_FUNC_PROTO: {
        s = CheckRef(id, t->type, true, "return");
        const struct btf_param* p = btf_params(t);
        for (uint32_t i = 0; i < btf_vlen(t) && s.ok(); ++i) {
          s = CheckName(id, p[i].name_off, "parameter", i);
          // void as the last parameter spells "...".
          bool last = i + 1 == btf_vlen(t);
          if (s.ok()) s = CheckRef(id, p[i].type, last, "parameter", i);
        }
        return s;
      }
      case BTF_KIND_DATASEC: {
        const struct btf_var_secinfo* v = btf_var_secinfos(t);
        for (uint32_t i = 0; i < btf_vlen(t) && s.ok(); ++i) {
          s = CheckRef(id, v[i].type, false, "variable", i);
          // An object file's DATASEC has size 0 until a loader lays the
          // section out (libbpf fills it in from the ELF section).
          if (s.ok() && t->size != 0 &&
              uint64_t{v[i].offset} + v[i].size > t->size) {
            return Bad(name_, absl::StrCat("type ", id, " (DATASEC) variable ",
                                           i, " ends past the section"));
          }
        }
        return s;
      }
      case BTF_KIND_FWD:
      case BTF_KIND_FLOAT:
        return absl::OkStatus();
      default:
        return Bad(name_, absl::StrCat("type ", id, " has unknown kind ",
                                       btf_kind(t)));
    }
  }

  // What CheckMembers asks of a member's type, packed in a word (a
  // TypeMemo entry): ResolveSize (bits 0-31), or kNoSize if it has none;
  // kInt if ResolveType finds an INT, whose offset + bits (at most 510) are
  // bits 32-47; kKnown always, so that no entry is 0. Computed by those two
  // calls, so the answers are theirs. Made by PrepareShapes.
  static constexpr uint64_t kKnown = uint64_t{1} << 63;
  static constexpr uint64_t kNoSize = uint64_t{1} << 62;
  static constexpr uint64_t kInt = uint64_t{1} << 61;
  void PrepareShapes(uint32_t first) { shapes_ = std::make_unique<TypeMemo<uint64_t>>(first, count_); }
  uint64_t Shape(uint32_t type_id) {
    return shapes_->Get(type_id, [this](uint32_t id) {
      uint64_t shape = kKnown;
      const int64_t size = btf_->ResolveSize(id);
      if (size < 0) return shape | kNoSize;
      shape |= static_cast<uint64_t>(size) & 0xffffffffu;
      const struct btf_type* mt = btf_->type(btf_->ResolveType(id));
      if (mt != nullptr && btf_is_int(mt)) {
        const uint32_t enc = *reinterpret_cast<const uint32_t*>(mt + 1);
        shape |= kInt | uint64_t{BTF_INT_OFFSET(enc) + BTF_INT_BITS(enc)} << 32;
      }
      return shape;
    });
  }

  // After the loop checks: every member lies inside its struct. Sets
  // `*ordered` for a struct whose members do not overlap and are in order.
  absl::Status CheckMembers(uint32_t id, bool* ordered) {
    const struct btf_type* t = btf_->type(id);
    *ordered = false;
    if (!btf_is_composite(t)) return absl::OkStatus();
    *ordered = btf_is_struct(t);
    uint64_t prev_end = 0;
    const struct btf_member* m = btf_members(t);
    const uint64_t limit = uint64_t{t->size} * 8;
    for (uint32_t i = 0; i < btf_vlen(t); ++i) {
      const uint64_t start = btf_member_bit_offset(t, i);
      if (start < prev_end) *ordered = false;
      uint64_t off = start;
      uint32_t bits = btf_member_bitfield_size(t, i);
      // What the member covers, as the kernel bounds it: an int by its
      // bits (an INT's size may exceed them), anything else by its size.
      uint64_t end = start + bits;
      if (bits == 0) {
        const uint64_t shape = Shape(m[i].type);
        if (shape & kNoSize) {
          return Bad(name_, absl::StrCat("type ", id, " member ", i,
                                         " has a type of no valid size"));
        }
        off += (shape & 0xffffffffu) * 8;
        end = (shape & kInt) ? start + ((shape >> 32) & 0xffff) : off;
      }
      prev_end = off + bits;
      if (end > limit) {
        return Bad(name_, absl::StrCat("type ", id, " (",
                                       KindName(btf_kind(t)), " '",
                                       btf_->str(t->name_off),
                                       "') member ", i,
                                       " ends past the struct's size ",
                                       t->size));
      }
    }
    return absl::OkStatus();
  }

 private:
  const TypeTable* btf_;
  const TypeTable* base_;  // for split BTF, else nullptr
  absl::string_view name_;
  uint32_t count_;
  uint32_t str_end_;
  uint32_t own_str_from_;  // where this object's strings start; 0 without a base
  // For Shape, from PrepareShapes: made for the members pass alone (with the
  // resolve pass's memo gone), as it holds 8 bytes per type.
  std::unique_ptr<TypeMemo<uint64_t>> shapes_;
};

}  // namespace

std::vector<uint8_t> TrimHeader(absl::Span<const uint8_t> raw) {
  assert(raw.size() >= sizeof(struct btf_header) && "TrimHeader before ValidateHeader");
  struct btf_header h;
  memcpy(&h, raw.data(), sizeof(h));
  const bool swapped = h.magic == __builtin_bswap16(kMagic);
  const uint32_t hdr_len = swapped ? Swap32(h.hdr_len) : h.hdr_len;
  if (hdr_len == sizeof(h)) return {};
  std::vector<uint8_t> out(raw.size() - (hdr_len - sizeof(h)));
  const uint32_t short_len = sizeof(h);
  h.hdr_len = swapped ? Swap32(short_len) : short_len;
  memcpy(out.data(), &h, sizeof(h));
  memcpy(out.data() + sizeof(h), raw.data() + hdr_len, raw.size() - hdr_len);
  return out;
}

absl::Status ValidateHeader(absl::Span<const uint8_t> raw,
                            absl::string_view name, bool is_split) {
  struct btf_header h;
  if (raw.size() < sizeof(h)) {
    return Bad(name, absl::StrCat("truncated BTF header: ", raw.size(),
                                  " bytes, a header needs ", sizeof(h)));
  }
  memcpy(&h, raw.data(), sizeof(h));
  if (h.magic == __builtin_bswap16(kMagic)) {
    h.hdr_len = Swap32(h.hdr_len);
    h.type_off = Swap32(h.type_off);
    h.type_len = Swap32(h.type_len);
    h.str_off = Swap32(h.str_off);
    h.str_len = Swap32(h.str_len);
  } else if (h.magic != kMagic) {
    return Bad(name, absl::StrCat("bad BTF magic 0x", absl::Hex(h.magic),
                                  " (expected 0xeb9f)"));
  }
  if (h.version != BTF_VERSION) {
    return Bad(name, absl::StrCat("unsupported BTF version ", h.version));
  }
  if (h.flags != 0) {
    return Bad(name, absl::StrCat("unsupported BTF header flags 0x", absl::Hex(h.flags)));
  }
  if (h.hdr_len < sizeof(h) || h.hdr_len > raw.size()) {
    return Bad(name, absl::StrCat("header length ", h.hdr_len,
                                  " is outside [", sizeof(h), ", ",
                                  raw.size(), "]"));
  }
  // A longer header than this version knows: as the kernel, accept it only
  // if the fields it does not know are zero.
  for (uint32_t i = sizeof(h); i < h.hdr_len; ++i) {
    if (raw[i] != 0) {
      return Bad(name, absl::StrCat("header length ", h.hdr_len, ": byte ", i,
                                    " is 0x", absl::Hex(raw[i]), ", but the bytes past the ",
                                    sizeof(h), " known header bytes must be zero"));
    }
  }
  const uint64_t data = raw.size() - h.hdr_len;
  const uint64_t type_end = uint64_t{h.type_off} + h.type_len;
  const uint64_t str_end = uint64_t{h.str_off} + h.str_len;
  if (h.type_off % 4 != 0) {
    return Bad(name, absl::StrCat("type section offset ", h.type_off,
                                  " is not 4-byte aligned"));
  }
  if (type_end > data) {
    return Bad(name, absl::StrCat("header says the type section ends at ",
                                  type_end, ", past the data (", data,
                                  " bytes)"));
  }
  if (str_end > data) {
    return Bad(name, absl::StrCat("header says the string section ends at ",
                                  str_end, ", past the data (", data,
                                  " bytes)"));
  }
  if (type_end > h.str_off) {
    return Bad(name, "type and string sections overlap");
  }
  // The two sections tile the data: nothing before, between or after
  // them, and the strings last (the kernel's btf_check_sec_info: "Unsupported
  // section found", and btf_parse_str_sec: "String section is not at the
  // end"). Ordered by offset, as the kernel sorts them.
  {
    struct Section {
      uint64_t off, len;
      const char* what;
    } secs[2] = {{h.type_off, h.type_len, "type"}, {h.str_off, h.str_len, "string"}};
    if (secs[1].off < secs[0].off) std::swap(secs[0], secs[1]);
    uint64_t covered = 0;
    for (const Section& sec : secs) {
      if (sec.off > covered) {
        return Bad(name, absl::StrCat(sec.off - covered, " bytes of data before the ",
                                      sec.what, " section (at ", sec.off,
                                      ") belong to no section"));
      }
      covered = std::max(covered, sec.off + sec.len);
    }
    if (covered != data) {
      return Bad(name, absl::StrCat(data - covered, " bytes of data after the sections (",
                                    covered, " of ", data, ") belong to no section"));
    }
    if (str_end != data) return Bad(name, "the string section is not at the end of the data");
  }
  if (h.str_len > kMaxStrOffset) {
    return Bad(name, absl::StrCat("string section of ", h.str_len,
                                  " bytes is too large"));
  }
  const uint8_t* strs = raw.data() + h.hdr_len + h.str_off;
  if (h.str_len == 0) {
    if (!is_split) return Bad(name, "empty string section");
  } else {
    if (strs[h.str_len - 1] != '\0') {
      return Bad(name, "string section is not NUL-terminated");
    }
    if (!is_split && strs[0] != '\0') {
      return Bad(name, "string section does not start with the empty string"
                       " (split BTF loaded without its base?)");
    }
  }
  return absl::OkStatus();
}

uint32_t DeclarationEdgeCount(const struct btf_type* t, bool named_end) {
  switch (btf_kind(t)) {
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
      return named_end && t->name_off != 0 ? 0 : btf_vlen(t);
    case BTF_KIND_TYPEDEF:
      return named_end ? 0 : 1;
    case BTF_KIND_PTR:
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
    case BTF_KIND_ARRAY:
    case BTF_KIND_FUNC:
      return 1;
    case BTF_KIND_FUNC_PROTO:
      return 1 + btf_vlen(t);
    default:
      return 0;
  }
}

uint32_t DeclarationEdge(const struct btf_type* t, uint32_t i) {
  assert(i < DeclarationEdgeCount(t, /*named_end=*/false) && "DeclarationEdge past the edges");
  if (btf_is_composite(t)) return btf_members(t)[i].type;
  if (btf_is_array(t)) return btf_array(t)->type;
  if (btf_is_func_proto(t) && i > 0) return btf_params(t)[i - 1].type;
  return t->type;
}

std::vector<bool> FindUnspellable(const TypeTable* btf, uint32_t first) {
  // The declarator graph: what btf_dump follows when it spells a type.
  // Named types (structs, unions, enums, typedefs) end a declaration; an
  // anonymous struct or union is written out whole, members included.
  auto edges = [](const struct btf_type* t) {
    return DeclarationEdgeCount(t, /*named_end=*/true);
  };
  auto edge = DeclarationEdge;
  const uint32_t end = btf->type_cnt();
  std::vector<bool> bad(end - first, false);
  std::vector<uint16_t> depth(end - first, 0);
  auto on_back = [&](const std::vector<Frame>& stack, uint32_t to) {
    // A cycle: everything on the stack from `to` up is on it.
    for (size_t i = stack.size(); i-- > 0;) {
      bad[stack[i].id - first] = true;
      if (stack[i].id == to) break;
    }
    return absl::OkStatus();
  };
  // acc: the deepest own part (bits 0-15) and whether any part is
  // unspellable (kBadPart).
  constexpr uint32_t kBadPart = uint32_t{1} << 31;
  auto on_edge = [&](Frame& f, uint32_t to) {
    const uint32_t d = std::max<uint32_t>(f.acc & 0xffff, depth[to - first]);
    f.acc = d | (f.acc & kBadPart) | (bad[to - first] ? kBadPart : 0);
  };
  auto on_done = [&](const struct btf_type*, uint32_t id, uint32_t acc) {
    // Unspellable if any part is, or nested too deep. (A part on a cycle
    // with this type made it unspellable in on_back.)
    const uint32_t d = acc & 0xffff;
    depth[id - first] = static_cast<uint16_t>(std::min<uint32_t>(d + 1, 0xffff));
    bad[id - first] = bad[id - first] || (acc & kBadPart) != 0 || d + 1 > kMaxDeclaratorDepth;
    return absl::OkStatus();
  };
  DepthFirst(btf, first, end, edges, edge, on_back, on_edge, on_done).IgnoreError();
  return bad;
}

absl::Status ValidateTypes(const TypeTable* btf, uint32_t first,
                           absl::string_view name, bool object_file,
                           std::vector<bool>* ordered) {
  const uint32_t end = btf->type_cnt();
  if (end - first > kMaxTypes) {
    return Bad(name, absl::StrCat(end - first, " types, more than the ",
                                  kMaxTypes, " BTF allows"));
  }
  TypeChecker checker(btf, name);
  for (uint32_t id = first; id < end; ++id) {
    absl::Status s = checker.CheckType(id);
    if (!s.ok()) return s;
  }
  if (absl::Status s = FindValueLoops(btf, first, end, name); !s.ok()) return s;
  if (absl::Status s = FindChainLoops(btf, first, end, name); !s.ok()) return s;
  absl::Status rules = ValidateKernelRules(btf, first, name, object_file);
  if (!rules.ok()) return rules;
  ordered->assign(end - first, false);
  checker.PrepareShapes(first);
  for (uint32_t id = first; id < end; ++id) {
    bool in_order = false;
    absl::Status s = checker.CheckMembers(id, &in_order);
    if (!s.ok()) return s;
    (*ordered)[id - first] = in_order;
  }
  return absl::OkStatus();
}

}  // namespace btfreg
