// tests/pahole_text.h: btfreg's layout text against pahole's, line by line,
// with the differences btfreg makes on purpose named and counted (shared by
// tests/layout_pahole_test on vmlinux and btf/layout_test on the fixture).

#ifndef BTFREG_TESTS_PAHOLE_TEXT_H_
#define BTFREG_TESTS_PAHOLE_TEXT_H_

#include <cstdint>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace btfreg {

// The differences from pahole 1.24's text that btfreg makes on purpose
// (README.md, "Layouts and declarations"), one line at a time. A pahole line
// and ours agree if they are equal, or differ only as one of these says:
//   kAligned      pahole prints an inferred __aligned__ / __packed__ attribute
//                 (BTF does not record alignment), and pads after it
//   kConstArray   an array of const: pahole writes "const const T name[N]"
//   kConstPointer a const pointer "T * const": pahole moves the const to the
//                 front ("const T *"), which C reads as a pointer to const
//   kArrayPointer a pointer to an array "T (*name)[N]": pahole writes "T *"
//   kSignedEnum   a signed enum's negative value: pahole prints it unsigned
//   kConstAnonName a named member of a const anonymous struct: pahole drops
//                 the name ("};")
// For the last five, the offset comment must still agree (and the name, but
// where pahole drops it).
enum Difference { kSame, kAligned, kConstArray, kConstPointer, kArrayPointer, kSignedEnum,
                  kConstAnonName, kOther };
inline const char* const kDifferenceNames[] = {
    "same", "aligned", "const array", "const pointer", "pointer to array", "signed enum",
    "const anonymous struct's name", "other"};

inline std::string CollapseSpaces(const std::string& line) {
  static const std::regex spaces(R"([ \t]+)");
  return std::regex_replace(line, spaces, " ");
}

// What follows the last space before the offset comment: "name;" or
// "name[4];", and the comment itself.
inline std::string NameAndComment(const std::string& line) {
  static const std::regex tail(R"(([A-Za-z_0-9\[\]:]+;)\s*(/\*.*\*/)$)");
  std::smatch m;
  if (!std::regex_search(line, m, tail)) return "<none>";
  return m[1].str() + " " + m[2].str();
}

inline Difference LineDifference(const std::string& want, const std::string& got) {
  if (want == got) return kSame;
  static const std::regex attribute(R"( __attribute__\(\(__(aligned__\(\d+\)|packed__)\)\))");
  static const std::regex before_comment(R"( +/\*)");
  if (std::regex_search(want, attribute)) {
    const std::string w = std::regex_replace(std::regex_replace(want, attribute, ""),
                                             before_comment, " /*");
    if (w == std::regex_replace(got, before_comment, " /*")) return kAligned;
  }
  if (absl::StrContains(want, "const const ") && !absl::StrContains(got, "* const")) {
    std::string w = want;
    w.replace(w.find("const const "), 12, "const ");
    if (CollapseSpaces(w) == CollapseSpaces(got)) return kConstArray;
  }
  if (absl::StrContains(got, "* const") || absl::StrContains(got, "(* const ")) {
    if (NameAndComment(want) == NameAndComment(got) ||
        absl::StrContains(got, "(* const ")) {
      return kConstPointer;
    }
  }
  static const std::regex array_pointer(R"(\(\*([A-Za-z_0-9]+)\)(\[\d+\])+;)");
  std::smatch ap;
  if (std::regex_search(got, ap, array_pointer) &&
      NameAndComment(want).rfind(ap[1].str() + ";", 0) == 0) {
    return kArrayPointer;
  }
  static const std::regex enumerator(R"(^(\t+[A-Za-z_0-9]+ += )(-?\d+),$)");
  std::smatch we, ge;
  if (std::regex_match(want, we, enumerator) && std::regex_match(got, ge, enumerator) &&
      we[1].str() == ge[1].str() && absl::StartsWith(ge[2].str(), "-")) {
    const long long ours = std::stoll(ge[2].str());
    const unsigned long long theirs = std::stoull(we[2].str());
    if (static_cast<uint32_t>(ours) == theirs ||
        static_cast<unsigned long long>(ours) == theirs) {
      return kSignedEnum;
    }
  }
  static const std::regex unnamed_close(R"(^(\t*)\}; (/\*.*\*/)$)");
  static const std::regex named_close(R"(^(\t*)\} [A-Za-z_0-9]+; (/\*.*\*/)$)");
  std::smatch wc, gc;
  if (std::regex_match(want, wc, unnamed_close) && std::regex_match(got, gc, named_close) &&
      wc[1].str() == gc[1].str() && wc[2].str() == gc[2].str()) {
    return kConstAnonName;
  }
  return kOther;
}

// Whether `ours` is pahole's text but for the documented differences;
// counts each line that differs by its kind of difference.
inline bool SameTextButDocumented(const std::string& pahole, const std::string& ours,
                           std::map<Difference, int>& counts, std::string* first_other) {
  std::vector<std::string> want, got;
  for (absl::string_view l : absl::StrSplit(pahole, '\n')) {
    if (!absl::StrContains(l, "forced alignments")) want.emplace_back(l);
  }
  for (absl::string_view l : absl::StrSplit(ours, '\n')) got.emplace_back(l);
  if (want.size() != got.size()) {
    *first_other = absl::StrCat(want.size(), " lines from pahole, ", got.size(), " from btfreg");
    return false;
  }
  bool same = true;
  for (size_t i = 0; i < want.size(); ++i) {
    const Difference d = LineDifference(want[i], got[i]);
    if (d == kSame) continue;
    ++counts[d];
    if (d == kOther && same) {
      *first_other = absl::StrCat("pahole: '", want[i], "'\nbtfreg: '", got[i], "'");
      same = false;
    }
  }
  return same;
}

}  // namespace btfreg

#endif  // BTFREG_TESTS_PAHOLE_TEXT_H_
