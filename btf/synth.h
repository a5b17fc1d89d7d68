// btf/synth.h: generated module BTF, for tests, benchmarks and `btfreg race`.
//
// Makes split BTF that looks like a small kernel module's: structs that embed
// the base's `struct list_head`, point to the base's `task_struct` (when the
// base has them), point to each other, and hold ints, arrays and anonymous
// unions. Sizes vary with `structs`.
//
//   auto synth = ModuleSynth::Create(vmlinux_bytes);
//   std::vector<uint8_t> mod = *(*synth)->Make("mod7", /*structs=*/20);
//   registry.ModuleComing("mod7", mod);
//
// libbpf's btf__add_* on split BTF modifies the base (it builds a string
// index in it), so a ModuleSynth writes against a private copy of the base
// bytes: the output is valid on any Btf loaded from the same bytes.
// Not thread-safe: one ModuleSynth per thread.

#ifndef BTFREG_BTF_SYNTH_H_
#define BTFREG_BTF_SYNTH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

struct btf;

namespace btfreg {

class ModuleSynth {
 public:
  static absl::StatusOr<std::unique_ptr<ModuleSynth>> Create(
      absl::Span<const uint8_t> base_bytes);
  // Reads the base from a file (raw BTF).
  static absl::StatusOr<std::unique_ptr<ModuleSynth>> CreateFromFile(
      absl::string_view path);
  ~ModuleSynth();

  // Split BTF with `structs` structs named "<name>_obj<i>" (i from 0).
  // Struct i has: `struct list_head list` (or a long where the base has no
  // list_head) at 0, `struct <name>_obj<i+1> *next` at 16 (the last points
  // to task_struct, or is void *), `int id` at 24, `char tag[8]` at 28, and a
  // union { u64 raw; struct { u32 lo, hi; } parts; } at 40; size 48.
  absl::StatusOr<std::vector<uint8_t>> Make(absl::string_view name,
                                            int structs);

 private:
  explicit ModuleSynth(struct btf* base) : base_(base) {}
  struct btf* base_;  // private copy, owned
};

}  // namespace btfreg

#endif  // BTFREG_BTF_SYNTH_H_
