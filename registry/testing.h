// registry/testing.h: shared set-up for registry tests: a registry whose
// base is the checked-in fixture, and generated module BTF for it.

#ifndef BTFREG_REGISTRY_TESTING_H_
#define BTFREG_REGISTRY_TESTING_H_

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "btf/synth.h"
#include "gtest/gtest.h"
#include "registry/registry.h"

namespace btfreg {
namespace testing_util {

inline constexpr char kBasePath[] = "tests/data/mini_vmlinux.btf";

inline std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Module BTF for `name` on the fixture base, with `structs` structs.
inline std::vector<uint8_t> ModuleBytes(const std::string& name,
                                        int structs = 3) {
  static ModuleSynth* synth = [] {
    auto s = ModuleSynth::Create(ReadAll(kBasePath));
    EXPECT_TRUE(s.ok()) << s.status();
    return s->release();
  }();
  auto bytes = synth->Make(name, structs);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return *bytes;
}

}  // namespace testing_util
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_TESTING_H_
