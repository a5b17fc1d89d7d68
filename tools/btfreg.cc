// btfreg: the command-line face of the library.
//
//   btfreg compare [--quick|--full]      pointer vs id costs (the main job)
//   btfreg info [--btf FILE] [--json]    what a BTF object holds
//   btfreg race [--duration S] ...       module unload race harness
//   btfreg core OBJ.bpf.o [--json]       CO-RE relocations against the kernel

#include <cstdio>
#include <cstring>
#include <string>

#include "tools/commands.h"

namespace btfreg {

namespace {

constexpr char kUsage[] =
    "usage: btfreg COMMAND [options]\n\n"
    "commands:\n"
    "  compare  pointer vs id lookup costs on a verifier workload (the main job)\n"
    "  info     what a BTF object holds: types by kind, bytes, largest structs;\n"
    "           --kernel: the kernel's BTF objects, as `bpftool btf list`\n"
    "  layout   a struct's layout as pahole prints it (holes, cachelines)\n"
    "  dump     a type's C declaration as `bpftool btf dump format c` writes it\n"
    "  walk     what a load at an offset into a struct gives, as the verifier decides\n"
    "  core     a BPF object's CO-RE relocations, resolved as libbpf resolves them\n"
    "  race     module unload race harness: checks lifetime rules under churn\n\n"
    "`btfreg COMMAND --help` describes each command's options.\n";
}  // namespace

}  // namespace btfreg

int main(int argc, char** argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
    fputs(btfreg::kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  if (command == "info") return btfreg::InfoCommand(argc - 2, argv + 2);
  if (command == "compare") return btfreg::CompareCommand(argc - 2, argv + 2);
  if (command == "race") return btfreg::RaceCommand(argc - 2, argv + 2);
  if (command == "layout") return btfreg::LayoutCommand(argc - 2, argv + 2);
  if (command == "dump") return btfreg::DumpCommand(argc - 2, argv + 2);
  if (command == "walk") return btfreg::WalkCommand(argc - 2, argv + 2);
  if (command == "core") return btfreg::CoreCommand(argc - 2, argv + 2);
  fprintf(stderr, "btfreg: unknown command '%s'\n\n%s", command.c_str(),
          btfreg::kUsage);
  return 2;
}
