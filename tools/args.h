// tools/args.h: the small argument parser the btfreg subcommands share.
//
//   Args args(argc, argv);            // argv after the subcommand
//   std::string btf = args.Value("--btf", kVmlinuxPath);
//   bool json = args.Flag("--json");
//   if (!args.Finish(usage)) return 2; // unknown flags and stray words
//
// Accepts "--name value" and "--name=value".

#ifndef BTFREG_TOOLS_ARGS_H_
#define BTFREG_TOOLS_ARGS_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace btfreg {

class Args {
 public:
  Args(int argc, char** argv) : words_(argv, argv + argc), used_(argc, false) {}

  bool Flag(absl::string_view name) {
    for (size_t i = 0; i < words_.size(); ++i) {
      if (!used_[i] && words_[i] == name) return used_[i] = true;
    }
    return false;
  }

  std::string Value(absl::string_view name, absl::string_view fallback) {
    const std::string eq = absl::StrCat(name, "=");
    for (size_t i = 0; i < words_.size(); ++i) {
      if (used_[i]) continue;
      if (absl::string_view(words_[i]).substr(0, eq.size()) == eq) {
        used_[i] = true;
        return words_[i].substr(eq.size());
      }
      if (words_[i] == name) {
        used_[i] = true;
        if (i + 1 < words_.size()) {
          used_[i + 1] = true;
          return words_[i + 1];
        }
        error_ = absl::StrCat(name, " needs a value");
      }
    }
    return std::string(fallback);
  }

  long Number(absl::string_view name, long fallback) {
    std::string v = Value(name, "");
    if (v.empty()) return fallback;
    long out;
    if (!absl::SimpleAtoi(v, &out)) {
      error_ = absl::StrCat(name, " takes a number, not '", v, "'");
      return fallback;
    }
    return out;
  }

  // The next unused word that is not a flag, or "".
  std::string Positional() {
    for (size_t i = 0; i < words_.size(); ++i) {
      if (!used_[i] && words_[i].rfind("--", 0) != 0) {
        used_[i] = true;
        return words_[i];
      }
    }
    return "";
  }

  // Reports unknown or malformed arguments with the usage text.
  bool Finish(absl::string_view usage) {
    for (size_t i = 0; i < words_.size() && error_.empty(); ++i) {
      if (!used_[i]) error_ = absl::StrCat("unknown argument '", words_[i], "'");
    }
    if (error_.empty()) return true;
    fprintf(stderr, "btfreg: %s\n\n%.*s", error_.c_str(),
            static_cast<int>(usage.size()), usage.data());
    return false;
  }

 private:
  std::vector<std::string> words_;
  std::vector<bool> used_;
  std::string error_;
};

}  // namespace btfreg

#endif  // BTFREG_TOOLS_ARGS_H_
