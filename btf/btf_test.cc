// Tests of btf/ on BTF built here with libbpf's btf__add_* and on the
// checked-in fixtures made by tests/data/make_fixtures.sh.

#include "btf/btf.h"

#include <bpf/btf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace btfreg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<uint8_t> RawOf(struct btf* b) {
  uint32_t size = 0;
  const void* data = btf__raw_data(b, &size);
  const uint8_t* p = static_cast<const uint8_t*>(data);
  return std::vector<uint8_t>(p, p + size);
}

// A base with the shapes the verifier walks:
//
//   typedef int pid_t; typedef pid_t tgid_t;            (typedef chain)
//   struct list_head { struct list_head *next, *prev; };
//   struct task {                                       size 64
//     int prio;                       0
//     unsigned flag_a:1, flag_b:3;    32 bits, bitfields
//     struct list_head tasks;         8
//     union { long utime;             24  (anonymous)
//             struct { int lo, hi; } parts; };
//     const char comm[8];             32
//     struct task *parent;            40
//     int (*fn)(struct task *, int);  48
//     tgid_t tgid;                    56
//     int grid[1][1];                 60
//   };
//   struct opaque;                                      (forward)
//   enum state { RUNNING, DEAD = 2 };
struct Built {
  std::vector<uint8_t> bytes;
  uint32_t int_id, pid_t_id, tgid_t_id, list_head_id, list_ptr_id, task_id,
      task_ptr_id, char_id, const_char_id, comm_id, union_id, parts_id,
      proto_id, fn_ptr_id, fwd_id, enum_id, grid_id, long_id;
};

Built BuildBase() {
  Built b;
  struct btf* w = btf__new_empty();
  b.int_id = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  b.long_id = btf__add_int(w, "long", 8, BTF_INT_SIGNED);
  b.char_id = btf__add_int(w, "char", 1, BTF_INT_CHAR);
  b.pid_t_id = btf__add_typedef(w, "pid_t", b.int_id);
  b.tgid_t_id = btf__add_typedef(w, "tgid_t", b.pid_t_id);
  b.list_head_id = btf__add_struct(w, "list_head", 16);
  b.list_ptr_id = b.list_head_id + 1;
  btf__add_field(w, "next", b.list_ptr_id, 0, 0);
  btf__add_field(w, "prev", b.list_ptr_id, 64, 0);
  EXPECT_EQ(btf__add_ptr(w, b.list_head_id), int(b.list_ptr_id));
  b.parts_id = btf__add_struct(w, "", 8);
  btf__add_field(w, "lo", b.int_id, 0, 0);
  btf__add_field(w, "hi", b.int_id, 32, 0);
  b.union_id = btf__add_union(w, "", 8);
  btf__add_field(w, "utime", b.long_id, 0, 0);
  btf__add_field(w, "parts", b.parts_id, 0, 0);
  b.const_char_id = btf__add_const(w, b.char_id);
  b.comm_id = btf__add_array(w, b.int_id, b.const_char_id, 8);
  b.task_id = btf__add_struct(w, "task", 64);
  b.task_ptr_id = b.task_id + 1;
  b.proto_id = b.task_id + 2;
  b.fn_ptr_id = b.task_id + 3;
  b.grid_id = b.task_id + 5;
  btf__add_field(w, "prio", b.int_id, 0, 0);
  btf__add_field(w, "flag_a", b.int_id, 32, 1);
  btf__add_field(w, "flag_b", b.int_id, 33, 3);
  btf__add_field(w, "tasks", b.list_head_id, 64, 0);
  btf__add_field(w, "", b.union_id, 192, 0);
  btf__add_field(w, "comm", b.comm_id, 256, 0);
  btf__add_field(w, "parent", b.task_ptr_id, 320, 0);
  btf__add_field(w, "fn", b.fn_ptr_id, 384, 0);
  btf__add_field(w, "tgid", b.tgid_t_id, 448, 0);
  btf__add_field(w, "grid", b.grid_id, 480, 0);
  EXPECT_EQ(btf__add_ptr(w, b.task_id), int(b.task_ptr_id));
  EXPECT_EQ(btf__add_func_proto(w, b.int_id), int(b.proto_id));
  btf__add_func_param(w, "t", b.task_ptr_id);
  btf__add_func_param(w, "x", b.int_id);
  EXPECT_EQ(btf__add_ptr(w, b.proto_id), int(b.fn_ptr_id));
  int inner = btf__add_array(w, b.int_id, b.int_id, 1);
  EXPECT_EQ(btf__add_array(w, b.int_id, inner, 1), int(b.grid_id));
  b.fwd_id = btf__add_fwd(w, "opaque", BTF_FWD_STRUCT);
  b.enum_id = btf__add_enum(w, "state", 4);
  btf__add_enum_value(w, "RUNNING", 0);
  btf__add_enum_value(w, "DEAD", 2);
  b.bytes = RawOf(w);
  btf__free(w);
  return b;
}

class BuiltBtfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    b_ = BuildBase();
    auto loaded = Btf::LoadBytes(b_.bytes, "built");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    btf_ = std::move(*loaded);
  }
  Built b_;
  std::unique_ptr<Btf> btf_;
};

TEST_F(BuiltBtfTest, TypesByIdAndName) {
  EXPECT_EQ(btf_->name(), "built");
  EXPECT_EQ(btf_->base(), nullptr);
  EXPECT_EQ(btf_->start_id(), 1u);
  EXPECT_EQ(btf_->type_count(), b_.enum_id + 1);
  EXPECT_EQ(btf_->kind(b_.task_id), BTF_KIND_STRUCT);
  EXPECT_EQ(btf_->type_name(b_.task_id), "task");
  EXPECT_EQ(btf_->raw_size(b_.task_id), 64u);
  EXPECT_EQ(btf_->kind(0), BTF_KIND_UNKN);
  EXPECT_EQ(btf_->type(0), nullptr);
  EXPECT_EQ(btf_->type(btf_->type_count()), nullptr);
  EXPECT_EQ(btf_->FindByName("task", BTF_KIND_STRUCT), b_.task_id);
  EXPECT_EQ(btf_->FindByName("task", BTF_KIND_UNION), 0u);
  EXPECT_EQ(btf_->FindByName("pid_t", BTF_KIND_TYPEDEF), b_.pid_t_id);
  EXPECT_EQ(btf_->FindByName("opaque", BTF_KIND_FWD), b_.fwd_id);
  EXPECT_EQ(btf_->FindByName("state", BTF_KIND_ENUM), b_.enum_id);
  EXPECT_EQ(btf_->FindByName("nope", BTF_KIND_STRUCT), 0u);
  EXPECT_EQ(btf_->FindByName("", BTF_KIND_STRUCT), 0u);
  EXPECT_EQ(KindName(BTF_KIND_FUNC_PROTO), "FUNC_PROTO");
  EXPECT_EQ(KindName(99), "UNKN");
}

TEST_F(BuiltBtfTest, SizesAlignmentAndSkipping) {
  EXPECT_EQ(*btf_->ResolvedSize(b_.task_id), 64u);
  EXPECT_EQ(*btf_->ResolvedSize(b_.tgid_t_id), 4u);
  EXPECT_EQ(*btf_->ResolvedSize(b_.comm_id), 8u);
  EXPECT_EQ(*btf_->ResolvedSize(b_.task_ptr_id), 8u);
  EXPECT_EQ(*btf_->Alignment(b_.task_id), 8u);
  EXPECT_EQ(*btf_->Alignment(b_.char_id), 1u);
  EXPECT_FALSE(btf_->ResolvedSize(b_.fwd_id).ok());
  EXPECT_EQ(btf_->ResolvedSize(9999).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(btf_->SkipModsAndTypedefs(b_.tgid_t_id), b_.int_id);
  EXPECT_EQ(btf_->SkipModsAndTypedefs(b_.const_char_id), b_.char_id);
  EXPECT_EQ(btf_->SkipModifiers(b_.tgid_t_id), b_.tgid_t_id);
  EXPECT_EQ(btf_->SkipModsAndTypedefs(9999), 0u);
}

TEST_F(BuiltBtfTest, MembersWithBitfields) {
  auto members = btf_->Members(b_.task_id);
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_EQ(members->size(), 10u);
  EXPECT_EQ((*members)[1].name, "flag_a");
  EXPECT_EQ((*members)[1].bit_offset, 32u);
  EXPECT_EQ((*members)[1].bitfield_size, 1u);
  EXPECT_EQ((*members)[2].bit_offset, 33u);
  EXPECT_EQ((*members)[2].bitfield_size, 3u);
  EXPECT_EQ((*members)[4].name, "");
  EXPECT_EQ((*members)[4].type_id, b_.union_id);
  EXPECT_EQ((*members)[3].bitfield_size, 0u);
  EXPECT_FALSE(btf_->Members(b_.int_id).ok());
}

std::vector<std::string> PathNames(const WalkResult& r) {
  std::vector<std::string> out;
  for (const WalkStep& s : r.path) {
    std::string n(s.name.empty() ? "(anon)" : s.name);
    if (s.array_index >= 0) n += "[" + std::to_string(s.array_index) + "]";
    out.push_back(n);
  }
  return out;
}

TEST_F(BuiltBtfTest, StructWalkScalarsPointersAndNesting) {
  auto prio = btf_->StructWalk(b_.task_id, 0, 4);
  ASSERT_TRUE(prio.ok()) << prio.status();
  EXPECT_EQ(prio->kind, WalkKind::kScalar);
  EXPECT_THAT(PathNames(*prio), ElementsAre("prio"));

  // A pointer member read whole yields its pointee struct.
  auto next = btf_->StructWalk(b_.task_id, 8, 8);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->kind, WalkKind::kPointer);
  EXPECT_EQ(next->pointee_id, b_.list_head_id);
  EXPECT_EQ(next->member_offset, 8u);
  EXPECT_THAT(PathNames(*next), ElementsAre("tasks", "next"));

  auto parent = btf_->StructWalk(b_.task_id, 40, 8);
  ASSERT_TRUE(parent.ok());
  EXPECT_EQ(parent->pointee_id, b_.task_id);

  // Through the anonymous union: the kernel takes the first member.
  auto utime = btf_->StructWalk(b_.task_id, 28, 4);
  ASSERT_TRUE(utime.ok()) << utime.status();
  EXPECT_THAT(PathNames(*utime), ElementsAre("(anon)", "utime"));
  EXPECT_EQ(utime->type_id, b_.long_id);

  // Array elements: comm[5], and a 2-D array linearised.
  auto comm = btf_->StructWalk(b_.task_id, 37, 1);
  ASSERT_TRUE(comm.ok());
  EXPECT_THAT(PathNames(*comm), ElementsAre("comm[5]"));
  EXPECT_EQ(comm->type_id, b_.char_id);
  EXPECT_EQ(comm->member_offset, 37u);
  auto grid = btf_->StructWalk(b_.task_id, 60, 4);
  ASSERT_TRUE(grid.ok()) << grid.status();
  EXPECT_THAT(PathNames(*grid), ElementsAre("grid[0]"));

  // Typedef chains are skipped to the base type.
  auto tgid = btf_->StructWalk(b_.task_id, 56, 4);
  ASSERT_TRUE(tgid.ok());
  EXPECT_EQ(tgid->type_id, b_.int_id);

  // Bitfields are read as part of a covering scalar access.
  auto flags = btf_->StructWalk(b_.task_id, 4, 1);
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(PathNames(*flags), ElementsAre("flag_a"));

  // A function pointer is a pointer to a non-struct: a scalar.
  auto fn = btf_->StructWalk(b_.task_id, 48, 8);
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(fn->kind, WalkKind::kScalar);
}

TEST_F(BuiltBtfTest, StructWalkAllListsEveryUnionCandidate) {
  std::vector<WalkResult> all = btf_->StructWalkAll(b_.task_id, 28, 4);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_THAT(PathNames(all[0]), ElementsAre("(anon)", "utime"));
  EXPECT_THAT(PathNames(all[1]), ElementsAre("(anon)", "parts", "hi"));
  EXPECT_EQ(all[1].member_offset, 28u);
  EXPECT_TRUE(btf_->StructWalkAll(b_.task_id, 100, 4).empty());
}

TEST_F(BuiltBtfTest, StructWalkErrors) {
  EXPECT_EQ(btf_->StructWalk(b_.task_id, 64, 4).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(btf_->StructWalk(b_.task_id, 62, 4).status().code(),
            absl::StatusCode::kOutOfRange);
  // Straddles prio and the bitfields' word... prio ends at 4: 2..6 crosses.
  auto straddle = btf_->StructWalk(b_.task_id, 2, 4);
  EXPECT_FALSE(straddle.ok());
  EXPECT_THAT(straddle.status().message(), HasSubstr("past the end of member prio"));
  // Half a pointer.
  auto half = btf_->StructWalk(b_.task_id, 40, 4);
  EXPECT_THAT(half.status().message(), HasSubstr("cannot access pointer member parent"));
  EXPECT_EQ(btf_->StructWalk(9999, 0, 4).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(btf_->StructWalk(b_.int_id, 0, 4).status().message(),
              HasSubstr("is not a struct or union"));
}

TEST_F(BuiltBtfTest, TypeNamesAsBpftoolSpellsThem) {
  EXPECT_EQ(*btf_->TypeName(b_.task_ptr_id), "struct task *");
  EXPECT_EQ(*btf_->TypeName(b_.comm_id), "const char[8]");
  // btf_dump keeps parameter names where the BTF has them.
  EXPECT_EQ(*btf_->TypeName(b_.fn_ptr_id), "int (*)(struct task *t, int x)");
  EXPECT_EQ(*btf_->TypeName(b_.tgid_t_id), "tgid_t");
  EXPECT_EQ(*btf_->TypeName(b_.enum_id), "enum state");
  EXPECT_EQ(*btf_->TypeName(b_.fwd_id), "struct opaque");
  EXPECT_EQ(*btf_->TypeName(0), "void");
  EXPECT_FALSE(btf_->TypeName(9999).ok());
}

TEST_F(BuiltBtfTest, MemoryIsReported) {
  // A fresh object: the bytes it reads in place and its own tables; no
  // libbpf object until one is asked for.
  auto fresh = Btf::LoadBytes(b_.bytes, "fresh");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  BtfMemory m = (*fresh)->Memory();
  EXPECT_EQ(m.raw_bytes, b_.bytes.size());
  EXPECT_GT(m.index_bytes, 0u);
  EXPECT_EQ(m.libbpf_bytes, 0u);
  EXPECT_EQ(m.total(), m.raw_bytes + m.libbpf_bytes + m.index_bytes);
  ASSERT_NE((*fresh)->libbpf_btf(), nullptr);
  EXPECT_GT((*fresh)->Memory().libbpf_bytes, b_.bytes.size());
  // The same libbpf object every time.
  EXPECT_EQ((*fresh)->libbpf_btf(), (*fresh)->libbpf_btf());
}

// The parts a Btf makes on first use (the unspellable flags, libbpf's
// object) are made once when many threads ask at the same time, and
// Memory() may be read meanwhile (run under TSan by test.sh).
TEST_F(BuiltBtfTest, LazyPartsAreMadeOnceAcrossThreads) {
  auto fresh = Btf::LoadBytes(b_.bytes, "fresh");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  const Btf& btf = **fresh;
  const size_t before = btf.Memory().index_bytes;
  constexpr int kThreads = 4;
  std::vector<std::vector<bool>> seen(kThreads);
  std::vector<const struct btf*> libbpf(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (uint32_t id = 0; id < btf.type_count(); ++id) {
        seen[i].push_back(btf.Unspellable(id));
        btf.Memory();
      }
      libbpf[i] = btf.libbpf_btf();
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 1; i < kThreads; ++i) {
    EXPECT_EQ(seen[i], seen[0]);
    EXPECT_EQ(libbpf[i], libbpf[0]);
  }
  EXPECT_NE(libbpf[0], nullptr);
  // The flags are counted once made.
  EXPECT_GT(btf.Memory().index_bytes, before);
}

// TypeName from more threads than it has btf_dump slots (4): each call
// claims a slot or makes its own, and every thread spells every type as a
// single thread does (run under TSan by test.sh).
TEST(TypeNameTest, SpellsConcurrentlyWithoutALock) {
  auto btf = Btf::LoadFile("tests/data/mini_vmlinux.btf");
  ASSERT_TRUE(btf.ok()) << btf.status();
  const Btf& b = **btf;
  std::vector<std::string> expected;
  for (uint32_t id = 0; id < b.type_count(); ++id) {
    auto name = b.TypeName(id);
    expected.push_back(name.ok() ? *name : name.status().ToString());
  }
  constexpr int kThreads = 8;
  std::vector<int> differ(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (uint32_t id = 0; id < b.type_count(); ++id) {
          auto name = b.TypeName(id);
          differ[t] += (name.ok() ? *name : name.status().ToString()) != expected[id];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(differ[t], 0) << "thread " << t;
}

TEST(SplitBtfTest, IdsContinueAfterTheBaseAndFindBaseTypes) {
  Built b = BuildBase();
  auto base = Btf::LoadBytes(b.bytes, "base");
  ASSERT_TRUE(base.ok()) << base.status();
  // The writer works on a private copy of the base: btf__add_* on split BTF
  // may modify its base.
  struct btf* wbase = btf__new(b.bytes.data(), b.bytes.size());
  struct btf* w = btf__new_empty_split(wbase);
  int conn = btf__add_struct(w, "conn", 24);
  btf__add_field(w, "list", b.list_head_id, 0, 0);
  btf__add_field(w, "owner", b.task_ptr_id, 128, 0);
  std::vector<uint8_t> bytes = RawOf(w);
  btf__free(w);
  btf__free(wbase);

  auto mod = Btf::LoadSplitBytes(bytes, "conn_mod", **base);
  ASSERT_TRUE(mod.ok()) << mod.status();
  EXPECT_EQ((*mod)->base(), base->get());
  EXPECT_EQ((*mod)->start_id(), (*base)->type_count());
  EXPECT_EQ(uint32_t(conn), (*base)->type_count());
  EXPECT_EQ((*mod)->FindByName("conn", BTF_KIND_STRUCT), uint32_t(conn));
  EXPECT_EQ((*mod)->FindByName("task", BTF_KIND_STRUCT), b.task_id);
  EXPECT_EQ((*base)->FindByName("conn", BTF_KIND_STRUCT), 0u);
  auto owner = (*mod)->StructWalk(conn, 16, 8);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(owner->pointee_id, b.task_id);
  EXPECT_EQ(*(*mod)->TypeName(conn + 0), "struct conn");
  // The same bytes are not standalone BTF.
  EXPECT_FALSE(Btf::LoadBytes(bytes, "conn_mod").ok());
}

TEST(SplitBtfTest, ANameTheBaseDefinesFindsTheBasesTypeFirst) {
  // A module may define a type of the same name and kind as vmlinux (its
  // own `struct task`, say). The kernel's btf_find_by_name_kind and libbpf's
  // btf__find_by_name_kind walk ids upward from 1, so the base's id wins.
  Built b = BuildBase();
  auto base = Btf::LoadBytes(b.bytes, "base");
  ASSERT_TRUE(base.ok()) << base.status();
  struct btf* wbase = btf__new(b.bytes.data(), b.bytes.size());
  struct btf* w = btf__new_empty_split(wbase);
  const int own_task = btf__add_struct(w, "task", 4);
  btf__add_field(w, "x", b.int_id, 0, 0);
  const int own_pid = btf__add_typedef(w, "pid_t", b.long_id);
  std::vector<uint8_t> bytes = RawOf(w);
  const uint32_t libbpf_task = btf__find_by_name_kind(w, "task", BTF_KIND_STRUCT);
  btf__free(w);
  btf__free(wbase);
  auto mod = Btf::LoadSplitBytes(bytes, "redefining_mod", **base);
  ASSERT_TRUE(mod.ok()) << mod.status();
  EXPECT_EQ(libbpf_task, b.task_id);
  EXPECT_EQ((*mod)->FindByName("task", BTF_KIND_STRUCT), b.task_id);
  EXPECT_EQ((*mod)->FindByName("pid_t", BTF_KIND_TYPEDEF), b.pid_t_id);
  // The module's own definitions are still its own types.
  EXPECT_THAT((*mod)->OwnTypesNamed("task", BTF_KIND_STRUCT),
              ElementsAre(uint32_t(own_task)));
  EXPECT_THAT((*mod)->OwnTypesNamed("pid_t", BTF_KIND_TYPEDEF),
              ElementsAre(uint32_t(own_pid)));
}

TEST(StructWalkEndTest, OnlyAFlexibleArrayIsIndexedPastTheEnd) {
  // struct fixed { int n; int arr[2]; };   size 12, arr a real array
  // struct flex  { int n; int arr[]; };    size 4, arr flexible
  struct btf* w = btf__new_empty();
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  const int two = btf__add_array(w, i, i, 2);
  const int none = btf__add_array(w, i, i, 0);
  const int fixed = btf__add_struct(w, "fixed", 12);
  btf__add_field(w, "n", i, 0, 0);
  btf__add_field(w, "arr", two, 32, 0);
  const int flex = btf__add_struct(w, "flex", 4);
  btf__add_field(w, "n", i, 0, 0);
  btf__add_field(w, "arr", none, 32, 0);
  auto btf = Btf::LoadBytes(RawOf(w), "ends");
  btf__free(w);
  ASSERT_TRUE(btf.ok()) << btf.status();
  auto last = (*btf)->StructWalk(fixed, 8, 4);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_THAT(PathNames(*last), ElementsAre("arr[1]"));
  EXPECT_EQ((*btf)->StructWalk(fixed, 12, 4).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ((*btf)->StructWalk(fixed, 10, 4).status().code(),
            absl::StatusCode::kOutOfRange);
  auto past = (*btf)->StructWalk(flex, 12, 4);
  ASSERT_TRUE(past.ok()) << past.status();
  EXPECT_THAT(PathNames(*past), ElementsAre("arr[2]"));
}

TEST(StructWalkModeTest, AScalarReadPastItsMemberInsideAUnionOnly) {
  // struct s {
  //   union { unsigned char a; unsigned int b; } u;   0, 4 bytes
  //   unsigned char c;                                4
  //   unsigned int d;                                 8
  // };
  // A 4-byte read at 0 starts in `a` (the union's first member, 1 byte)
  // and runs past it: the verifier since 2023 allows that inside a union.
  // A 4-byte read at 4 starts in `c` and runs past it outside any union:
  // refused in both modes.
  struct btf* w = btf__new_empty();
  const int u8 = btf__add_int(w, "unsigned char", 1, 0);
  const int u32 = btf__add_int(w, "unsigned int", 4, 0);
  const int u = btf__add_union(w, nullptr, 4);
  btf__add_field(w, "a", u8, 0, 0);
  btf__add_field(w, "b", u32, 0, 0);
  const int st = btf__add_struct(w, "s", 12);
  btf__add_field(w, "u", u, 0, 0);
  btf__add_field(w, "c", u8, 32, 0);
  btf__add_field(w, "d", u32, 64, 0);
  auto btf = Btf::LoadBytes(RawOf(w), "modes");
  btf__free(w);
  ASSERT_TRUE(btf.ok()) << btf.status();
  auto in_union = (*btf)->StructWalk(st, 0, 4);
  ASSERT_TRUE(in_union.ok()) << in_union.status();
  EXPECT_EQ(in_union->kind, WalkKind::kScalar);
  EXPECT_THAT(PathNames(*in_union), ElementsAre("u", "a"));
  EXPECT_FALSE((*btf)->StructWalk(st, 0, 4, WalkMode::kMemberBound).ok());
  for (WalkMode mode : {WalkMode::kMemberBoundOutsideUnions, WalkMode::kMemberBound}) {
    absl::Status s = (*btf)->StructWalk(st, 4, 4, mode).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("runs past the end of member c"));
  }
  // Inside the member it is fine in both.
  EXPECT_TRUE((*btf)->StructWalk(st, 8, 4, WalkMode::kMemberBound).ok());
}

// The checked-in fixtures (tests/data/make_fixtures.sh).
constexpr char kMiniVmlinux[] = "tests/data/mini_vmlinux.btf";
constexpr char kMiniModule[] = "tests/data/mini_module.btf";
constexpr char kMiniProg[] = "tests/data/mini_prog.bpf.o";

TEST(FixtureTest, PaholeMadeVmlinuxAndModule) {
  auto vmlinux = Btf::LoadVmlinux(kMiniVmlinux);
  ASSERT_TRUE(vmlinux.ok()) << vmlinux.status();
  const Btf& v = **vmlinux;
  uint32_t task = v.FindByName("task_struct", BTF_KIND_STRUCT);
  ASSERT_NE(task, 0u);
  auto pid = v.StructWalk(task, 56, 4);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_THAT(PathNames(*pid), ElementsAre("pid"));
  auto mm = v.StructWalk(task, 40, 8);
  ASSERT_TRUE(mm.ok());
  EXPECT_EQ(mm->pointee_id, v.FindByName("mm_struct", BTF_KIND_STRUCT));
  EXPECT_EQ(*v.TypeName(v.FindByName("gfp_t", BTF_KIND_TYPEDEF)), "gfp_t");
  uint32_t reg = v.FindByName("bpf_reg_state", BTF_KIND_STRUCT);
  EXPECT_EQ(v.raw_size(reg), 120u);

  auto mod = Btf::LoadSplitFile(kMiniModule, v);
  ASSERT_TRUE(mod.ok()) << mod.status();
  uint32_t conn = (*mod)->FindByName("nf_mini_conn", BTF_KIND_STRUCT);
  ASSERT_GE(conn, v.type_count());
  // The module's list_head is vmlinux's own (pahole dedups against the base).
  auto list = (*mod)->StructWalk(conn, 0, 8);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->pointee_id, v.FindByName("list_head", BTF_KIND_STRUCT));
  auto owner = (*mod)->StructWalk(conn, 16, 8);
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->pointee_id, task);
}

TEST(FixtureTest, ElfObjectWithBtfSection) {
  auto prog = Btf::LoadFile(kMiniProg);
  ASSERT_TRUE(prog.ok()) << prog.status();
  uint32_t event = (*prog)->FindByName("event", BTF_KIND_STRUCT);
  ASSERT_NE(event, 0u);
  auto comm = (*prog)->StructWalk(event, 4, 1);
  ASSERT_TRUE(comm.ok());
  EXPECT_THAT(PathNames(*comm), ElementsAre("comm[0]"));
}

TEST(FixtureTest, FlexibleArrayMember) {
  auto v = Btf::LoadFile(kMiniVmlinux);
  ASSERT_TRUE(v.ok());
  uint32_t aux = (*v)->FindByName("bpf_prog_aux_mini", BTF_KIND_STRUCT);
  // map_ids[5] lies past sizeof(struct bpf_prog_aux_mini) == 8.
  auto sixth = (*v)->StructWalk(aux, 8 + 5 * 4, 4);
  ASSERT_TRUE(sixth.ok()) << sixth.status();
  EXPECT_EQ(sixth->kind, WalkKind::kScalar);
  EXPECT_THAT(PathNames(*sixth), ElementsAre("map_ids[5]"));
  EXPECT_EQ(sixth->member_offset, 28u);
  // Before the flexible array, past the struct: no member there.
  EXPECT_FALSE((*v)->StructWalk(aux, 6, 4).ok());
}

TEST(EssentialNameTest, AsLibbpf) {
  EXPECT_EQ(EssentialName("task_struct"), "task_struct");
  EXPECT_EQ(EssentialName("task_struct___v2"), "task_struct");
  EXPECT_EQ(EssentialName("a___b___c"), "a___b");  // the last flavor only
  EXPECT_EQ(EssentialName("x____y"), "x____y");    // four underscores: none
  EXPECT_EQ(EssentialName("___y"), "___y");        // no X
  EXPECT_EQ(EssentialName("x___"), "x___");        // no Y
  EXPECT_EQ(EssentialName(""), "");
  // The flavor mark at every position of names up to 24 bytes long, against
  // the rule spelled out byte by byte (the fast search reads 8 bytes at a
  // time, and a mark may straddle two reads).
  for (size_t len = 5; len <= 24; ++len) {
    for (size_t at = 1; at + 4 <= len; ++at) {
      std::string name(len, 'a');
      name.replace(at, 3, "___");
      EXPECT_EQ(EssentialName(name), name.substr(0, at)) << name;
      name[at + 1] = 'b';  // "_b_": no mark
      EXPECT_EQ(EssentialName(name), name) << name;
    }
  }
}

// More flavors than the name index leaves room for at first: it is sized
// again, and every name and flavor is still found.
TEST(OwnTypesTest, ManyFlavorsAreFound) {
  struct btf* w = btf__new_empty();
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);  // 1
  constexpr int kFlavors = 40;
  for (int v = 0; v < kFlavors; ++v) {  // 2 .. kFlavors + 1
    btf__add_struct(w, absl::StrCat("s___v", v).c_str(), 4);
    btf__add_field(w, "x", i, 0, 0);
  }
  auto btf = Btf::LoadBytes(RawOf(w), "flavors");
  btf__free(w);
  ASSERT_TRUE(btf.ok()) << btf.status();
  std::vector<uint32_t> all;
  for (int v = 0; v < kFlavors; ++v) {
    EXPECT_EQ((*btf)->FindByName(absl::StrCat("s___v", v), BTF_KIND_STRUCT), uint32_t(v + 2));
    all.push_back(v + 2);
  }
  EXPECT_EQ((*btf)->OwnCandidates("s", BTF_KIND_STRUCT), all);
  EXPECT_EQ((*btf)->FindByName("s", BTF_KIND_STRUCT), 0u);
}

// A flavor's mark ("___") found wherever it falls against the 8-byte words
// the index reads names in, across two words too; four underscores are no
// mark.
TEST(OwnTypesTest, FlavorsAreFoundWhereverTheirMarkFalls) {
  struct btf* w = btf__new_empty();
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);  // 1
  for (int k = 1; k <= 20; ++k) {
    btf__add_struct(w, (std::string(k, 'a') + "___v").c_str(), 4);   // 2k
    btf__add_field(w, "x", i, 0, 0);
    btf__add_struct(w, (std::string(k, 'b') + "____c").c_str(), 4);  // 2k + 1
    btf__add_field(w, "x", i, 0, 0);
  }
  auto btf = Btf::LoadBytes(RawOf(w), "marks");
  btf__free(w);
  ASSERT_TRUE(btf.ok()) << btf.status();
  for (int k = 1; k <= 20; ++k) {
    EXPECT_THAT((*btf)->OwnCandidates(std::string(k, 'a'), BTF_KIND_STRUCT), ElementsAre(2 * k))
        << k;
    EXPECT_TRUE((*btf)->OwnCandidates(std::string(k, 'b'), BTF_KIND_STRUCT).empty()) << k;
    EXPECT_EQ((*btf)->FindByName(std::string(k, 'b') + "____c", BTF_KIND_STRUCT), uint32_t(2 * k + 1));
  }
}

TEST(OwnTypesTest, DuplicatesAndFlavorsAreFound) {
  struct btf* w = btf__new_empty();
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);              // 1
  for (const char* name : {"foo", "foo", "foo___v2", "foo___v3", "bar"}) {
    btf__add_struct(w, name, 4);                                         // 2..6
    btf__add_field(w, "x", i, 0, 0);
  }
  btf__add_union(w, "foo", 4);                                           // 7
  btf__add_field(w, "x", i, 0, 0);
  auto btf = Btf::LoadBytes(RawOf(w), "flavors");
  btf__free(w);
  ASSERT_TRUE(btf.ok()) << btf.status();
  EXPECT_THAT((*btf)->OwnTypesNamed("foo", BTF_KIND_STRUCT), ElementsAre(2, 3));
  EXPECT_THAT((*btf)->OwnTypesNamed("foo", BTF_KIND_UNION), ElementsAre(7));
  EXPECT_THAT((*btf)->OwnTypesNamed("foo___v2", BTF_KIND_STRUCT), ElementsAre(4));
  EXPECT_THAT((*btf)->OwnCandidates("foo", BTF_KIND_STRUCT), ElementsAre(2, 3, 4, 5));
  EXPECT_THAT((*btf)->OwnCandidates("bar", BTF_KIND_STRUCT), ElementsAre(6));
  EXPECT_TRUE((*btf)->OwnCandidates("baz", BTF_KIND_STRUCT).empty());
  EXPECT_EQ((*btf)->FindByName("foo", BTF_KIND_STRUCT), 2u);  // still the first
  EXPECT_EQ((*btf)->FindByName("foo___v3", BTF_KIND_STRUCT), 5u);
  // "bar" is the last string of the section: its NUL is the section's last byte.
  EXPECT_EQ((*btf)->FindByName("bar", BTF_KIND_STRUCT), 6u);
  for (const char* near : {"fo", "foo_", "foo___v", "foo___v22", "ba", "barr"}) {
    EXPECT_EQ((*btf)->FindByName(near, BTF_KIND_STRUCT), 0u) << near;
  }
}

// The index against a scan of every type, on a seeded random BTF whose few
// hundred names repeat (long probe sequences, which cross the index's
// 8-slot groups and wrap past its end) and carry flavors. Every name, with
// every kind, and names that are not there. The seed is printed; another:
// BTFREG_SEED=<seed>.
TEST(OwnTypesTest, EveryLookupAgreesWithAScanOfTheTypes) {
  uint64_t seed = 7;
  if (const char* env = getenv("BTFREG_SEED")) seed = strtoull(env, nullptr, 10);
  printf("BTFREG_SEED=%llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  std::vector<std::string> pool;
  for (int n = 0; n < 300; ++n) {
    std::string name;
    const int len = 1 + static_cast<int>(rng() % 40);  // across memcmp's and the hash's sizes
    for (int c = 0; c < len; ++c) name += "abcdefghijklmnopqrstuvwxyz_"[rng() % 27];
    pool.push_back(name);
  }
  struct btf* w = btf__new_empty();
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);  // 1
  for (int n = 0; n < 4000; ++n) {
    std::string name = pool[rng() % pool.size()];
    if (rng() % 8 == 0) absl::StrAppend(&name, "___v", rng() % 3);  // a flavor
    switch (rng() % 3) {
      case 0:
        btf__add_struct(w, name.c_str(), 4);
        btf__add_field(w, "x", i, 0, 0);
        break;
      case 1:
        btf__add_union(w, name.c_str(), 4);
        btf__add_field(w, "x", i, 0, 0);
        break;
      default:
        btf__add_typedef(w, name.c_str(), i);
    }
  }
  auto btf = Btf::LoadBytes(RawOf(w), "random names");
  btf__free(w);
  ASSERT_TRUE(btf.ok()) << btf.status();
  const Btf& b = **btf;
  std::vector<std::string> asked = pool;
  for (const std::string& name : pool) {
    asked.push_back(name + "___v1");
    asked.push_back(name + "x");                     // not there, most likely
    asked.push_back(name.substr(0, name.size() / 2));  // a prefix
  }
  // The scan, once: (name, kind) -> ids, and (essential name, kind) -> the
  // ids of its flavors, each in id order.
  std::map<std::pair<std::string, int>, std::vector<uint32_t>> named, flavored;
  for (uint32_t id = 1; id < b.type_count(); ++id) {
    const std::string name(b.type_name(id));
    named[{name, b.kind(id)}].push_back(id);
    const std::string essential(EssentialName(name));
    if (essential != name) flavored[{essential, b.kind(id)}].push_back(id);
  }
  size_t found = 0;
  for (const std::string& name : asked) {
    for (int kind : {BTF_KIND_INT, BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_TYPEDEF}) {
      const std::vector<uint32_t> exact = named[{name, kind}];
      const std::vector<uint32_t> flavors = flavored[{name, kind}];
      ASSERT_EQ(b.FindByName(name, kind), exact.empty() ? 0u : exact[0]) << name << " " << kind;
      ASSERT_EQ(b.OwnTypesNamed(name, kind), exact) << name << " " << kind;
      std::vector<uint32_t> candidates = exact;
      candidates.insert(candidates.end(), flavors.begin(), flavors.end());
      ASSERT_EQ(b.OwnCandidates(name, kind), candidates) << name << " " << kind;
      found += exact.size();
    }
  }
  EXPECT_GT(found, 3000u);  // most types, under their own names
}

}  // namespace
}  // namespace btfreg
