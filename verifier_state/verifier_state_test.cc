// Layouts, operations on fixtures and on the running kernel's BTF, and a
// module unloading mid-verification, for every register variant.

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/testing.h"
#include "verifier_state/func_state.h"
#include "verifier_state/ops.h"
#include "btf/layout.h"
#include "verifier_state/resolvers.h"
#include "verifier_state/used_btfs.h"

namespace btfreg {
namespace {

using ::testing::HasSubstr;

// Offset of member `name` in a layout, looking through anonymous members.
int64_t MemberOffset(const Layout& l, const std::string& name) {
  for (const LayoutMember& m : l.members) {
    if (m.name == name) return m.offset;
    if (m.nested != nullptr && m.name.empty()) {
      int64_t inner = MemberOffset(*m.nested, name);
      if (inner >= 0) return inner;
    }
  }
  return -1;
}

int64_t MemberOffset(const Btf& btf, uint32_t id, const std::string& name) {
  absl::StatusOr<Layout> l = StructLayout(btf, btf.SkipModsAndTypedefs(id));
  return l.ok() ? MemberOffset(*l, name) : -1;
}

TEST(LayoutTest, RegStateMatchesTheSeedLayoutInTheFixture) {
  // mini_vmlinux.c carries the seed's AFTER struct bpf_reg_state; pahole
  // encoded it, and our struct must agree member by member.
  auto btf = Btf::LoadFile(testing_util::kBasePath);
  ASSERT_TRUE(btf.ok());
  uint32_t id = (*btf)->FindByName("bpf_reg_state", BTF_KIND_STRUCT);
  ASSERT_NE(id, 0u);
  absl::StatusOr<Layout> layout = StructLayout(**btf, id);
  ASSERT_TRUE(layout.ok()) << layout.status();
  printf("%s", LayoutText(**btf, *layout).c_str());
  EXPECT_EQ(layout->size, sizeof(RegState));
  // The seed's point: moving `off` into the hole after `type` leaves no
  // hole in the 120 bytes; only the 3 bytes after `bool precise` pad.
  EXPECT_EQ(layout->holes, 0u);
  EXPECT_EQ(layout->sum_holes, 0u);
  EXPECT_EQ(layout->padding, 3u);
  EXPECT_EQ(layout->sum_members + layout->padding, sizeof(RegState));
  struct Expect {
    const char* name;
    size_t offset;
  } expect[] = {
      {"type", offsetof(RegState, type)},
      {"off", offsetof(RegState, off)},
      {"btf", offsetof(RegState, btf)},
      {"btf_id", offsetof(RegState, btf_id)},
      {"id", offsetof(RegState, id)},
      {"ref_obj_id", offsetof(RegState, ref_obj_id)},
      {"var_off", offsetof(RegState, var_off)},
      {"smin_value", offsetof(RegState, smin_value)},
      {"umax_value", offsetof(RegState, umax_value)},
      {"s32_min_value", offsetof(RegState, s32_min_value)},
      {"u32_max_value", offsetof(RegState, u32_max_value)},
      {"parent", offsetof(RegState, parent)},
      {"frameno", offsetof(RegState, frameno)},
      {"subreg_def", offsetof(RegState, subreg_def)},
      {"live", offsetof(RegState, live)},
      {"precise", offsetof(RegState, precise)},
  };
  for (const Expect& e : expect) {
    EXPECT_EQ(MemberOffset(*layout, e.name), static_cast<int64_t>(e.offset)) << e.name;
  }
}

TEST(LayoutTest, BytesPerState) {
  VerifierState<RegState> a;
  VerifierState<PackedIdRegState> b;
  a.PushFrame(-1, 0);
  b.PushFrame(-1, 0);
  a.cur().stack.resize(8);
  b.cur().stack.resize(8);
  printf("one frame, 8 stack slots: RegState %zu bytes, PackedIdRegState %zu\n",
         a.bytes(), b.bytes());
  EXPECT_EQ(a.bytes() - b.bytes(),
            (kMaxBpfReg + 8) * (sizeof(RegState) - sizeof(PackedIdRegState)));
  EXPECT_EQ(a.cur().frameno, 0u);
  a.PushFrame(5, 1);
  EXPECT_EQ(a.depth(), 2);
  EXPECT_EQ(a.cur().regs[0].frameno, 1u);
}

TEST(LayoutTest, KernelBpfRegStateForComparison) {
  if (access(std::string(kVmlinuxPath).c_str(), R_OK) != 0) {
    GTEST_SKIP() << kVmlinuxPath << " is not readable on this machine";
  }
  auto btf = Btf::LoadVmlinux();
  ASSERT_TRUE(btf.ok());
  uint32_t id = (*btf)->FindByName("bpf_reg_state", BTF_KIND_STRUCT);
  if (id == 0) GTEST_SKIP() << "this kernel's BTF has no struct bpf_reg_state";
  absl::StatusOr<Layout> layout = StructLayout(**btf, id);
  ASSERT_TRUE(layout.ok()) << layout.status();
  printf("this kernel's struct bpf_reg_state (the seed's is %zu bytes):\n%s",
         sizeof(RegState), LayoutText(**btf, *layout).c_str());
  // What the seed decided, and every kernel since keeps (5.11 to 6.18 at
  // least): `off` moved into the hole after `type`; the union at 8 holds the
  // btf pointer with btf_id right after it; the struct is no larger than the
  // seed's 120 bytes (112 on 6.18, after later members moved).
  EXPECT_EQ(MemberOffset(*layout, "type"), 0);
  EXPECT_EQ(MemberOffset(*layout, "off"), 4);
  EXPECT_EQ(MemberOffset(*layout, "btf"), 8);
  EXPECT_EQ(MemberOffset(*layout, "btf_id"), 16);
  EXPECT_LE(layout->size, sizeof(RegState));
  EXPECT_EQ(layout->size % 8, 0u);
  // The btf member is a pointer to struct btf, as our RegState's is.
  const LayoutMember* btf_member = nullptr;
  std::function<void(const Layout&)> find = [&](const Layout& l) {
    for (const LayoutMember& m : l.members) {
      if (m.name == "btf" && btf_member == nullptr) btf_member = &m;
      if (m.nested != nullptr && m.name.empty()) find(*m.nested);
    }
  };
  find(*layout);
  ASSERT_NE(btf_member, nullptr);
  EXPECT_EQ(btf_member->size, sizeof(void*));
  EXPECT_EQ(*(*btf)->TypeName(btf_member->type_id), "struct btf *");
}

// One verifier trace, as strings, so variants can be compared whole.
template <typename R>
std::vector<std::string> Trace(const R& r, const BtfRef& btf,
                               const std::vector<std::string>& chain,
                               const std::string& start) {
  using Reg = typename R::Reg;
  std::vector<std::string> out;
  Reg reg{};
  MarkBtfId(r, reg, btf, btf->FindByName(start, BTF_KIND_STRUCT));
  for (const std::string& field : chain) {
    auto name = TypeName(r, reg);
    out.push_back(name.ok() ? *name : name.status().ToString());
    int64_t off = -1;
    r.With(reg, [&](const Btf& b) { off = MemberOffset(b, reg.btf_id, field); });
    if (off < 0) {
      out.push_back("no member " + field);
      break;
    }
    Reg next{};
    absl::Status s = StructAccess(r, reg, static_cast<int32_t>(off), 8, next);
    out.push_back(s.ok() ? (next.type == PTR_TO_BTF_ID ? "ptr" : "scalar")
                         : s.ToString());
    if (next.type != PTR_TO_BTF_ID) break;
    // A saved state with this register prunes one with the same one.
    VerifierState<Reg> a, b;
    a.PushFrame(-1, 0).regs[1] = next;
    b.PushFrame(-1, 0).regs[1] = next;
    out.push_back(StatesEqual(r, a, b) && RegsExact(r, next, next) ? "prunes" : "differs");
    reg = next;
  }
  return out;
}

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.RegisterBase(testing_util::kBasePath).ok());
    ASSERT_TRUE(registry_.ModuleComingFromFile("nf_mini", "tests/data/mini_module.btf").ok());
    ASSERT_TRUE(registry_.ModuleLive("nf_mini").ok());
  }
  template <typename Fn>
  void ForEachVariant(Fn fn) {
    fn(PointerResolver());
    fn(RcuIdResolver<IdRegState>(registry_));
    fn(RefcountIdResolver<PackedIdRegState>(registry_));
    fn(HandleResolver(registry_));
  }
  Registry registry_;
};

TEST_F(OpsTest, ChainsThroughTheFixtureAgreeAcrossVariants) {
  UsedBtfs used(registry_);
  auto mod = used.Add("nf_mini");
  ASSERT_TRUE(mod.ok()) << mod.status();
  std::vector<std::vector<std::string>> traces;
  ForEachVariant([&](const auto& r) {
    traces.push_back(Trace(r, *mod, {"owner", "mm", "mmap_base"},
                           "nf_mini_conn"));
  });
  EXPECT_THAT(traces[0], ::testing::ElementsAre(
                             "struct nf_mini_conn *", "ptr", "prunes",
                             "struct task_struct *", "ptr", "prunes",
                             "struct mm_struct *", "scalar"));
  for (size_t i = 1; i < traces.size(); ++i) EXPECT_EQ(traces[i], traces[0]) << i;
}

TEST_F(OpsTest, NestedAnonymousMembersAndArrays) {
  BtfRef base = registry_.base();
  ForEachVariant([&](const auto& r) {
    using Reg = typename std::decay_t<decltype(r)>::Reg;
    Reg skb{};
    MarkBtfId(r, skb, base, base->FindByName("sk_buff", BTF_KIND_STRUCT));
    Reg dev{};
    // sk_buff { union { struct { next; prev; union { dev; ... } } ... } }
    ASSERT_TRUE(StructAccess(r, skb, 16, 8, dev).ok());
    EXPECT_EQ(*TypeName(r, dev), "struct net_device *");
    Reg cb{};
    ASSERT_TRUE(StructAccess(r, skb, 48 + 10, 4, cb).ok());  // skb->cb[10..13]
    EXPECT_EQ(cb.type, SCALAR_VALUE);
    Reg half{};
    EXPECT_FALSE(StructAccess(r, skb, 20, 4, half).ok());    // half a pointer
    EXPECT_FALSE(StructAccess(r, skb, 1000, 4, half).ok());  // past the end
  });
}

TEST_F(OpsTest, RegSafeAndStatesEqualUseTheBtfIdentity) {
  BtfRef base = registry_.base();
  BtfRef mod = *registry_.TryGetModule("nf_mini");
  ForEachVariant([&](const auto& r) {
    using Reg = typename std::decay_t<decltype(r)>::Reg;
    const uint32_t task = base->FindByName("task_struct", BTF_KIND_STRUCT);
    Reg a{}, b{}, c{};
    MarkBtfId(r, a, base, task);
    MarkBtfId(r, b, base, task);
    MarkBtfId(r, c, mod, task);  // same type id through another object
    EXPECT_TRUE(RegsExact(r, a, b));
    EXPECT_TRUE(RegSafe(r, a, b));
    EXPECT_FALSE(RegsExact(r, a, c));
    EXPECT_FALSE(RegSafe(r, a, c));
    Reg unknown{}, narrow{};
    internal::MarkUnknown(unknown);
    internal::MarkUnknown(narrow);
    narrow.umax_value = 10;
    narrow.smin_value = 0;
    narrow.smax_value = 10;
    EXPECT_TRUE(RegSafe(r, unknown, narrow));
    EXPECT_FALSE(RegSafe(r, narrow, unknown));
    VerifierState<Reg> s1, s2;
    s1.PushFrame(-1, 0).regs[6] = a;
    s2.PushFrame(-1, 0).regs[6] = c;
    EXPECT_FALSE(StatesEqual(r, s1, s2));
    s2.cur().regs[6] = b;
    EXPECT_TRUE(StatesEqual(r, s1, s2));
  });
}

TEST_F(OpsTest, RegSafeComparesThePointersOffset) {
  // A pointer 8 bytes into a task_struct is not the pointer at its start:
  // what was proven safe at one offset says nothing of another.
  BtfRef base = registry_.base();
  ForEachVariant([&](const auto& r) {
    using Reg = typename std::decay_t<decltype(r)>::Reg;
    const uint32_t task = base->FindByName("task_struct", BTF_KIND_STRUCT);
    Reg at0{}, at8{}, also8{};
    MarkBtfId(r, at0, base, task);
    MarkBtfId(r, at8, base, task);
    MarkBtfId(r, also8, base, task);
    at8.off = 8;
    also8.off = 8;
    EXPECT_FALSE(RegSafe(r, at0, at8));
    EXPECT_FALSE(RegSafe(r, at8, at0));
    EXPECT_TRUE(RegSafe(r, at8, also8));
  });
}

TEST_F(OpsTest, StatesEqualComparesSpilledPointers) {
  // Registers equal, the stack differs: slot 2 holds a spilled task_struct
  // pointer in one state and an mm_struct pointer in the other.
  BtfRef base = registry_.base();
  ForEachVariant([&](const auto& r) {
    using Reg = typename std::decay_t<decltype(r)>::Reg;
    Reg task{}, mm{};
    MarkBtfId(r, task, base, base->FindByName("task_struct", BTF_KIND_STRUCT));
    MarkBtfId(r, mm, base, base->FindByName("mm_struct", BTF_KIND_STRUCT));
    auto spill = [](VerifierState<Reg>& s, const Reg& reg) {
      s.cur().stack.resize(4);
      s.cur().stack[2].spilled_ptr = reg;
      for (uint8_t& t : s.cur().stack[2].slot_type) t = STACK_SPILL;
    };
    VerifierState<Reg> old_state, same, other;
    old_state.PushFrame(-1, 0);
    same.PushFrame(-1, 0);
    other.PushFrame(-1, 0);
    spill(old_state, task);
    spill(same, task);
    spill(other, mm);
    EXPECT_TRUE(StatesEqual(r, old_state, same));
    EXPECT_FALSE(StatesEqual(r, old_state, other));
    // The same type at another offset is another pointer, in a slot too.
    same.cur().stack[2].spilled_ptr.off = 16;
    EXPECT_FALSE(StatesEqual(r, old_state, same));
    // A slot the old state never used does not matter; a slot it used as
    // a spill that the current state has as plain data does.
    same.cur().stack[2].spilled_ptr.off = 0;
    for (uint8_t& t : same.cur().stack[1].slot_type) t = STACK_MISC;
    EXPECT_TRUE(StatesEqual(r, old_state, same));
    for (uint8_t& t : same.cur().stack[2].slot_type) t = STACK_MISC;
    EXPECT_FALSE(StatesEqual(r, old_state, same));
  });
}

TEST_F(OpsTest, UsedBtfsPinsModulesSoTheyCannotGo) {
  UsedBtfs used(registry_);
  auto mod = used.Add("nf_mini");
  ASSERT_TRUE(mod.ok());
  EXPECT_EQ(*used.Add("nf_mini"), *mod);  // idempotent
  EXPECT_TRUE(used.Add("vmlinux").ok());
  EXPECT_EQ(used.size(), 2u);
  EXPECT_FALSE(used.Add("missing").ok());
  absl::Status refused = registry_.ModuleGoing("nf_mini");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  RegState reg{};
  MarkBtfId(PointerResolver(), reg, *mod, (*mod)->FindByName("nf_mini_conn", BTF_KIND_STRUCT));
  EXPECT_EQ(*TypeName(PointerResolver(), reg), "struct nf_mini_conn *");
  used.Clear();
  EXPECT_TRUE(registry_.ModuleGoing("nf_mini").ok());
  auto by_id = used.AddById(mod->id());
  EXPECT_EQ(by_id.status().code(), absl::StatusCode::kNotFound);
}

TEST(VmlinuxOpsTest, ChainsThroughKernelTypesAgreeAcrossVariants) {
  if (access(std::string(kVmlinuxPath).c_str(), R_OK) != 0) {
    GTEST_SKIP() << kVmlinuxPath << " is not readable on this machine; "
                 << "OpsTest runs the same chains on the fixture";
  }
  Registry registry;
  auto base = registry.RegisterBase(kVmlinuxPath);
  ASSERT_TRUE(base.ok()) << base.status();
  struct Chain {
    std::string start;
    std::vector<std::string> fields;
    std::string first_hop;  // what the first pointer load must yield
  } chains[] = {
      {"task_struct", {"real_parent", "mm", "pgd"}, "struct task_struct *"},
      {"sk_buff", {"sk", "sk_rcvbuf"}, "struct sock *"},
      {"file", {"f_inode", "i_sb", "s_type"}, "struct inode *"},
  };
  for (const Chain& c : chains) {
    SCOPED_TRACE(c.start);
    auto p = Trace(PointerResolver(), *base, c.fields, c.start);
    auto i = Trace(RcuIdResolver<IdRegState>(registry), *base, c.fields, c.start);
    auto k = Trace(RefcountIdResolver<PackedIdRegState>(registry), *base, c.fields, c.start);
    auto h = Trace(HandleResolver(registry), *base, c.fields, c.start);
    ASSERT_GE(p.size(), 4u);
    EXPECT_EQ(p[0], "struct " + c.start + " *");
    EXPECT_EQ(p[1], "ptr");
    EXPECT_EQ(p[3], c.first_hop);
    EXPECT_EQ(i, p);
    EXPECT_EQ(k, p);
    EXPECT_EQ(h, p);
  }
}

// A module unloads while a program that did not pin it is verified.
class UnloadTest : public ::testing::Test {
 protected:
  void Load(Registry& registry, const std::string& name) {
    ASSERT_TRUE(registry.ModuleComing(name, testing_util::ModuleBytes(name)).ok());
    ASSERT_TRUE(registry.ModuleLive(name).ok());
  }
};

TEST_F(UnloadTest, PointerStaysValidWhilePinned) {
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  Load(registry, "m");
  UsedBtfs used(registry);
  BtfRef mod = *used.Add("m");
  PointerResolver r;
  RegState reg{};
  MarkBtfId(r, reg, mod, mod->FindByName("m_obj0", BTF_KIND_STRUCT));
  EXPECT_FALSE(registry.ModuleGoing("m").ok());  // pinned: refused
  RegState next{};
  ASSERT_TRUE(StructAccess(r, reg, 16, 8, next).ok());
  EXPECT_EQ(*TypeName(r, next), "struct m_obj1 *");
}

TEST_F(UnloadTest, IdLookupFailsAfterTheModuleWent) {
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  Load(registry, "m");
  RcuIdResolver<IdRegState> r(registry);
  IdRegState reg{};
  {
    BtfRef mod = *registry.TryGetModule("m");
    MarkBtfId(r, reg, mod, mod->FindByName("m_obj0", BTF_KIND_STRUCT));
  }
  ASSERT_TRUE(registry.ModuleGoing("m").ok());
  IdRegState next{};
  absl::Status s = StructAccess(r, reg, 16, 8, next);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("gone"));
  EXPECT_EQ(r.counters().misses, 1);
}

TEST_F(UnloadTest, IdLookupFindsTheWrongObjectWhenIdsAreReused) {
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  Load(registry, "first");
  RcuIdResolver<PackedIdRegState> r(registry);
  PackedIdRegState reg{};
  uint32_t type_id;
  {
    BtfRef mod = *registry.TryGetModule("first");
    type_id = mod->FindByName("first_obj0", BTF_KIND_STRUCT);
    MarkBtfId(r, reg, mod, type_id);
  }
  const uint32_t first_id = reg.btf_obj_id;
  ASSERT_TRUE(registry.ModuleGoing("first").ok());
  registry.SetNextIdForTesting(first_id);  // as a plain idr_alloc would
  Load(registry, "second");  // takes the same id
  auto name = TypeName(r, reg);
  ASSERT_TRUE(name.ok()) << name.status();
  // The same type id now means a type of another module: silently wrong.
  EXPECT_EQ(*name, "struct second_obj0 *");
}

TEST_F(UnloadTest, HandleDetectsTheReusedSlot) {
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  Load(registry, "first");
  HandleResolver r(registry);
  HandleRegState reg{};
  {
    BtfRef mod = *registry.TryGetModule("first");
    MarkBtfId(r, reg, mod, mod->FindByName("first_obj0", BTF_KIND_STRUCT));
  }
  ASSERT_TRUE(registry.ModuleGoing("first").ok());
  Load(registry, "second");
  EXPECT_EQ(registry.TryGetModule("second")->handle().slot, reg.btf_handle.slot);
  auto name = TypeName(r, reg);
  EXPECT_EQ(name.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.counters().misses, 1);
}

}  // namespace
}  // namespace btfreg
