// What the commands share (commands.h).

#include <cstdio>
#include <memory>
#include <string>

#include "harness/workload.h"
#include "tools/commands.h"

namespace btfreg {

absl::StatusOr<LoadedBtf> LoadBtfArgs(std::string path, const std::string& base_path) {
  std::string note;
  if (path.empty()) path = VmlinuxOrFixture(&note);
  if (!note.empty()) fprintf(stderr, "btfreg: %s\n", note.c_str());
  LoadedBtf out;
  absl::StatusOr<std::unique_ptr<Btf>> loaded;
  if (!base_path.empty()) {
    absl::StatusOr<std::unique_ptr<Btf>> base = Btf::LoadFile(base_path);
    if (!base.ok()) return base.status();
    out.base = std::move(*base);
    loaded = Btf::LoadSplitFile(path, *out.base);
  } else {
    loaded = Btf::LoadFile(path);
  }
  if (!loaded.ok()) return loaded.status();
  out.btf = std::move(*loaded);
  return out;
}

int Fail(const absl::Status& status) {
  fprintf(stderr, "btfreg: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace btfreg
