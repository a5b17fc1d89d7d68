// The kernel's per-kind BTF rules, each broken once.
//
// btf/validate_kind.cc carries the rules of the kernel's btf_*_check_meta
// functions, its resolve pass and btf_check_type_tags. For each rule this
// table has one input, written word by word, that is valid BTF but for that
// one rule. btfreg must reject each with the rule's message; where the bpf
// syscall is allowed, the kernel's BPF_BTF_LOAD must reject each too, and
// accept the valid input every case starts from. The btfreg half always
// runs; the kernel half skips, with the reason, where the syscall is refused
// (this target is tagged no-sandbox for it).

#include <bpf/bpf.h>
#include <linux/btf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "btf/btf.h"
#include "gtest/gtest.h"
#include "tests/kernel_btf_load.h"

namespace btfreg {
namespace {

constexpr uint32_t Info(int kind, uint32_t vlen = 0, bool kflag = false) {
  return (kflag ? 1u << 31 : 0u) | (uint32_t(kind) << 24) | vlen;
}
constexpr uint32_t IntEnc(uint32_t bits, uint32_t encoding = BTF_INT_SIGNED,
                          uint32_t offset = 0) {
  return (encoding << 24) | (offset << 16) | bits;
}

// Raw BTF written word by word, so that any field can hold any value.
class Raw {
 public:
  // A string's offset in the string section ("" is offset 0).
  uint32_t Str(const std::string& s) {
    if (s.empty()) return 0;
    const uint32_t off = static_cast<uint32_t>(strs_.size());
    strs_ += s;
    strs_.push_back('\0');
    return off;
  }
  // A type record: btf_type's three words, then its kind's own words.
  uint32_t Type(const std::string& name, uint32_t info, uint32_t size_or_type,
                std::vector<uint32_t> extra = {}) {
    words_.push_back(Str(name));
    words_.push_back(info);
    words_.push_back(size_or_type);
    for (uint32_t w : extra) words_.push_back(w);
    return ++count_;
  }
  // Common shapes.
  uint32_t Int(const std::string& name, uint32_t size, uint32_t enc) {
    return Type(name, Info(BTF_KIND_INT), size, {enc});
  }
  uint32_t Ref(int kind, uint32_t to, const std::string& name = "") {
    return Type(name, Info(kind), to);
  }
  uint32_t Array(uint32_t elem, uint32_t index, uint32_t nelems) {
    return Type("", Info(BTF_KIND_ARRAY), 0, {elem, index, nelems});
  }
  struct Member {
    std::string name;
    uint32_t type;
    uint32_t offset;  // bits, or (bitfield size << 24 | bits) with kind_flag
  };
  uint32_t Composite(int kind, const std::string& name, uint32_t size,
                     const std::vector<Member>& members, bool kflag = false) {
    std::vector<uint32_t> extra;
    for (const Member& m : members) {
      extra.push_back(Str(m.name));
      extra.push_back(m.type);
      extra.push_back(m.offset);
    }
    return Type(name, Info(kind, members.size(), kflag), size, extra);
  }
  uint32_t Enum(const std::string& name, uint32_t size,
                const std::vector<std::string>& values) {
    std::vector<uint32_t> extra;
    int32_t v = 0;
    for (const std::string& n : values) {
      extra.push_back(Str(n));
      extra.push_back(static_cast<uint32_t>(v++));
    }
    return Type(name, Info(BTF_KIND_ENUM, values.size()), size, extra);
  }
  struct Param {
    std::string name;
    uint32_t type;
  };
  uint32_t Proto(uint32_t ret, const std::vector<Param>& params) {
    std::vector<uint32_t> extra;
    for (const Param& p : params) {
      extra.push_back(Str(p.name));
      extra.push_back(p.type);
    }
    return Type("", Info(BTF_KIND_FUNC_PROTO, params.size()), ret, extra);
  }
  uint32_t Func(const std::string& name, uint32_t proto,
                uint32_t linkage = BTF_FUNC_GLOBAL) {
    return Type(name, Info(BTF_KIND_FUNC, linkage), proto);
  }
  uint32_t Var(const std::string& name, uint32_t type,
               uint32_t linkage = BTF_VAR_GLOBAL_ALLOCATED) {
    return Type(name, Info(BTF_KIND_VAR), type, {linkage});
  }
  struct Secinfo {
    uint32_t type, offset, size;
  };
  uint32_t Datasec(const std::string& name, uint32_t size,
                   const std::vector<Secinfo>& vars) {
    std::vector<uint32_t> extra;
    for (const Secinfo& v : vars) {
      extra.push_back(v.type);
      extra.push_back(v.offset);
      extra.push_back(v.size);
    }
    return Type(name, Info(BTF_KIND_DATASEC, vars.size()), size, extra);
  }
  uint32_t DeclTag(const std::string& value, uint32_t target,
                   int32_t component) {
    return Type(value, Info(BTF_KIND_DECL_TAG), target,
                {static_cast<uint32_t>(component)});
  }

  std::vector<uint8_t> Bytes() const {
    struct btf_header h = {};
    h.magic = BTF_MAGIC;
    h.version = BTF_VERSION;
    h.hdr_len = sizeof(h);
    h.type_off = 0;
    h.type_len = static_cast<uint32_t>(words_.size() * 4);
    h.str_off = h.type_len;
    h.str_len = static_cast<uint32_t>(strs_.size());
    std::vector<uint8_t> out(sizeof(h) + h.type_len + h.str_len);
    memcpy(out.data(), &h, sizeof(h));
    if (!words_.empty()) memcpy(out.data() + sizeof(h), words_.data(), h.type_len);
    memcpy(out.data() + sizeof(h) + h.type_len, strs_.data(), strs_.size());
    return out;
  }

 private:
  std::vector<uint32_t> words_;
  std::string strs_{'\0'};
  uint32_t count_ = 0;
};

struct Case {
  const char* rule;      // what is broken
  const char* message;   // what btfreg's error says
  std::function<void(Raw&, uint32_t int_id)> build;
};

// Every case starts with `int` (id 1) and adds what breaks its rule.
std::vector<uint8_t> Build(const Case& c) {
  Raw r;
  const uint32_t i = r.Int("int", 4, IntEnc(32));
  if (c.build) c.build(r, i);
  return r.Bytes();
}

const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      // ---- one type alone (btf_check_meta and the kinds' check_meta) ----
      {"reserved info bits", "reserved bits set",
       [](Raw& r, uint32_t) { r.Type("x", Info(BTF_KIND_INT) | (1u << 16), 4, {IntEnc(32)}); }},
      {"kind_flag on an INT", "kind_flag set on INT",
       [](Raw& r, uint32_t) { r.Type("x", Info(BTF_KIND_INT, 0, true), 4, {IntEnc(32)}); }},
      {"INT with vlen", "INT with vlen != 0",
       [](Raw& r, uint32_t) { r.Type("x", Info(BTF_KIND_INT, 1), 4, {IntEnc(32)}); }},
      {"PTR with vlen", "PTR with vlen != 0",
       [](Raw& r, uint32_t i) { r.Type("", Info(BTF_KIND_PTR, 1), i); }},
      {"TYPEDEF with vlen", "TYPEDEF with vlen != 0",
       [](Raw& r, uint32_t i) { r.Type("t", Info(BTF_KIND_TYPEDEF, 2), i); }},
      {"ARRAY with vlen", "ARRAY with vlen != 0",
       [](Raw& r, uint32_t i) { r.Type("", Info(BTF_KIND_ARRAY, 1), 0, {i, i, 2}); }},
      {"FLOAT with vlen", "FLOAT with vlen != 0",
       [](Raw& r, uint32_t) { r.Type("double", Info(BTF_KIND_FLOAT, 1), 8); }},
      {"INT data beyond its mask", "invalid int_data",
       [](Raw& r, uint32_t) { r.Int("x", 4, IntEnc(32) | 0x10000000u); }},
      {"INT encoding SIGNED|CHAR", "unsupported int encoding",
       [](Raw& r, uint32_t) { r.Int("x", 1, IntEnc(8, BTF_INT_SIGNED | BTF_INT_CHAR)); }},
      {"INT of 129 bits", "more than 128 bits",
       [](Raw& r, uint32_t) { r.Int("x", 32, IntEnc(129, 0)); }},
      {"INT with more bits than bytes", "more bits than its size",
       [](Raw& r, uint32_t) { r.Int("x", 1, IntEnc(16)); }},
      {"TYPEDEF named badly", "TYPEDEF has no valid name",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_TYPEDEF, i, "1abc"); }},
      {"TYPE_TAG without value", "TYPE_TAG has no value",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_PTR, r.Ref(BTF_KIND_TYPE_TAG, i)); }},
      {"PTR with a name", "PTR must not have a name",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_PTR, i, "p"); }},
      {"ARRAY with a size", "ARRAY with size != 0",
       [](Raw& r, uint32_t i) { r.Type("", Info(BTF_KIND_ARRAY), 8, {i, i, 2}); }},
      {"FWD with a type", "FWD with type != 0",
       [](Raw& r, uint32_t i) { r.Type("f", Info(BTF_KIND_FWD), i); }},
      {"FWD named badly", "FWD has no valid name",
       [](Raw& r, uint32_t) { r.Type("a-b", Info(BTF_KIND_FWD), 0); }},
      {"STRUCT named badly", "invalid struct name",
       [](Raw& r, uint32_t i) { r.Composite(BTF_KIND_STRUCT, "a b", 4, {{"x", i, 0}}); }},
      {"member named badly", "member 0 has an invalid name",
       [](Raw& r, uint32_t i) { r.Composite(BTF_KIND_STRUCT, "s", 4, {{"x!", i, 0}}); }},
      {"UNION member not at 0", "invalid member bits_offset",
       [](Raw& r, uint32_t i) { r.Composite(BTF_KIND_UNION, "u", 8, {{"a", i, 0}, {"b", i, 32}}); }},
      {"STRUCT members out of order", "invalid member bits_offset",
       [](Raw& r, uint32_t i) { r.Composite(BTF_KIND_STRUCT, "s", 8, {{"a", i, 32}, {"b", i, 0}}); }},
      {"ENUM named badly", "invalid enum name",
       [](Raw& r, uint32_t) { r.Enum("e-1", 4, {"A"}); }},
      {"ENUM of size 3", "enum of unexpected size 3",
       [](Raw& r, uint32_t) { r.Enum("e", 3, {"A"}); }},
      {"enumerator named badly", "enumerator 0 has no valid name",
       [](Raw& r, uint32_t) { r.Enum("e", 4, {"9A"}); }},
      {"FUNC named badly", "FUNC has no valid name",
       [](Raw& r, uint32_t i) { r.Func("f()", r.Proto(i, {{"a", i}})); }},
      {"FUNC with extern linkage", "invalid func linkage 2",
       [](Raw& r, uint32_t i) { r.Func("f", r.Proto(i, {{"a", i}}), BTF_FUNC_EXTERN); }},
      {"FUNC with linkage 3", "invalid func linkage 3",
       [](Raw& r, uint32_t i) { r.Func("f", r.Proto(i, {{"a", i}}), 3); }},
      {"VAR named badly", "VAR has no valid name",
       [](Raw& r, uint32_t i) { r.Var("v v", i); }},
      {"VAR with extern linkage", "VAR linkage not supported",
       [](Raw& r, uint32_t i) { r.Var("v", i, BTF_VAR_GLOBAL_EXTERN); }},
      {"DATASEC without a name", "DATASEC has no valid name",
       [](Raw& r, uint32_t i) { r.Datasec("", 4, {{r.Var("v", i), 0, 4}}); }},
      {"DATASEC of size 0", "DATASEC with size == 0",
       [](Raw& r, uint32_t i) { r.Datasec(".data", 0, {{r.Var("v", i), 0, 4}}); }},
      {"DATASEC variables overlapping", "variable 1 at an invalid offset",
       [](Raw& r, uint32_t i) {
         const uint32_t a = r.Var("a", i), b = r.Var("b", i);
         r.Datasec(".data", 8, {{a, 0, 4}, {b, 2, 4}});
       }},
      {"DATASEC variable past its end", "variable 0 ends past the section",
       [](Raw& r, uint32_t i) { r.Datasec(".data", 4, {{r.Var("v", i), 4, 4}}); }},
      {"DATASEC variable of size 0", "variable 0 of invalid size",
       [](Raw& r, uint32_t i) { r.Datasec(".data", 4, {{r.Var("v", i), 0, 0}}); }},
      {"FLOAT of size 3", "FLOAT of invalid size 3",
       [](Raw& r, uint32_t) { r.Type("f3", Info(BTF_KIND_FLOAT), 3); }},
      {"DECL_TAG without value", "DECL_TAG has no value",
       [](Raw& r, uint32_t i) { r.DeclTag("", r.Composite(BTF_KIND_STRUCT, "s", 4, {{"x", i, 0}}), -1); }},
      {"DECL_TAG component -2", "DECL_TAG with invalid component_idx",
       [](Raw& r, uint32_t i) { r.DeclTag("t", r.Composite(BTF_KIND_STRUCT, "s", 4, {{"x", i, 0}}), -2); }},
      // ---- a type and what it refers to (the resolve pass) ----
      {"PTR to a VAR", "invalid type_id",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_PTR, r.Var("v", i)); }},
      {"PTR to a DECL_TAG", "invalid type_id",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_PTR, r.DeclTag("t", r.Composite(BTF_KIND_STRUCT, "s", 4, {{"x", i, 0}}), -1)); }},
      {"PTR to a DATASEC", "invalid type_id",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_PTR, r.Datasec(".data", 4, {{r.Var("v", i), 0, 4}})); }},
      {"ARRAY indexed by a struct", "invalid index type",
       [](Raw& r, uint32_t i) { r.Array(i, r.Composite(BTF_KIND_STRUCT, "s", 4, {{"x", i, 0}}), 2); }},
      {"ARRAY of a FWD", "invalid elem type",
       [](Raw& r, uint32_t i) { r.Array(r.Type("f", Info(BTF_KIND_FWD), 0), i, 2); }},
      {"ARRAY of a 3-bit INT", "invalid array of int",
       [](Raw& r, uint32_t i) { r.Array(r.Int("u3", 1, IntEnc(3, 0)), i, 2); }},
      {"ARRAY over 4 GiB", "array size overflows 32 bits",
       [](Raw& r, uint32_t i) { r.Array(i, i, 0x40000001u); }},
      {"member of FUNC_PROTO type", "invalid member 0",
       [](Raw& r, uint32_t i) { r.Composite(BTF_KIND_STRUCT, "s", 8, {{"x", r.Proto(i, {}), 0}}); }},
      {"member of FWD type", "invalid member 0",
       [](Raw& r, uint32_t) { r.Composite(BTF_KIND_STRUCT, "s", 8, {{"x", r.Type("f", Info(BTF_KIND_FWD), 0), 0}}); }},
      {"kind_flag INT member off a byte", "invalid member offset (member 1)",
       [](Raw& r, uint32_t i) {
         r.Composite(BTF_KIND_STRUCT, "s", 8, {{"a", i, 0}, {"b", i, 33}}, true);
       }},
      {"kind_flag bitfield of a 3-bit INT", "invalid member base type (member 0)",
       [](Raw& r, uint32_t) {
         r.Composite(BTF_KIND_STRUCT, "s", 4, {{"a", r.Int("u3", 4, IntEnc(3, 0)), (2u << 24)}}, true);
       }},
      {"bitfield wider than its INT", "invalid member bitfield_size (member 0)",
       [](Raw& r, uint32_t i) { r.Composite(BTF_KIND_STRUCT, "s", 8, {{"a", i, (33u << 24)}}, true); }},
      {"ENUM member off a byte", "invalid member offset (member 0)",
       [](Raw& r, uint32_t) { r.Composite(BTF_KIND_STRUCT, "s", 8, {{"e", r.Enum("e", 4, {"A"}), 4}}); }},
      {"bitfield wider than its ENUM", "invalid member bitfield_size (member 0)",
       [](Raw& r, uint32_t) {
         r.Composite(BTF_KIND_STRUCT, "s", 8, {{"e", r.Enum("e", 4, {"A"}), (33u << 24)}}, true);
       }},
      {"bitfield of a struct", "invalid member bitfield_size (member 0)",
       [](Raw& r, uint32_t i) {
         const uint32_t in = r.Composite(BTF_KIND_STRUCT, "in", 4, {{"x", i, 0}});
         r.Composite(BTF_KIND_STRUCT, "s", 8, {{"a", in, (8u << 24)}}, true);
       }},
      {"struct member off a byte", "member 0 is not byte aligned",
       [](Raw& r, uint32_t i) {
         const uint32_t in = r.Composite(BTF_KIND_STRUCT, "in", 4, {{"x", i, 0}});
         r.Composite(BTF_KIND_STRUCT, "s", 8, {{"a", in, 4}});
       }},
      {"FLOAT member misaligned", "member 0 is not properly aligned",
       [](Raw& r, uint32_t) {
         r.Composite(BTF_KIND_STRUCT, "s", 16, {{"d", r.Type("double", Info(BTF_KIND_FLOAT), 8), 32}});
       }},
      {"FUNC parameter without a name", "invalid arg#1 has no name",
       [](Raw& r, uint32_t i) { r.Func("f", r.Proto(i, {{"", i}})); }},
      {"FUNC_PROTO returning a FUNC", "invalid return type",
       [](Raw& r, uint32_t i) { r.Proto(r.Func("f", r.Proto(i, {{"a", i}})), {}); }},
      {"void parameter not last", "parameter 0 refers to void",
       [](Raw& r, uint32_t i) { r.Proto(i, {{"", 0}, {"b", i}}); }},
      {"parameter of DATASEC type", "invalid arg#1",
       [](Raw& r, uint32_t i) { r.Proto(i, {{"a", r.Datasec(".data", 4, {{r.Var("v", i), 0, 4}})}}); }},
      {"parameter of FWD type", "invalid arg#1",
       [](Raw& r, uint32_t i) { r.Proto(i, {{"a", r.Type("f", Info(BTF_KIND_FWD), 0)}}); }},
      {"parameter of a typedef of a FWD", "invalid arg#1",
       [](Raw& r, uint32_t i) {
         r.Proto(i, {{"a", r.Ref(BTF_KIND_TYPEDEF, r.Type("f", Info(BTF_KIND_FWD), 0), "t")}});
       }},
      {"FUNC_PROTO returning a FWD", "invalid return type",
       [](Raw& r, uint32_t) { r.Proto(r.Type("f", Info(BTF_KIND_FWD), 0), {}); }},
      {"parameter named badly", "invalid arg#1",
       [](Raw& r, uint32_t i) { r.Proto(i, {{"a.b c", i}}); }},
      {"VAR of a FWD", "VAR of invalid type",
       [](Raw& r, uint32_t) { r.Var("v", r.Type("f", Info(BTF_KIND_FWD), 0)); }},
      {"DATASEC entry that is no VAR", "DATASEC entry 0 is not a VAR",
       [](Raw& r, uint32_t i) { r.Datasec(".data", 4, {{i, 0, 4}}); }},
      {"DATASEC entry smaller than its VAR", "DATASEC entry 0 of invalid size",
       [](Raw& r, uint32_t) {
         const uint32_t l = r.Int("long", 8, IntEnc(64));
         r.Datasec(".data", 8, {{r.Var("v", l), 0, 4}});
       }},
      {"DECL_TAG on an INT", "DECL_TAG on a type that takes none",
       [](Raw& r, uint32_t i) { r.DeclTag("t", i, -1); }},
      {"DECL_TAG on member 1 of 1", "DECL_TAG with invalid component_idx",
       [](Raw& r, uint32_t i) { r.DeclTag("t", r.Composite(BTF_KIND_STRUCT, "s", 4, {{"x", i, 0}}), 1); }},
      // ---- chains of modifiers (btf_check_type_tags) ----
      {"TYPE_TAG after a CONST", "type tags do not precede modifiers",
       [](Raw& r, uint32_t i) {
         const uint32_t tag = r.Ref(BTF_KIND_TYPE_TAG, i, "user");
         r.Ref(BTF_KIND_PTR, r.Ref(BTF_KIND_CONST, tag));
       }},
      {"modifier chain of 33", "modifier chain longer than 32",
       [](Raw& r, uint32_t i) {
         // Each CONST refers to the next id, the last to `int`: walked
         // from the first, no part of the chain was checked before.
         const uint32_t first = i + 1;
         for (uint32_t k = 0; k < 33; ++k) r.Ref(BTF_KIND_CONST, k == 32 ? i : first + k + 1);
       }},
  };
  return *cases;
}

// Odd but valid: the kernel loads each (6.18), so btfreg must too. No
// compiler writes them; a hand-made or fuzzed file may.
const std::vector<Case>& Accepted() {
  static const auto* cases = new std::vector<Case>{
      {"PTR to a FUNC", "",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_PTR, r.Func("f", r.Proto(i, {{"a", i}}))); }},
      {"CONST of a FUNC", "",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_CONST, r.Func("f", r.Proto(i, {{"a", i}}))); }},
      {"TYPEDEF of a FUNC", "",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_TYPEDEF, r.Func("f", r.Proto(i, {{"a", i}})), "t"); }},
      {"PTR to a TYPE_TAG of a FUNC", "",
       [](Raw& r, uint32_t i) {
         r.Ref(BTF_KIND_PTR, r.Ref(BTF_KIND_TYPE_TAG, r.Func("f", r.Proto(i, {{"a", i}})), "tag"));
       }},
      {"PTR to a PTR to a FUNC", "",
       [](Raw& r, uint32_t i) { r.Ref(BTF_KIND_PTR, r.Ref(BTF_KIND_PTR, r.Func("f", r.Proto(i, {{"a", i}})))); }},
      {"33 CONSTs built upward", "",
       [](Raw& r, uint32_t i) {
         // Each refers to the one before: the chain is checked a link at a
         // time (the kernel's good_id), never 33 at once.
         uint32_t t = i;
         for (int k = 0; k < 33; ++k) t = r.Ref(BTF_KIND_CONST, t);
       }},
  };
  return *cases;
}

// The valid inputs the cases are variations of: every kind, each used
// rightly, so that the kernel's acceptance shows the cases' frame is sound.
std::vector<uint8_t> ValidEveryKind() {
  Raw r;
  const uint32_t i = r.Int("int", 4, IntEnc(32));
  r.Int("u3", 1, IntEnc(3, 0));
  // Type tags first, then qualifiers: ptr -> tag -> const -> int.
  r.Ref(BTF_KIND_PTR, r.Ref(BTF_KIND_TYPE_TAG, r.Ref(BTF_KIND_CONST, i), "user"));
  r.Ref(BTF_KIND_TYPEDEF, i, "t");
  const uint32_t arr = r.Array(i, i, 2);
  const uint32_t e = r.Enum("e", 4, {"A", "B"});
  const uint32_t d = r.Type("double", Info(BTF_KIND_FLOAT), 8);
  const uint32_t s = r.Composite(
      BTF_KIND_STRUCT, "s", 32,
      {{"a", i, 0}, {"b", i, (3u << 24) | 32}, {"e", e, 64}, {"arr", arr, 96}, {"d", d, 192}},
      true);
  r.Composite(BTF_KIND_UNION, "u", 8, {{"a", i, 0}, {"d", d, 0}});
  r.Type("f", Info(BTF_KIND_FWD), 0);
  const uint32_t proto = r.Proto(i, {{"a", i}, {"", 0}});
  r.Func("f", proto);
  const uint32_t v = r.Var("v", i);
  r.Datasec(".data", 8, {{v, 0, 4}});
  r.DeclTag("t", s, 1);
  return r.Bytes();
}

TEST(KindRulesTest, ValidInputOfEveryKindLoads) {
  absl::StatusOr<std::unique_ptr<Btf>> btf = Btf::LoadBytes(ValidEveryKind(), "every_kind");
  EXPECT_TRUE(btf.ok()) << btf.status();
  EXPECT_TRUE(Btf::LoadBytes(Build(Case{"frame", "", nullptr}), "frame").ok());
  for (const Case& c : Accepted()) {
    absl::Status s = Btf::LoadBytes(Build(c), c.rule).status();
    EXPECT_TRUE(s.ok()) << c.rule << ": " << s;
  }
}

TEST(KindRulesTest, BtfregRejectsEachBrokenRule) {
  int n = 0;
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.rule);
    absl::Status s = Btf::LoadBytes(Build(c), c.rule).status();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(c.message), absl::string_view::npos)
        << "expected \"" << c.message << "\", got: " << s;
    ++n;
  }
  printf("%d rules, each broken once\n", n);
}


TEST(KindRulesTest, TheKernelRejectsEachToo) {
  std::string log;
  int err = 0;
  const bool valid = KernelAccepts(ValidEveryKind(), &log, &err);
  if (!valid && (err == EPERM || err == EACCES || err == ENOSYS)) {
    GTEST_SKIP() << "the bpf syscall is not allowed here (" << strerror(err)
                 << "): run as root outside a sandbox";
  }
  ASSERT_TRUE(valid) << "the kernel rejects the valid input: " << log;
  ASSERT_TRUE(KernelAccepts(Build(Case{"frame", "", nullptr}), &log, &err)) << log;
  for (const Case& c : Accepted()) {
    EXPECT_TRUE(KernelAccepts(Build(c), &log, &err)) << c.rule << ": " << log;
  }
  int rejected = 0;
  for (const Case& c : Cases()) {
    const bool accepted = KernelAccepts(Build(c), &log, &err);
    EXPECT_FALSE(accepted) << c.rule << ": the kernel accepts it, btfreg does not";
    if (!accepted) {
      ++rejected;
      printf("%-36s kernel: %s\n", c.rule, log.c_str());
    }
  }
  printf("the kernel rejected %d of %zu broken rules\n", rejected, Cases().size());
}

}  // namespace
}  // namespace btfreg
