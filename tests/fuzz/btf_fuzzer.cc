// libFuzzer target: load + index + StructWalk over every struct + TypeName
// + layouts and C declarations, on raw BTF, ELF, or split BTF on the bundled
// base. The first input byte picks the mode (odd: split on
// tests/data/mini_vmlinux.btf).
//
// Every query is timed: one that takes longer than the bound (1 s by
// default, BTFREG_FUZZ_SLOW_MS to change it) stops the run, naming the query
// and the type, so that a cost regression is a finding with its input saved,
// not a timeout that depends on the machine's load. In the opt build a query
// on any input this size should take well under 10 ms.
//
// Built two ways: by tests/fuzz/run_fuzzer.sh with libFuzzer (clang,
// -fsanitize=fuzzer), and by Bazel as //tests/fuzz:corpus_replay_test, which
// runs every input of tests/fuzz/corpus/ once through the same function.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "btf/btf.h"
#include "btf/layout.h"

namespace {

const btfreg::Btf* Base() {
  static const btfreg::Btf* base = [] {
    auto b = btfreg::Btf::LoadFile("tests/data/mini_vmlinux.btf");
    if (!b.ok()) __builtin_trap();  // run from the repository root
    return b->release();
  }();
  return base;
}

// The bound on one query, in milliseconds.
int64_t SlowMs() {
  static const int64_t ms = [] {
    const char* env = getenv("BTFREG_FUZZ_SLOW_MS");
    return env != nullptr ? strtoll(env, nullptr, 10) : 1000;
  }();
  return ms;
}

// Runs `query` on type `id`; stops the run if it took longer than the bound.
template <typename Fn>
void Timed(const char* what, uint32_t id, Fn&& query) {
  const auto start = std::chrono::steady_clock::now();
  query();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  if (ms > SlowMs()) {
    fprintf(stderr, "btf_fuzzer: %s of type %u took %lld ms (bound %lld ms)\n",
            what, id, static_cast<long long>(ms), static_cast<long long>(SlowMs()));
    __builtin_trap();
  }
}

void Exercise(const btfreg::Btf& btf) {
  // Bounded work per input: the first 2,000 types.
  const uint32_t end = std::min(btf.type_count(), btf.start_id() + 2000);
  int composites = 0;
  for (uint32_t id = btf.start_id(); id < end; ++id) {
    Timed("TypeName", id, [&] { (void)btf.TypeName(id); });
    (void)btf.ResolvedSize(id);
    (void)btf.Alignment(id);
    (void)btf.SkipModsAndTypedefs(id);
    const std::string name(btf.type_name(id));
    if (!name.empty() && btf.FindByName(name, btf.kind(id)) == 0) __builtin_trap();
    const int kind = btf.kind(id);
    if (!name.empty() && (kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_ENUM)) {
      Timed("CDeclaration", id, [&] { (void)btfreg::CDeclaration(btf, id, true); });
    }
    if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION) continue;
    (void)btf.Members(id);
    if (++composites <= 8) {  // each declaration sets up a btf_dump
      Timed("StructLayout", id, [&] {
        if (auto layout = btfreg::StructLayout(btf, id); layout.ok()) {
          (void)btfreg::LayoutText(btf, *layout);
          (void)btfreg::LayoutJson(btf, *layout);
        }
      });
      Timed("CDeclaration", id, [&] { (void)btfreg::CDeclaration(btf, id, true); });
    }
    const uint32_t size = btf.raw_size(id);
    // 64-bit: a hostile struct may be 4 GiB, and size + 8 must not wrap.
    Timed("StructWalk", id, [&] {
      for (uint64_t off : {uint64_t{0}, uint64_t{size} / 2, size ? uint64_t{size} - 1 : 0,
                           uint64_t{size}, uint64_t{size} + 8}) {
        if (off > UINT32_MAX) continue;
        for (uint32_t len : {1u, 4u, 8u}) {
          auto walk = btf.StructWalk(id, static_cast<uint32_t>(off), len);
          if (walk.ok() && walk->member_offset > size + off) __builtin_trap();
          (void)btf.StructWalkAll(id, static_cast<uint32_t>(off), len);
        }
      }
    });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool split = data[0] & 1;
  absl::Span<const uint8_t> bytes(data + 1, size - 1);
  absl::StatusOr<std::unique_ptr<btfreg::Btf>> btf;
  Timed("load", 0, [&] {
    btf = split ? btfreg::Btf::LoadSplitBytes(bytes, "fuzz", *Base())
                : btfreg::Btf::LoadBytes(bytes, "fuzz");
  });
  if (btf.ok()) Exercise(**btf);
  return 0;
}
