// CDeclaration against `bpftool btf dump file vmlinux format c`: every
// struct, union, enum and typedef bpftool writes must be written the same,
// character for character (but for the "___N" suffixes a whole-file dump
// gives names that two types share). Skips, saying why,
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

// One top-level declaration of a `format c` dump: bpftool ends each with a
// blank line. Its keyword ("struct", "union", "enum", "typedef") and name,
// or an empty keyword for what is no definition (a forward declaration, the
// header's preprocessor lines).
struct Declaration {
  std::string keyword, name, text;
};

std::vector<Declaration> Declarations(const std::string& all) {
  static const std::regex tagged(R"(^(struct|union|enum) ([A-Za-z_0-9]+) \{)");
  static const std::regex fn_typedef(R"(\(\*([A-Za-z_0-9]+)\)\()");
  static const std::regex last_name(R"(([A-Za-z_0-9]+)(\[[0-9]*\])*;$)");
  std::vector<Declaration> out;
  for (absl::string_view chunk : absl::StrSplit(all, "\n\n")) {
    std::string text(chunk);
    while (!text.empty() && text.front() == '\n') text.erase(0, 1);
    if (text.empty()) continue;
    Declaration d;
    d.text = text + "\n\n";
    std::smatch m;
    if (std::regex_search(text, m, tagged) && m.position(0) == 0) {
      d.keyword = m[1].str();
      d.name = m[2].str();
    } else if (absl::StartsWith(text, "typedef ")) {
      d.keyword = "typedef";
      const std::string last(text.substr(text.rfind('\n') + 1));
      if (std::regex_search(last, m, fn_typedef) && !absl::StrContains(text, "{")) {
        d.name = m[1].str();
      } else if (std::regex_search(last, m, last_name)) {
        d.name = m[1].str();
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

TEST(DumpBpftoolTest, EveryDeclarationMatchesBpftoolFormatC) {
  const std::string path(kVmlinuxPath);
  if (access(path.c_str(), R_OK) != 0) GTEST_SKIP() << path << " is not readable here";
  if (system("bpftool version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "bpftool is not installed (Debian package bpftool)";
  }
  auto btf = Btf::LoadVmlinux(path);
  ASSERT_TRUE(btf.ok()) << btf.status();
  const std::string all = CommandOutput("bpftool btf dump file " + path + " format c");
  ASSERT_FALSE(all.empty());

  std::map<std::string, int> by_keyword;
  int compared = 0, differ = 0, renamed_skipped = 0;
  for (const Declaration& b : Declarations(all)) {
    if (b.keyword.empty() || b.name.empty()) continue;
    const int kind = b.keyword == "struct"   ? BTF_KIND_STRUCT
                     : b.keyword == "union"  ? BTF_KIND_UNION
                     : b.keyword == "enum"   ? BTF_KIND_ENUM
                                             : BTF_KIND_TYPEDEF;
    uint32_t id = (*btf)->FindByName(b.name, kind);
    if (id == 0 && kind == BTF_KIND_ENUM) id = (*btf)->FindByName(b.name, BTF_KIND_ENUM64);
    // bpftool renames a name that two types share ("workspace___4"), in file
    // order; one type's declaration cannot know that numbering.
    if (id == 0 && absl::StrContains(b.name, "___")) {
      ++renamed_skipped;
      continue;
    }
    ASSERT_NE(id, 0u) << b.keyword << " " << b.name;
    absl::StatusOr<std::string> ours = CDeclaration(**btf, id, false);
    ASSERT_TRUE(ours.ok()) << b.name << ": " << ours.status();
    ++compared;
    ++by_keyword[b.keyword];
    // Names inside the declaration that the whole-file dump suffixed.
    static const std::regex renamed(R"(___\d+\b)");
    if (std::regex_replace(*ours, renamed, "") != std::regex_replace(b.text, renamed, "") &&
        ++differ <= 3) {
      ADD_FAILURE() << b.name << ": bpftool writes\n" << b.text << "btfreg writes\n" << *ours;
    }
  }
  printf("compared %d declarations with bpftool's format c (%d structs, %d unions, "
         "%d enums, %d typedefs): %d differ; %d renamed by bpftool for a shared name "
         "left out\n",
         compared, by_keyword["struct"], by_keyword["union"], by_keyword["enum"],
         by_keyword["typedef"], differ, renamed_skipped);
  EXPECT_EQ(differ, 0);
  EXPECT_GE(compared, 1000);
}

}  // namespace
}  // namespace btfreg
