// TypeTable (btf/type_table.h) against libbpf 1.1 over the same bytes, for
// every type: the record, its name, btf__resolve_size, btf__resolve_type
// and btf__pointer_size. On the fixtures (always), the same bytes in the
// other byte order, split module BTF, every ELF .BTF fixture, and the
// running kernel's vmlinux and modules when /sys/kernel/btf is readable
// (skipped with the reason otherwise).

#include <bpf/btf.h>
#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "btf/btf.h"
#include "btf/type_table.h"
#include "gtest/gtest.h"

namespace btfreg {
namespace {

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct LibbpfDeleter {
  void operator()(struct btf* b) const { btf__free(b); }
};
using LibbpfBtf = std::unique_ptr<struct btf, LibbpfDeleter>;

// Every id of `mine` against libbpf's object over the same BTF; `compared`
// counts the ids that agreed.
void CompareWithLibbpf(const TypeTable& mine, const struct btf* theirs, uint32_t& compared) {
  EXPECT_EQ(mine.type_cnt(), btf__type_cnt(theirs));
  EXPECT_EQ(mine.pointer_size(), btf__pointer_size(theirs));
  for (uint32_t id = mine.start_id(); id < mine.type_cnt(); ++id) {
    const struct btf_type* a = mine.type(id);
    const struct btf_type* b = btf__type_by_id(theirs, id);
    ASSERT_NE(a, nullptr) << id;
    ASSERT_NE(b, nullptr) << id;
    const uint32_t size = TypeRecordSize(a);
    ASSERT_NE(size, 0u) << id;
    if (memcmp(a, b, size) != 0) {
      ADD_FAILURE() << "type " << id << ": its record differs from libbpf's";
      return;
    }
    const char* an = mine.str(a->name_off);
    const char* bn = btf__name_by_offset(theirs, b->name_off);
    ASSERT_NE(an, nullptr) << id;
    ASSERT_STREQ(an, bn) << id;
    errno = 0;
    const int64_t want_size = btf__resolve_size(theirs, id);
    ASSERT_EQ(mine.ResolveSize(id), want_size) << "resolve_size of type " << id;
    const int64_t want_type = btf__resolve_type(theirs, id);
    ASSERT_EQ(mine.ResolveType(id), want_type) << "resolve_type of type " << id;
    ++compared;
  }
  // Past the end: nothing, as libbpf.
  EXPECT_EQ(mine.type(mine.type_cnt()), nullptr);
  EXPECT_EQ(btf__type_by_id(theirs, mine.type_cnt()), nullptr);
  EXPECT_EQ(mine.str(mine.str_end()), nullptr);
}

uint32_t ExpectSameAsLibbpf(const TypeTable& mine, const struct btf* theirs) {
  uint32_t compared = 0;
  CompareWithLibbpf(mine, theirs, compared);
  return compared;
}

uint32_t InfoOf(uint32_t kind, uint32_t vlen) { return kind << 24 | vlen; }

TEST(TypeTableTest, EveryFixtureTypeIsLibbpfs) {
  for (const char* path : {"tests/data/mini_vmlinux.btf", "tests/data/layout_shapes.btf"}) {
    SCOPED_TRACE(path);
    const std::vector<uint8_t> raw = ReadAll(path);
    auto mine = TypeTable::Parse(raw, path, nullptr);
    ASSERT_TRUE(mine.ok()) << mine.status();
    LibbpfBtf theirs(btf__new(raw.data(), raw.size()));
    ASSERT_NE(theirs, nullptr);
    EXPECT_GT(ExpectSameAsLibbpf(**mine, theirs.get()), 10u);
  }
}

TEST(TypeTableTest, TheOtherByteOrderIsSwappedIntoACopy) {
  const std::vector<uint8_t> native = ReadAll("tests/data/mini_vmlinux.btf");
  LibbpfBtf swapper(btf__new(native.data(), native.size()));
  ASSERT_NE(swapper, nullptr);
  const enum btf_endianness other =
      btf__endianness(swapper.get()) == BTF_LITTLE_ENDIAN ? BTF_BIG_ENDIAN : BTF_LITTLE_ENDIAN;
  ASSERT_EQ(btf__set_endianness(swapper.get(), other), 0);
  uint32_t size = 0;
  const auto* data = static_cast<const uint8_t*>(btf__raw_data(swapper.get(), &size));
  ASSERT_NE(data, nullptr);
  const std::vector<uint8_t> swapped(data, data + size);
  ASSERT_NE(swapped, native);
  auto mine = TypeTable::Parse(swapped, "swapped", nullptr);
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_TRUE((*mine)->swapped());
  LibbpfBtf theirs(btf__new(swapped.data(), swapped.size()));
  ASSERT_NE(theirs, nullptr);
  EXPECT_GT(ExpectSameAsLibbpf(**mine, theirs.get()), 10u);
  // And it loads as a Btf that answers as the native one does.
  auto a = Btf::LoadBytes(native, "native");
  auto b = Btf::LoadBytes(swapped, "swapped");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*a)->FindByName("task_struct", BTF_KIND_STRUCT),
            (*b)->FindByName("task_struct", BTF_KIND_STRUCT));
  EXPECT_EQ(*(*a)->TypeName(3), *(*b)->TypeName(3));
}

TEST(TypeTableTest, SplitBtfReadsItsBaseBelowItsFirstId) {
  const std::vector<uint8_t> base_raw = ReadAll("tests/data/mini_vmlinux.btf");
  const std::vector<uint8_t> mod_raw = ReadAll("tests/data/mini_module.btf");
  auto base = TypeTable::Parse(base_raw, "base", nullptr);
  ASSERT_TRUE(base.ok()) << base.status();
  auto mod = TypeTable::Parse(mod_raw, "module", base->get());
  ASSERT_TRUE(mod.ok()) << mod.status();
  EXPECT_EQ((*mod)->start_id(), (*base)->type_cnt());
  LibbpfBtf theirs_base(btf__new(base_raw.data(), base_raw.size()));
  ASSERT_NE(theirs_base, nullptr);
  // Debian's libbpf 1.1.2 does not export btf__new_split: through a file.
  char path[] = "/tmp/type_table_test_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, mod_raw.data(), mod_raw.size()), static_cast<ssize_t>(mod_raw.size()));
  close(fd);
  LibbpfBtf theirs(btf__parse_raw_split(path, theirs_base.get()));
  unlink(path);
  ASSERT_NE(theirs, nullptr);
  EXPECT_GT(ExpectSameAsLibbpf(**mod, theirs.get()), 0u);
  // Base ids and strings through the module's table.
  EXPECT_EQ((*mod)->type(1), (*base)->type(1));
  EXPECT_EQ((*mod)->str(1), (*base)->str(1));
}

TEST(TypeTableTest, RecordsThatDoNotFitAreRefused) {
  std::vector<uint8_t> raw = ReadAll("tests/data/mini_vmlinux.btf");
  struct btf_header h;
  memcpy(&h, raw.data(), sizeof(h));
  // The first type's kind becomes 31.
  struct btf_type* first = reinterpret_cast<struct btf_type*>(raw.data() + h.hdr_len + h.type_off);
  const uint32_t saved = first->info;
  first->info = InfoOf(31, 0);
  auto bad_kind = TypeTable::Parse(raw, "mutated", nullptr);
  ASSERT_FALSE(bad_kind.ok());
  EXPECT_EQ(bad_kind.status().message(), "mutated: type 1 has an unknown kind 31");
  // A struct with more members than the section holds.
  first->info = InfoOf(BTF_KIND_STRUCT, 0xffff);
  auto too_long = TypeTable::Parse(raw, "mutated", nullptr);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("runs past the end of the type section"),
            absl::string_view::npos)
      << too_long.status();
  first->info = saved;
  EXPECT_TRUE(TypeTable::Parse(raw, "restored", nullptr).ok());
}

class KernelTypeTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
      GTEST_SKIP() << "/sys/kernel/btf/vmlinux is not readable on this machine "
                   << "(kernel without CONFIG_DEBUG_INFO_BTF?); the fixture tests above ran";
    }
  }
};

TEST_F(KernelTypeTableTest, EveryVmlinuxAndModuleTypeIsLibbpfs) {
  const std::vector<uint8_t> vmlinux = ReadAll("/sys/kernel/btf/vmlinux");
  auto base = TypeTable::Parse(vmlinux, "vmlinux", nullptr);
  ASSERT_TRUE(base.ok()) << base.status();
  LibbpfBtf theirs_base(btf__parse("/sys/kernel/btf/vmlinux", nullptr));
  ASSERT_NE(theirs_base, nullptr);
  const uint32_t compared = ExpectSameAsLibbpf(**base, theirs_base.get());
  EXPECT_GT(compared, 10000u);
  // Every module with BTF, split on it.
  DIR* dir = opendir("/sys/kernel/btf");
  ASSERT_NE(dir, nullptr);
  int modules = 0;
  uint32_t module_types = 0;
  while (struct dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || name == "vmlinux") continue;
    const std::string path = "/sys/kernel/btf/" + name;
    const std::vector<uint8_t> raw = ReadAll(path);
    SCOPED_TRACE(path);
    auto mod = TypeTable::Parse(raw, name, base->get());
    ASSERT_TRUE(mod.ok()) << mod.status();
    LibbpfBtf theirs(btf__parse_split(path.c_str(), theirs_base.get()));
    ASSERT_NE(theirs, nullptr);
    module_types += ExpectSameAsLibbpf(**mod, theirs.get());
    ++modules;
  }
  closedir(dir);
  printf("compared %u vmlinux types and %u types of %d modules\n", compared, module_types,
         modules);
}

}  // namespace
}  // namespace btfreg
