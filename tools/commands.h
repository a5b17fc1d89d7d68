// tools/commands.h: the btfreg subcommands and what they share.

#ifndef BTFREG_TOOLS_COMMANDS_H_
#define BTFREG_TOOLS_COMMANDS_H_

#include <initializer_list>
#include <string>

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "btf/btf.h"
#include "harness/workload.h"

namespace btfreg {

// Each takes the arguments after its name; returns the exit code.
int InfoCommand(int argc, char** argv);
int CompareCommand(int argc, char** argv);
int RaceCommand(int argc, char** argv);
int LayoutCommand(int argc, char** argv);
int DumpCommand(int argc, char** argv);
int WalkCommand(int argc, char** argv);
int CoreCommand(int argc, char** argv);

// The BTF a command reads: `path` (default: VmlinuxOrFixture, whose note
// goes to stderr), split on `base_path` when that is set.
struct LoadedBtf {
  std::unique_ptr<Btf> base;  // outlives `btf`: declared first
  std::unique_ptr<Btf> btf;
};
absl::StatusOr<LoadedBtf> LoadBtfArgs(std::string path, const std::string& base_path);

// Prints "btfreg: <status>" to stderr; returns exit code 1.
int Fail(const absl::Status& status);

// `spec` as a type id: a number, or a name with an optional kind word
// ("union foo"); names are looked up in `kinds` in order (layout.cc).
absl::StatusOr<uint32_t> ResolveTypeSpec(const Btf& btf, const std::string& spec,
                                         std::initializer_list<int> kinds);

}  // namespace btfreg

#endif  // BTFREG_TOOLS_COMMANDS_H_
