// btf/ on the running kernel's BTF. Every test here skips, with the reason,
// where /sys/kernel/btf/vmlinux is missing; btf/btf_test.cc covers the same
// queries on the checked-in fixture, which always runs.

#include <bpf/btf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <string>

#include "btf/btf.h"
#include "bpf/btf.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace btfreg {
namespace {

class VmlinuxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(std::string(kVmlinuxPath).c_str(), R_OK) != 0) return;
    auto loaded = Btf::LoadVmlinux();
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    vmlinux_ = loaded->release();
  }
  static void TearDownTestSuite() {
    delete vmlinux_;
    vmlinux_ = nullptr;
  }
  void SetUp() override {
    if (vmlinux_ == nullptr) {
      GTEST_SKIP() << kVmlinuxPath << " is not readable on this machine "
                   << "(kernel without CONFIG_DEBUG_INFO_BTF?)";
    }
  }
  static Btf* vmlinux_;
};
Btf* VmlinuxTest::vmlinux_ = nullptr;

TEST_F(VmlinuxTest, FindsTaskStructAndBpfRegState) {
  uint32_t task = vmlinux_->FindByName("task_struct", BTF_KIND_STRUCT);
  ASSERT_NE(task, 0u);
  EXPECT_GT(vmlinux_->raw_size(task), 1000u);
  uint32_t reg = vmlinux_->FindByName("bpf_reg_state", BTF_KIND_STRUCT);
  ASSERT_NE(reg, 0u);
  EXPECT_EQ(*vmlinux_->TypeName(reg), "struct bpf_reg_state");
  EXPECT_GT(vmlinux_->type_count(), 10000u);
}

// sysfs vmlinux is read in place: mapped where the kernel allows it (6.12
// and later), read into one buffer otherwise; a regular file is never mapped.
TEST_F(VmlinuxTest, SysfsIsMappedWhereTheKernelAllowsItAndAFileIsRead) {
  const BtfMemory m = vmlinux_->Memory();
  struct stat st;
  ASSERT_EQ(stat(std::string(kVmlinuxPath).c_str(), &st), 0);
  EXPECT_EQ(m.mapped_bytes + m.raw_bytes, static_cast<size_t>(st.st_size));
  EXPECT_TRUE(m.mapped_bytes == 0 || m.raw_bytes == 0);
  printf("%s: %s\n", std::string(kVmlinuxPath).c_str(),
         m.mapped_bytes != 0 ? "mapped read-only" : "read (this kernel does not map it)");
  // A regular file with the same bytes: read, not mapped.
  char path[] = "/tmp/vmlinux_test_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* in = fopen(std::string(kVmlinuxPath).c_str(), "rb");
  ASSERT_NE(in, nullptr);
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), in)) > 0) ASSERT_EQ(write(fd, buf, n), ssize_t(n));
  fclose(in);
  close(fd);
  auto copy = Btf::LoadFile(path);
  unlink(path);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->Memory().mapped_bytes, 0u);
  EXPECT_EQ((*copy)->Memory().raw_bytes, static_cast<size_t>(st.st_size));
  // The two paths build the same object: every type, name, size and lookup.
  const Btf& a = *vmlinux_;
  const Btf& b = **copy;
  ASSERT_EQ(a.type_count(), b.type_count());
  int differ = 0;
  for (uint32_t id = 1; id < a.type_count() && differ < 5; ++id) {
    const bool same =
        memcmp(a.type(id), b.type(id), sizeof(struct btf_type)) == 0 &&
        a.type_name(id) == b.type_name(id) && a.raw_size(id) == b.raw_size(id) &&
        a.ResolvedSize(id).ok() == b.ResolvedSize(id).ok() &&
        (a.type_name(id).empty() || a.FindByName(a.type_name(id), a.kind(id)) ==
                                        b.FindByName(b.type_name(id), b.kind(id)));
    if (!same) {
      ADD_FAILURE() << "type " << id << " differs between the mapped and the read load";
      ++differ;
    }
  }
}

TEST_F(VmlinuxTest, WalkTaskStructAtPid) {
  uint32_t task = vmlinux_->FindByName("task_struct", BTF_KIND_STRUCT);
  auto members = vmlinux_->Members(task);
  ASSERT_TRUE(members.ok());
  uint32_t pid_off = 0;
  bool found = false;
  for (const Member& m : *members) {
    if (m.name == "pid") {
      pid_off = m.bit_offset / 8;
      found = true;
    }
  }
  ASSERT_TRUE(found);
  auto walk = vmlinux_->StructWalk(task, pid_off, 4);
  ASSERT_TRUE(walk.ok()) << walk.status();
  ASSERT_EQ(walk->path.size(), 1u);
  EXPECT_EQ(walk->path[0].name, "pid");
  EXPECT_EQ(walk->kind, WalkKind::kScalar);
  EXPECT_EQ(vmlinux_->type_name(walk->type_id), "int");
}

TEST_F(VmlinuxTest, WalksThroughPointersToOtherStructs) {
  uint32_t task = vmlinux_->FindByName("task_struct", BTF_KIND_STRUCT);
  auto members = vmlinux_->Members(task);
  for (const Member& m : *members) {
    if (m.name != "mm") continue;
    auto walk = vmlinux_->StructWalk(task, m.bit_offset / 8, 8);
    ASSERT_TRUE(walk.ok()) << walk.status();
    EXPECT_EQ(walk->kind, WalkKind::kPointer);
    EXPECT_EQ(vmlinux_->type_name(walk->pointee_id), "mm_struct");
    return;
  }
  FAIL() << "task_struct has no mm member";
}

TEST_F(VmlinuxTest, IndexAgreesWithLibbpfForEveryNamedType) {
  // libbpf's answer is the first type with the name and kind in id order.
  const struct btf* raw = vmlinux_->libbpf_btf();
  size_t checked = 0;
  for (uint32_t id = 1; id < vmlinux_->type_count(); ++id) {
    const struct btf_type* t = btf__type_by_id(raw, id);
    if (t->name_off == 0) continue;
    std::string name(vmlinux_->type_name(id));
    int kind = btf_kind(t);
    int expected = btf__find_by_name_kind(raw, name.c_str(), kind);
    ASSERT_EQ(vmlinux_->FindByName(name, kind), uint32_t(expected))
        << name << " kind " << KindName(kind);
    ++checked;
  }
  EXPECT_GT(checked, 10000u);
  printf("checked %zu named types against btf__find_by_name_kind\n", checked);
}


// Every sized member of every struct is what a walk at its offset finds
// first: checks StructWalk's member skipping against the member list.
size_t CheckEveryMemberIsFound(const Btf& btf) {
  size_t checked = 0;
  for (uint32_t id = btf.start_id(); id < btf.type_count(); ++id) {
    if (btf.kind(id) != BTF_KIND_STRUCT) continue;
    auto members = btf.Members(id);
    for (size_t i = 0; i < members->size(); ++i) {
      const Member& m = (*members)[i];
      if (m.bitfield_size != 0 || m.bit_offset % 8 != 0) continue;
      auto size = btf.ResolvedSize(m.type_id);
      if (!size.ok() || *size == 0) continue;
      // A later member at the same offset (after zero-sized ones) is not
      // what the kernel finds first; only check the first sized one.
      bool shadowed = false;
      for (size_t j = 0; j < i; ++j) {
        const Member& p = (*members)[j];
        auto psize = btf.ResolvedSize(p.type_id);
        if (p.bitfield_size == 0 && psize.ok() && *psize > 0 &&
            p.bit_offset / 8 + *psize > m.bit_offset / 8) {
          shadowed = true;
        }
      }
      if (shadowed) continue;
      // Read what lies first in the member: a whole pointer, else a byte.
      uint32_t leaf = btf.SkipModsAndTypedefs(m.type_id);
      bool bad_leaf = false;
      for (int depth = 0; depth < 16; ++depth) {
        if (btf.kind(leaf) == BTF_KIND_ARRAY) {
          leaf = btf.SkipModsAndTypedefs(btf_array(btf.type(leaf))->type);
        } else if (btf.kind(leaf) == BTF_KIND_STRUCT || btf.kind(leaf) == BTF_KIND_UNION) {
          auto inner = btf.Members(leaf);
          if (inner->empty() || (*inner)[0].bitfield_size != 0 ||
              (*inner)[0].bit_offset != 0) {
            bad_leaf = true;
            break;
          }
          leaf = btf.SkipModsAndTypedefs((*inner)[0].type_id);
        } else {
          break;
        }
      }
      if (bad_leaf) continue;
      const uint32_t access = btf.kind(leaf) == BTF_KIND_PTR ? 8 : 1;
      auto walk = btf.StructWalk(id, m.bit_offset / 8, access);
      EXPECT_TRUE(walk.ok()) << btf.type_name(id) << "." << m.name << ": "
                             << walk.status();
      if (!walk.ok()) return checked;
      EXPECT_EQ(walk->path[0].member_index, i)
          << btf.type_name(id) << "." << m.name;
      ++checked;
    }
  }
  return checked;
}

TEST_F(VmlinuxTest, AlignmentAgreesWithLibbpfForEveryType) {
  // Btf::Alignment is libbpf's btf__align_of with each struct's answer
  // remembered: the same number for every type (0 where libbpf has none).
  const struct btf* raw = vmlinux_->libbpf_btf();
  size_t checked = 0;
  for (uint32_t id = 1; id < vmlinux_->type_count(); ++id) {
    const int kind = vmlinux_->kind(id);
    if (kind == BTF_KIND_FUNC || kind == BTF_KIND_FUNC_PROTO || kind == BTF_KIND_VAR ||
        kind == BTF_KIND_DATASEC || kind == BTF_KIND_DECL_TAG || kind == BTF_KIND_FWD) {
      EXPECT_FALSE(vmlinux_->Alignment(id).ok()) << id;
      continue;
    }
    const int expected = btf__align_of(raw, id);
    absl::StatusOr<uint32_t> ours = vmlinux_->Alignment(id);
    ASSERT_EQ(ours.ok() ? static_cast<int>(*ours) : 0, expected) << "type " << id;
    ++checked;
  }
  EXPECT_GT(checked, 30000u);
  printf("checked %zu alignments against btf__align_of\n", checked);
}

TEST(StructWalkSkipTest, FixtureMembersAreFoundAtTheirOffsets) {
  auto btf = Btf::LoadFile("tests/data/mini_vmlinux.btf");
  ASSERT_TRUE(btf.ok());
  EXPECT_GT(CheckEveryMemberIsFound(**btf), 50u);
}

TEST_F(VmlinuxTest, EveryMemberIsFoundAtItsOffset) {
  size_t checked = CheckEveryMemberIsFound(*vmlinux_);
  printf("walked to %zu members\n", checked);
  EXPECT_GT(checked, 10000u);
}

}  // namespace
}  // namespace btfreg
