// StructLayout, LayoutText, LayoutJson and CDeclaration on BTF built with
// libbpf's btf__add_* (always runs; vmlinux against pahole is
// tests/layout_pahole_test).

#include "btf/layout.h"

#include <fstream>
#include <iterator>
#include <map>

#include "tests/pahole_text.h"
#include "tests/tool_output.h"

#include <bpf/btf.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace btfreg {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// struct s {
//   char a;                      //  0      then a 3-byte hole
//   int b;                       //  4
//   unsigned int f1:3, f2:5;     //  8:0, 8:3; then 24 bits and 4 bytes
//   long c;                      // 16
//   union { int x; char y; };    // 24
//   char d;                      // 28      then 3 bytes of padding
// };                             // 32
// struct outer { struct s in; const char *name; struct s *next[]; };
// typedef struct outer outer_t;
// union u { int i; struct { short lo, hi; } parts; };
// enum e { E0, E1 };
class LayoutFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    struct btf* w = btf__new_empty();
    const int chr = btf__add_int(w, "char", 1, BTF_INT_SIGNED);        // 1
    const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);           // 2
    const int ui = btf__add_int(w, "unsigned int", 4, 0);              // 3
    const int lng = btf__add_int(w, "long", 8, BTF_INT_SIGNED);        // 4
    const int anon = btf__add_union(w, nullptr, 4);                    // 5
    btf__add_field(w, "x", i, 0, 0);
    btf__add_field(w, "y", chr, 0, 0);
    s_ = btf__add_struct(w, "s", 32);                                  // 6
    btf__add_field(w, "a", chr, 0, 0);
    btf__add_field(w, "b", i, 32, 0);
    btf__add_field(w, "f1", ui, 64, 3);
    btf__add_field(w, "f2", ui, 67, 5);
    btf__add_field(w, "c", lng, 128, 0);
    btf__add_field(w, nullptr, anon, 192, 0);
    btf__add_field(w, "d", chr, 224, 0);
    const int cchr = btf__add_const(w, chr);
    const int pcchr = btf__add_ptr(w, cchr);
    const int ps = btf__add_ptr(w, s_);
    const int idx = btf__add_int(w, "__ARRAY_SIZE_TYPE__", 4, 0);
    const int arr = btf__add_array(w, idx, ps, 0);
    outer_ = btf__add_struct(w, "outer", 40);
    btf__add_field(w, "in", s_, 0, 0);
    btf__add_field(w, "name", pcchr, 256, 0);
    btf__add_field(w, "next", arr, 320, 0);
    typedef_ = btf__add_typedef(w, "outer_t", outer_);
    const int sh = btf__add_int(w, "short", 2, BTF_INT_SIGNED);
    const int parts = btf__add_struct(w, nullptr, 4);
    btf__add_field(w, "lo", sh, 0, 0);
    btf__add_field(w, "hi", sh, 16, 0);
    union_ = btf__add_union(w, "u", 4);
    btf__add_field(w, "i", i, 0, 0);
    btf__add_field(w, "parts", parts, 0, 0);
    enum_ = btf__add_enum(w, "e", 4);
    btf__add_enum_value(w, "E0", 0);
    btf__add_enum_value(w, "E1", 1);
    uint32_t size = 0;
    const uint8_t* raw = static_cast<const uint8_t*>(btf__raw_data(w, &size));
    auto loaded = Btf::LoadBytes(std::vector<uint8_t>(raw, raw + size), "built");
    btf__free(w);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    btf_ = std::move(*loaded);
  }

  std::unique_ptr<Btf> btf_;
  int s_ = 0, outer_ = 0, typedef_ = 0, union_ = 0, enum_ = 0;
};

TEST_F(LayoutFixture, HolesBitfieldsNestedUnionAndPadding) {
  absl::StatusOr<Layout> l = StructLayout(*btf_, s_);
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->members.size(), 7u);
  const LayoutMember& a = l->members[0];
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(a.hole, 3u);
  const LayoutMember& f1 = l->members[2];
  const LayoutMember& f2 = l->members[3];
  EXPECT_EQ(f1.offset, 8u);  // the unsigned int unit
  EXPECT_EQ(f1.size, 4u);
  EXPECT_EQ(f1.bitfield_offset, 0u);
  EXPECT_EQ(f2.bitfield_offset, 3u);
  EXPECT_EQ(f2.bitfield_size, 5u);
  EXPECT_EQ(f2.bit_hole, 24u);  // the rest of the unit
  EXPECT_EQ(f2.hole, 4u);       // then bytes up to the long
  const LayoutMember& un = l->members[5];
  ASSERT_NE(un.nested, nullptr);
  EXPECT_TRUE(un.nested->is_union);
  EXPECT_EQ(un.nested->members[1].offset, 24u);  // absolute, as pahole
  EXPECT_EQ(l->sum_members, 18u);
  EXPECT_EQ(l->sum_bitfields, 8u);
  EXPECT_EQ(l->holes, 2u);
  EXPECT_EQ(l->sum_holes, 7u);
  EXPECT_EQ(l->bit_holes, 1u);
  EXPECT_EQ(l->sum_bit_holes, 24u);
  EXPECT_EQ(l->padding, 3u);
  // Everything is accounted for, bit by bit (pahole's "brain fart" check).
  EXPECT_EQ(l->size * 8, l->sum_members * 8 + l->sum_bitfields + l->sum_holes * 8 +
                             l->sum_bit_holes + l->padding * 8 + l->bit_padding);
  EXPECT_EQ(l->cachelines, 1u);
  EXPECT_EQ(l->last_cacheline, 32u);
}

TEST_F(LayoutFixture, TextIsPaholes) {
  absl::StatusOr<Layout> l = StructLayout(*btf_, s_);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(LayoutText(*btf_, *l),
            "struct s {\n"
            "\tchar                       a;                    /*     0     1 */\n"
            "\n"
            "\t/* XXX 3 bytes hole, try to pack */\n"
            "\n"
            "\tint                        b;                    /*     4     4 */\n"
            "\tunsigned int               f1:3;                 /*     8: 0  4 */\n"
            "\tunsigned int               f2:5;                 /*     8: 3  4 */\n"
            "\n"
            "\t/* XXX 24 bits hole, try to pack */\n"
            "\t/* XXX 4 bytes hole, try to pack */\n"
            "\n"
            "\tlong                       c;                    /*    16     8 */\n"
            "\tunion {\n"
            "\t\tint                x;                    /*    24     4 */\n"
            "\t\tchar               y;                    /*    24     1 */\n"
            "\t};                                               /*    24     4 */\n"
            "\tchar                       d;                    /*    28     1 */\n"
            "\n"
            "\t/* size: 32, cachelines: 1, members: 7 */\n"
            "\t/* sum members: 18, holes: 2, sum holes: 7 */\n"
            "\t/* sum bitfield members: 8 bits, bit holes: 1, sum bit holes: 24 bits */\n"
            "\t/* padding: 3 */\n"
            "\t/* last cacheline: 32 bytes */\n"
            "};\n");
}

TEST_F(LayoutFixture, MemberStructPaddingFlexibleArrayAndConstPointer) {
  absl::StatusOr<Layout> l = StructLayout(*btf_, outer_);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->members[0].type_padding, 3u);  // struct s pads 3 bytes
  EXPECT_EQ(l->paddings, 1u);
  EXPECT_EQ(l->sum_paddings, 3u);
  const std::string text = LayoutText(*btf_, *l);
  EXPECT_THAT(text, HasSubstr("/* XXX last struct has 3 bytes of padding */"));
  EXPECT_THAT(text, HasSubstr("const char  *              name;"));  // pahole's spacing
  EXPECT_THAT(text, HasSubstr("struct s *                 next[];"));
  EXPECT_THAT(text, HasSubstr("/* paddings: 1, sum paddings: 3 */"));
}

TEST_F(LayoutFixture, UnionsHaveNoHolesAndNoSummary) {
  absl::StatusOr<Layout> l = StructLayout(*btf_, union_);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->is_union);
  EXPECT_EQ(l->holes, 0u);
  EXPECT_EQ(l->padding, 0u);
  ASSERT_NE(l->members[1].nested, nullptr);  // a named anonymous struct
  const std::string text = LayoutText(*btf_, *l);
  EXPECT_THAT(text, HasSubstr("\t} parts;"));
  EXPECT_THAT(text, Not(HasSubstr("size:")));  // as pahole 1.24
}

TEST_F(LayoutFixture, JsonCarriesTheNumbers) {
  absl::StatusOr<Layout> l = StructLayout(*btf_, s_);
  ASSERT_TRUE(l.ok());
  const std::string json = LayoutJson(*btf_, *l);
  EXPECT_THAT(json, HasSubstr("\"name\":\"s\",\"kind\":\"struct\""));
  EXPECT_THAT(json, HasSubstr("\"name\":\"f2\",\"type\":\"unsigned int\""));
  EXPECT_THAT(json, HasSubstr("\"bitfield_offset\":3,\"bitfield_size\":5,\"hole\":4,\"bit_hole\":24"));
  EXPECT_THAT(json, HasSubstr("\"summary\":{\"size\":32"));
  EXPECT_THAT(json, HasSubstr("\"sum_holes\":7"));
}

TEST_F(LayoutFixture, NotAStructIsAnError) {
  EXPECT_EQ(StructLayout(*btf_, enum_).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StructLayout(*btf_, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StructLayout(*btf_, 100000).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LayoutFixture, CDeclarationAsBpftoolWritesIt) {
  absl::StatusOr<std::string> decl = CDeclaration(*btf_, outer_, false);
  ASSERT_TRUE(decl.ok()) << decl.status();
  EXPECT_EQ(*decl,
            "struct outer {\n"
            "\tstruct s in;\n"
            "\tconst char *name;\n"
            "\tstruct s *next[0];\n"
            "};\n\n");
  // With its dependencies first, as bpftool emits them.
  decl = CDeclaration(*btf_, outer_, true);
  ASSERT_TRUE(decl.ok());
  EXPECT_LT(decl->find("struct s {"), decl->find("struct outer {"));
  EXPECT_THAT(*decl, HasSubstr("\tunsigned int f1: 3;\n"));

  decl = CDeclaration(*btf_, typedef_, false);
  ASSERT_TRUE(decl.ok());
  EXPECT_EQ(*decl, "typedef struct outer outer_t;\n\n");
  decl = CDeclaration(*btf_, enum_, false);
  ASSERT_TRUE(decl.ok());
  EXPECT_EQ(*decl, "enum e {\n\tE0 = 0,\n\tE1 = 1,\n};\n\n");
}

TEST_F(LayoutFixture, CDeclarationRefusesWhatHasNone) {
  EXPECT_EQ(CDeclaration(*btf_, 0, false).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CDeclaration(*btf_, 5, false).status().code(),  // anonymous union
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CDeclaration(*btf_, 2, false).status().code(),  // int
            absl::StatusCode::kInvalidArgument);
}

// Found by the fuzzer: btf_dump orders a declaration's types first, and it
// went round a typedef that leads back to itself through a pointer and a
// prototype, or a pointer and an array, until the stack ran out. The
// kernel loads both; they have names, but no declaration.
TEST(CDeclarationTest, ATypedefThatLeadsBackToItselfHasNoDeclaration) {
  struct btf* w = btf__new_empty();
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);  // 1
  const int fn_t = btf__add_typedef(w, "fn_t", 3);          // 2: fn_t (*fn_t)(int)
  const int ptr = btf__add_ptr(w, 4);                       // 3
  btf__add_func_proto(w, fn_t);                             // 4
  btf__add_func_param(w, "x", i);
  const int user_t = btf__add_typedef(w, "user_t", fn_t);   // 5
  const int arr_t = btf__add_typedef(w, "arr_t", 8);        // 6: arr_t *arr_t[2]
  btf__add_ptr(w, arr_t);                                   // 7
  btf__add_array(w, i, 7, 2);                               // 8: 2 of 7, by int
  const int cb_t = btf__add_typedef(w, "cb_t", 10);         // 9: int (*cb_t)(int)
  btf__add_ptr(w, 11);                                      // 10
  btf__add_func_proto(w, i);                                // 11
  btf__add_func_param(w, "x", i);
  uint32_t size;
  const uint8_t* raw = static_cast<const uint8_t*>(btf__raw_data(w, &size));
  auto btf = Btf::LoadBytes(std::vector<uint8_t>(raw, raw + size), "loops.btf");
  btf__free(w);
  ASSERT_TRUE(btf.ok()) << btf.status();  // as the kernel
  for (int id : {fn_t, user_t, arr_t}) {
    auto decl = CDeclaration(**btf, id, /*dependencies=*/true);
    EXPECT_THAT(decl.status().message(), AllOf(HasSubstr("loops.btf"), HasSubstr("leads back to itself")))
        << "type " << id;
  }
  EXPECT_EQ(*(*btf)->TypeName(fn_t), "fn_t");  // the name alone is spelled
  EXPECT_EQ(*(*btf)->TypeName(ptr), "fn_t (*)(int x)");
  auto cb = CDeclaration(**btf, cb_t, false);
  ASSERT_TRUE(cb.ok()) << cb.status();
  EXPECT_EQ(*cb, "typedef int (*cb_t)(int x);\n\n");
}

TEST(LayoutShapesTest, EveryFixtureStructIsPaholesText) {
  // tests/data/layout_shapes.c holds the shapes whose text is easy to get
  // wrong (anonymous enums, pointers to const at any depth, const pointers,
  // deep nesting, pointers to and arrays of anonymous structs, a leading bit
  // hole); make_fixtures.sh stored pahole's text for each. Every line must
  // be pahole's, or differ only as tests/pahole_text.h documents.
  auto btf = Btf::LoadFile("tests/data/layout_shapes.btf");
  ASSERT_TRUE(btf.ok()) << btf.status();
  std::ifstream in("tests/data/layout_shapes.pahole");
  const std::string pahole((std::istreambuf_iterator<char>(in)), {});
  std::map<Difference, int> differences;
  int compared = 0;
  for (const TopLevelBlock& b : TopLevelBlocks(pahole, {"struct", "union"})) {
    const uint32_t id = (*btf)->FindByName(b.name, b.keyword == "struct" ? BTF_KIND_STRUCT
                                                                         : BTF_KIND_UNION);
    ASSERT_NE(id, 0u) << b.name;
    absl::StatusOr<Layout> l = StructLayout(**btf, id);
    ASSERT_TRUE(l.ok()) << l.status();
    std::string other;
    EXPECT_TRUE(SameTextButDocumented(b.text, LayoutText(**btf, *l), differences, &other))
        << b.keyword << " " << b.name << ":\n" << other << "\nbtfreg says:\n"
        << LayoutText(**btf, *l);
    ++compared;
  }
  EXPECT_EQ(compared, 7);
  // Each documented difference but the two that need vmlinux (inferred
  // alignment, a signed enum) shows up here.
  EXPECT_GT(differences[kConstArray], 0);
  EXPECT_GT(differences[kConstPointer], 0);
  EXPECT_GT(differences[kArrayPointer], 0);
  EXPECT_GT(differences[kConstAnonName], 0);
}

}  // namespace
}  // namespace btfreg
