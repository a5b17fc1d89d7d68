// btfreg's layouts against pahole's on the running kernel's vmlinux: every
// named struct and union pahole prints is compared by its numbers (member
// offsets, sizes and bit positions, holes, bit holes, the summary lines).
// Skips, saying why, where pahole or /sys/kernel/btf/vmlinux is missing; the
// fixture tests in btf/layout_test.cc always run.
//
// Not compared, by design (see btf/layout.h): pahole's inferred
// `__attribute__((__aligned__(N)))` and its "forced alignments" line.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "btf/btf.h"
#include "btf/layout.h"
#include "tests/pahole_text.h"
#include "tests/tool_output.h"

namespace btfreg {
namespace {

// The numbers of a layout's text, one record per line that has any: the
// offset comment of a member, a hole note, a summary line.
std::vector<std::string> Numbers(const std::string& text) {
  static const std::regex offset_comment(R"(/\*\s*(\d+)(:\s*\d+)?\s+(\d+) \*/$)");
  static const std::regex digits(R"(\d+)");
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string l(line);
    if (absl::StrContains(l, "forced alignments")) continue;
    std::smatch m;
    if (std::regex_search(l, m, offset_comment)) {
      out.push_back(absl::StrCat("member ", m[1].str(), m[2].str(), " ", m[3].str()));
      continue;
    }
    if (!absl::StrContains(l, "/*")) continue;
    std::string rec;
    for (auto it = std::sregex_iterator(l.begin(), l.end(), digits);
         it != std::sregex_iterator(); ++it) {
      absl::StrAppend(&rec, it->str(), " ");
    }
    const size_t open = l.find("/*");
    const size_t colon = l.find_first_of(":0123456789", open);
    out.push_back(absl::StrCat(l.substr(open, colon - open), rec));
  }
  return out;
}

// pahole's text without what it infers about alignment (not reproduced).
std::string WithoutAlignment(const std::string& text) {
  static const std::regex aligned(R"( __attribute__\(\(__aligned__\(\d+\)\)\))");
  static const std::regex packed(R"( __attribute__\(\(__packed__\)\))");
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StrContains(line, "forced alignments")) continue;
    absl::StrAppend(&out, std::regex_replace(std::regex_replace(std::string(line), aligned, ""),
                                             packed, ""), "\n");
  }
  out.pop_back();
  return out;
}

bool HasBitfield(const Layout& l) {
  for (const LayoutMember& m : l.members) {
    if (m.bitfield_size != 0 || (m.nested && HasBitfield(*m.nested))) return true;
  }
  return false;
}

bool HasNestedUnion(const Layout& l) {
  for (const LayoutMember& m : l.members) {
    if (m.nested && (m.nested->is_union || HasNestedUnion(*m.nested))) return true;
  }
  return false;
}

TEST(LayoutPaholeTest, EveryVmlinuxStructAgreesWithPahole) {
  const std::string path(kVmlinuxPath);
  if (access(path.c_str(), R_OK) != 0) GTEST_SKIP() << path << " is not readable here";
  if (system("pahole --version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "pahole is not installed (Debian package dwarves)";
  }
  auto btf = Btf::LoadVmlinux(path);
  ASSERT_TRUE(btf.ok()) << btf.status();
  // Names that two types of the same kind share cannot be matched to
  // pahole's one block: left out.
  std::map<std::pair<int, std::string>, int> seen;
  for (uint32_t id = 1; id < (*btf)->type_count(); ++id) {
    const int kind = (*btf)->kind(id);
    if (kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION) {
      ++seen[{kind, std::string((*btf)->type_name(id))}];
    }
  }
  const std::string all = CommandOutput("pahole " + path + " 2>/dev/null");
  std::vector<TopLevelBlock> blocks = TopLevelBlocks(all, {"struct", "union"});
  ASSERT_GT(blocks.size(), 1000u) << "pahole printed too little";

  int compared = 0, with_bitfields = 0, with_nested_unions = 0, mismatched = 0;
  int identical = 0, text_mismatched = 0, shared_names = 0;
  std::map<Difference, int> differences;
  for (const TopLevelBlock& b : blocks) {
    const int kind = b.keyword == "struct" ? BTF_KIND_STRUCT : BTF_KIND_UNION;
    uint32_t id = (*btf)->FindByName(b.name, kind);
    ASSERT_NE(id, 0u) << b.keyword << " " << b.name;
    if (seen[{kind, b.name}] != 1) {
      // Two types share the name; pahole prints one of them: the one whose
      // text (else numbers) is pahole's is compared.
      ++shared_names;
      bool by_text = false;
      for (uint32_t candidate : (*btf)->OwnTypesNamed(b.name, kind)) {
        absl::StatusOr<Layout> c = StructLayout(**btf, candidate);
        if (!c.ok()) continue;
        const std::string text = LayoutText(**btf, *c);
        std::map<Difference, int> ignored;
        std::string unused;
        if (SameTextButDocumented(b.text, text, ignored, &unused)) {
          id = candidate;
          by_text = true;
        } else if (!by_text && Numbers(text) == Numbers(b.text)) {
          id = candidate;
        }
      }
    }
    absl::StatusOr<Layout> l = StructLayout(**btf, id);
    ASSERT_TRUE(l.ok()) << l.status();
    const std::string ours = LayoutText(**btf, *l);
    ++compared;
    with_bitfields += HasBitfield(*l);
    with_nested_unions += HasNestedUnion(*l);
    std::string other;
    if (SameTextButDocumented(b.text, ours, differences, &other)) {
      ++identical;
    } else {
      if (++text_mismatched <= 5) {
        ADD_FAILURE() << b.keyword << " " << b.name << ": the text differs from pahole's "
                      << "beyond the documented differences:\n" << other;
      }
      if (const char* dir = getenv("BTFREG_LAYOUT_DIFF_DIR")) {
      // For looking at the differences by hand: pahole's and ours, side by side.
      std::ofstream(std::string(dir) + "/" + b.name + ".pahole") << WithoutAlignment(b.text) << "\n";
      std::ofstream(std::string(dir) + "/" + b.name + ".btfreg") << ours << "\n";
      }
    }
    const std::vector<std::string> want = Numbers(b.text), got = Numbers(ours);
    if (want != got) {
      size_t i = 0;
      while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
      if (++mismatched <= 5) {
        ADD_FAILURE() << b.keyword << " " << b.name << ": record " << i << ": pahole '"
                      << (i < want.size() ? want[i] : "(end)") << "', btfreg '"
                      << (i < got.size() ? got[i] : "(end)") << "'\npahole says\n"
                      << b.text << "btfreg says\n" << ours;
      }
    }
  }
  printf("compared %d structs and unions with pahole (%d with bitfields, %d with "
         "nested unions): %d disagree in a number; %d are pahole's text but for the "
         "documented differences, %d are not\n",
         compared, with_bitfields, with_nested_unions, mismatched, identical,
         text_mismatched);
  printf("  of them, %d share their name with another type\n", shared_names);
  for (const auto& [d, n] : differences) {
    printf("  lines that differ as documented, %s: %d\n", kDifferenceNames[d], n);
  }
  EXPECT_EQ(mismatched, 0);
  EXPECT_EQ(text_mismatched, 0);
  EXPECT_GE(compared, 200);
  EXPECT_GE(with_bitfields, 20);
  EXPECT_GE(with_nested_unions, 20);
}

}  // namespace
}  // namespace btfreg
