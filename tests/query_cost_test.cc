// Hostile shapes that make naive queries exponential or endless, each built
// small (a few hundred bytes of BTF): every query must answer, with a
// result or a clear error, having done work bounded by its output. Timing
// is not asserted here (the fuzz target bounds each query at 1 s, and these
// inputs are in its corpus); the sizes of what comes back are.

#include <bpf/btf.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "btf/btf.h"
#include "btf/layout.h"
#include "gtest/gtest.h"

namespace btfreg {
namespace {

std::vector<uint8_t> RawOf(struct btf* b) {
  uint32_t size = 0;
  const uint8_t* p = static_cast<const uint8_t*>(btf__raw_data(b, &size));
  return std::vector<uint8_t>(p, p + size);
}

// Anonymous types, each using the one below it twice, `levels` deep, under
// a named struct (or union) `top`: spelled in full, 2^levels copies.
std::vector<uint8_t> Doubling(bool unions, int levels, uint32_t* top) {
  struct btf* w = btf__new_empty();
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  int below = i;
  uint32_t size = 4;
  for (int k = 0; k < levels; ++k) {
    const uint32_t next = unions ? size : size * 2;
    const int t = unions ? btf__add_union(w, nullptr, next) : btf__add_struct(w, nullptr, next);
    btf__add_field(w, "a", below, 0, 0);
    btf__add_field(w, "b", below, unions ? 0 : size * 8, 0);
    below = t;
    size = next;
  }
  *top = unions ? btf__add_union(w, "top", size) : btf__add_struct(w, "top", size);
  btf__add_field(w, "m", below, 0, 0);
  std::vector<uint8_t> out = RawOf(w);
  btf__free(w);
  return out;
}

// With BTFREG_WRITE_CORPUS=DIR, keeps `bytes` as DIR/cost-NAME in the fuzz
// target's format (a selector byte, 0: standalone): how these inputs got
// into tests/fuzz/corpus/.
void KeepForFuzzing(const std::string& name, const std::vector<uint8_t>& bytes) {
  const char* dir = getenv("BTFREG_WRITE_CORPUS");
  if (dir == nullptr) return;
  std::ofstream out(std::string(dir) + "/cost-" + name, std::ios::binary);
  out.put('\0');
  out.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Runs every query on `id`; returns the sizes of their outputs.
size_t EveryQuery(const Btf& btf, uint32_t id) {
  size_t out = 0;
  const auto start = std::chrono::steady_clock::now();
  if (auto n = btf.TypeName(id); n.ok()) out += n->size();
  if (auto d = CDeclaration(btf, id, true); d.ok()) out += d->size();
  if (auto l = StructLayout(btf, id); l.ok()) {
    out += LayoutText(btf, *l).size() + LayoutJson(btf, *l).size();
  }
  out += btf.StructWalkAll(id, 0, 4).size();
  (void)btf.StructWalk(id, 0, 4);
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start).count();
  printf("  type %u: %zu bytes of output in %.2f ms\n", id, out, ms);
  return out;
}

TEST(QueryCostTest, AnonymousStructsUsedTwicePerLevel) {
  for (int levels : {4, 24}) {
    uint32_t top = 0;
    const std::vector<uint8_t> bytes = Doubling(/*unions=*/false, levels, &top);
    KeepForFuzzing("struct-doubling-" + std::to_string(levels), bytes);
    auto btf = Btf::LoadBytes(bytes, "doubling");
    ASSERT_TRUE(btf.ok()) << btf.status();
    printf("%d levels of structs:\n", levels);
    const size_t out = EveryQuery(**btf, top);
    if (levels == 4) {
      EXPECT_GT(out, 0u);
      EXPECT_TRUE(CDeclaration(**btf, top, false).ok());
    } else {
      // 2^24 copies of "int a;": refused, and nothing of the sort returned.
      EXPECT_LT(out, 1u << 20);
      absl::Status s = CDeclaration(**btf, top, false).status();
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(s.message().find("doubling: type " + std::to_string(top)),
                absl::string_view::npos) << s;
    }
  }
}

TEST(QueryCostTest, AnonymousUnionsUsedTwicePerLevel) {
  uint32_t top = 0;
  const std::vector<uint8_t> bytes = Doubling(/*unions=*/true, 24, &top);
  KeepForFuzzing("union-doubling-24", bytes);
  auto btf = Btf::LoadBytes(bytes, "union_doubling");
  ASSERT_TRUE(btf.ok()) << btf.status();
  printf("24 levels of unions:\n");
  EXPECT_LT(EveryQuery(**btf, top), 1u << 20);
  // The kernel's walk takes the first member at each level.
  auto w = (*btf)->StructWalk(top, 0, 4);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->path.size(), 25u);
}

TEST(QueryCostTest, NamedStructsUsedTwicePerLevel) {
  // struct s1 { int a, b; }; struct s2 { struct s1 a, b; }; ... s26: each
  // is declared once by name, but libbpf's btf__align_of recurses into
  // every member afresh: 2^26 calls for s26.
  struct btf* w = btf__new_empty();
  int below = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  uint32_t size = 4;
  for (int k = 1; k <= 26; ++k) {  // s26: 256 MiB
    const int s = btf__add_struct(w, ("s" + std::to_string(k)).c_str(), size * 2);
    btf__add_field(w, "a", below, 0, 0);
    btf__add_field(w, "b", below, size * 8, 0);
    below = s;
    size *= 2;
  }
  const std::vector<uint8_t> bytes = RawOf(w);
  btf__free(w);
  KeepForFuzzing("named-doubling-26", bytes);
  auto btf = Btf::LoadBytes(bytes, "named_doubling");
  ASSERT_TRUE(btf.ok()) << btf.status();
  const uint32_t top = static_cast<uint32_t>(below);
  printf("26 levels of named structs:\n");
  EveryQuery(**btf, top);
  EXPECT_EQ(*(*btf)->Alignment(top), 4u);
  absl::Status s = CDeclaration(**btf, top, false).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("alignment"), absl::string_view::npos) << s;
  // A few levels are declared as bpftool would.
  EXPECT_TRUE(CDeclaration(**btf, 5, true).ok());
}

TEST(QueryCostTest, PaddingOfAGigabyte) {
  // struct pad { int a; int b; } of size 1 GiB: btf_dump would write
  // 134 M lines of `long: 64;`.
  struct btf* w = btf__new_empty();
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  const int pad = btf__add_struct(w, "pad", 1u << 30);
  btf__add_field(w, "a", i, 0, 0);
  btf__add_field(w, "b", i, 64, 0);
  const int anon = btf__add_struct(w, nullptr, 1u << 20);
  btf__add_field(w, "a", i, 0, 0);
  const int holder = btf__add_struct(w, "holder", 1u << 20);
  btf__add_field(w, "m", anon, 0, 0);
  const std::vector<uint8_t> bytes = RawOf(w);
  btf__free(w);
  KeepForFuzzing("padding", bytes);
  auto btf = Btf::LoadBytes(bytes, "padding");
  ASSERT_TRUE(btf.ok()) << btf.status();
  printf("padding:\n");
  EXPECT_LT(EveryQuery(**btf, pad), 1u << 20);
  EXPECT_FALSE(CDeclaration(**btf, pad, false).ok());
  // 1 MiB of padding inside an anonymous member: its spelling is refused.
  EXPECT_EQ((*btf)->TypeName(anon).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_LT(EveryQuery(**btf, holder), 1u << 20);
}

}  // namespace
}  // namespace btfreg
