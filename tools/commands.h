// tools/commands.h: the btfreg subcommands and what they share.

#ifndef BTFREG_TOOLS_COMMANDS_H_
#define BTFREG_TOOLS_COMMANDS_H_

#include <string>

#include "absl/status/status.h"

namespace btfreg {

// Each takes the arguments after its name; returns the exit code.
int InfoCommand(int argc, char** argv);
int CompareCommand(int argc, char** argv);
int RaceCommand(int argc, char** argv);

// The running kernel's vmlinux BTF when readable, else the bundled fixture
// (tests/data/mini_vmlinux.btf); `note` says which and why.
std::string DefaultBtfPath(std::string* note);

// Prints "btfreg: <status>" to stderr; returns exit code 1.
int Fail(const absl::Status& status);

}  // namespace btfreg

#endif  // BTFREG_TOOLS_COMMANDS_H_
