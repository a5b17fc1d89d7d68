// tests/tool_output.h: reading what another tool (pahole, bpftool) prints,
// for tests that compare btfreg with it.

#ifndef BTFREG_TESTS_TOOL_OUTPUT_H_
#define BTFREG_TESTS_TOOL_OUTPUT_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace btfreg {

// What `command` writes to stdout ("" if it cannot run).
inline std::string CommandOutput(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
  pclose(p);
  return out;
}

// One top-level C definition: "struct NAME {" (or union, enum) at the start
// of a line, through the line that starts with "}".
struct TopLevelBlock {
  std::string keyword;  // "struct", "union", "enum"
  std::string name;
  std::string text;     // every line, each ending in '\n'
};

inline std::vector<TopLevelBlock> TopLevelBlocks(const std::string& all,
                                                 const std::vector<std::string>& keywords) {
  std::vector<TopLevelBlock> out;
  TopLevelBlock* cur = nullptr;
  for (absl::string_view line : absl::StrSplit(all, '\n')) {
    if (cur == nullptr) {
      for (const std::string& k : keywords) {
        const std::string prefix = k + " ";
        if (absl::StartsWith(line, prefix) && absl::EndsWith(line, " {") &&
            line.size() > prefix.size() + 2) {
          out.push_back({k, std::string(line.substr(prefix.size(), line.size() - prefix.size() - 2)), ""});
          cur = &out.back();
        }
      }
      if (cur == nullptr) continue;
    }
    absl::StrAppend(&cur->text, line, "\n");
    if (absl::StartsWith(line, "}")) cur = nullptr;
  }
  return out;
}

}  // namespace btfreg

#endif  // BTFREG_TESTS_TOOL_OUTPUT_H_
