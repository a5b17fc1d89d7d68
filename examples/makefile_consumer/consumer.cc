// Uses an installed btfreg: registers a base, a module made of its own
// split BTF, pins it, looks types up through the registry-wide index, and
// walks a struct. Exits 1 on anything unexpected.
#include <cstdio>

#include "btf/layout.h"
#include "registry/registry.h"
#include "verifier_state/ops.h"
#include "verifier_state/resolvers.h"
#include "verifier_state/used_btfs.h"

int main(int argc, char** argv) {
  const char* base_path = argc > 1 ? argv[1] : "/sys/kernel/btf/vmlinux";
  btfreg::Registry registry;
  absl::StatusOr<btfreg::BtfRef> base = registry.RegisterBase(base_path);
  if (!base.ok()) {
    fprintf(stderr, "consumer: %s\n", base.status().ToString().c_str());
    return 1;
  }
  const uint32_t task = (*base)->FindByName("task_struct", BTF_KIND_STRUCT);
  absl::StatusOr<btfreg::Layout> layout = btfreg::StructLayout(**base, task);
  btfreg::RegState reg{};
  btfreg::MarkBtfId(btfreg::PointerResolver(), reg, *base, task);
  absl::StatusOr<std::string> spelled = btfreg::TypeName(btfreg::PointerResolver(), reg);
  const std::vector<btfreg::TypeMatch> found =
      registry.FindTypes("task_struct", BTF_KIND_STRUCT);
  if (task == 0 || !layout.ok() || !spelled.ok() || found.size() != 1) {
    fprintf(stderr, "consumer: task_struct not usable in %s\n", base_path);
    return 1;
  }
  printf("consumer (make + pkg-config): ok: %s, %s is %u bytes in %zu members\n", base_path,
         spelled->c_str(), layout->size, layout->members.size());
  return 0;
}
