// Links btfreg as a library: registers a base BTF, looks a type up by id
// and name, and walks it.
#include <cstdio>

#include "registry/registry.h"

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "/sys/kernel/btf/vmlinux";
  btfreg::Registry registry;
  auto base = registry.RegisterBase(path);
  if (!base.ok()) {
    fprintf(stderr, "consumer: %s\n", base.status().ToString().c_str());
    return 1;
  }
  btfreg::BtfRef ref = registry.GetById(base->id());
  uint32_t task = ref->FindByName("task_struct", BTF_KIND_STRUCT);
  auto walk = ref->StructWalk(task, 0, 4);
  if (task == 0 || !walk.ok()) {
    fprintf(stderr, "consumer: task_struct not usable in %s\n", path);
    return 1;
  }
  auto spelled = ref->TypeName(walk->type_id);
  printf("consumer: ok: %s has %u types; task_struct is id %u, %s at offset 0\n",
         path, ref->type_count(), task,
         spelled.ok() ? spelled->c_str() : "?");
  return 0;
}
