// CDeclaration against `bpftool btf dump file vmlinux format c`: a sample of
// the structs, unions and enums bpftool writes (every 25th, at least 300)
// must be written the same, character for character (but for the "___N"
// suffixes a whole-file dump gives names that two types share). Skips, saying why,
// where bpftool or /sys/kernel/btf/vmlinux is missing; btf/layout_test.cc
// covers the same code on built BTF everywhere.

#include <unistd.h>

#include <cstdio>
#include <map>
#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "btf/btf.h"
#include "btf/layout.h"
#include "tests/tool_output.h"

namespace btfreg {
namespace {

TEST(DumpBpftoolTest, DeclarationsMatchBpftoolFormatC) {
  const std::string path(kVmlinuxPath);
  if (access(path.c_str(), R_OK) != 0) GTEST_SKIP() << path << " is not readable here";
  if (system("bpftool version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "bpftool is not installed (Debian package bpftool)";
  }
  auto btf = Btf::LoadVmlinux(path);
  ASSERT_TRUE(btf.ok()) << btf.status();
  const std::string all = CommandOutput("bpftool btf dump file " + path + " format c");
  ASSERT_FALSE(all.empty());

  // Top-level "struct|union|enum NAME {" ... "};" blocks, in bpftool's order.
  std::vector<TopLevelBlock> blocks = TopLevelBlocks(all, {"struct", "union", "enum"});
  ASSERT_GT(blocks.size(), 1000u);

  int compared = 0, differ = 0;
  for (size_t i = 0; i < blocks.size(); i += 25) {
    const TopLevelBlock& b = blocks[i];
    const int kind = b.keyword == "struct" ? BTF_KIND_STRUCT
                     : b.keyword == "union" ? BTF_KIND_UNION
                                            : BTF_KIND_ENUM;
    uint32_t id = (*btf)->FindByName(b.name, kind);
    if (id == 0 && kind == BTF_KIND_ENUM) id = (*btf)->FindByName(b.name, BTF_KIND_ENUM64);
    // bpftool renames a name that two types share ("workspace___4").
    if (id == 0 && absl::StrContains(b.name, "___")) continue;
    ASSERT_NE(id, 0u) << b.name;
    absl::StatusOr<std::string> ours = CDeclaration(**btf, id, false);
    ASSERT_TRUE(ours.ok()) << ours.status();
    ++compared;
    // A whole-file dump suffixes a name that two types share ("dma_chan___2",
    // numbered in file order); one type's declaration cannot know that
    // numbering, so the suffixes are not compared.
    static const std::regex renamed(R"(___\d+\b)");
    const std::string theirs = b.text + "\n";  // each declaration ends with a blank line
    if (std::regex_replace(*ours, renamed, "") != std::regex_replace(theirs, renamed, "") &&
        ++differ <= 3) {
      ADD_FAILURE() << b.name << ": bpftool writes\n" << theirs << "btfreg writes\n" << *ours;
    }
  }
  printf("compared %d declarations with bpftool's format c: %d differ\n", compared, differ);
  EXPECT_EQ(differ, 0);
  EXPECT_GE(compared, 300);
}

}  // namespace
}  // namespace btfreg
