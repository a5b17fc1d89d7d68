// libFuzzer target for CO-RE relocation (core/): a BPF object relocated
// against tests/data/mini_vmlinux.btf with the module mini_module.btf.
// The first input byte picks what the rest is:
//   even: the .BTF.ext section of tests/data/core/core_fixture.bpf.o (the
//         object is otherwise intact, so mutations reach the record and
//         access-string checks and the relocation engine);
//   odd:  a whole ELF object.
// Every error must be a Status; nothing may crash, leak or hang.
//
// Built by tests/fuzz/run_fuzzer.sh (FUZZER=core), and by Bazel as
// //tests/fuzz:core_corpus_replay_test, which runs tests/fuzz/core_corpus/.

#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/bpf_object.h"
#include "core/relocate.h"
#include "registry/registry.h"

namespace {

struct Fixture {
  std::vector<uint8_t> elf;
  size_t ext_offset = 0;  // the .BTF.ext section's bytes in `elf`
  size_t ext_size = 0;
  size_t ext_size_field = 0;  // where its section header's sh_size is
  btfreg::Registry registry;
};

// Finds .BTF.ext in the fixture object (a well-formed ELF64 we ship).
const Fixture& Get() {
  static Fixture* f = [] {
    auto* f = new Fixture;
    std::ifstream in("tests/data/core/core_fixture.bpf.o", std::ios::binary);
    f->elf.assign(std::istreambuf_iterator<char>(in), {});
    if (f->elf.size() < sizeof(Elf64_Ehdr)) __builtin_trap();  // run from the repository root
    Elf64_Ehdr eh;
    memcpy(&eh, f->elf.data(), sizeof(eh));
    auto shdr = [&](size_t i) {
      Elf64_Shdr sh;
      memcpy(&sh, f->elf.data() + eh.e_shoff + i * eh.e_shentsize, sizeof(sh));
      return sh;
    };
    const Elf64_Shdr names = shdr(eh.e_shstrndx);
    for (size_t i = 0; i < eh.e_shnum; ++i) {
      const Elf64_Shdr sh = shdr(i);
      if (strcmp(reinterpret_cast<const char*>(f->elf.data() + names.sh_offset + sh.sh_name),
                 ".BTF.ext") == 0) {
        f->ext_offset = sh.sh_offset;
        f->ext_size = sh.sh_size;
        f->ext_size_field = eh.e_shoff + i * eh.e_shentsize + offsetof(Elf64_Shdr, sh_size);
      }
    }
    if (f->ext_size == 0) __builtin_trap();
    if (!f->registry.RegisterBase("tests/data/mini_vmlinux.btf").ok() ||
        !f->registry.ModuleComingFromFile("nf_mini", "tests/data/mini_module.btf").ok() ||
        !f->registry.ModuleLive("nf_mini").ok()) {
      __builtin_trap();
    }
    return f;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Fixture& f = Get();
  std::vector<uint8_t> image;
  if (data[0] & 1) {
    image.assign(data + 1, data + size);
  } else {
    // The input in place of .BTF.ext, its section cut to the input's size.
    image = f.elf;
    const uint64_t n = std::min(size - 1, f.ext_size);
    std::fill(image.begin() + f.ext_offset, image.begin() + f.ext_offset + f.ext_size, 0);
    memcpy(image.data() + f.ext_offset, data + 1, n);
    memcpy(image.data() + f.ext_size_field, &n, sizeof(n));
  }
  auto obj = btfreg::BpfObject::LoadBytes(image, "fuzz.o");
  if (!obj.ok()) return 0;
  btfreg::CoreRelocator relocator(const_cast<btfreg::Registry*>(&f.registry));
  auto results = relocator.Relocate(**obj);
  if (results.ok()) {
    for (const btfreg::CoreResult& r : *results) {
      if (r.relo_index >= (*obj)->ext().core_relo_count()) __builtin_trap();
    }
  }
  return 0;
}
