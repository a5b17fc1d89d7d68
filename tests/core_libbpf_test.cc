// CO-RE relocation against libbpf 1.1 itself: the corpus in tests/data/core/
// relocated by btfreg (core/relocate.h) and by libbpf's bpf_object__load,
// whose debug log says what it did to each instruction ("prog 'p': relo #3:
// patched insn #12 (LDX/ST/STX) off 8 -> 24", or "substituting insn #12 w/
// invalid insn"). Every relocation must agree: the instruction, the old and
// new value, the load size, and whether it was poisoned.
//
// libbpf relocates before it loads the programs, so a program the verifier
// refuses still has its relocations logged. It needs the bpf syscall (as
// root); where that is refused, each test skips and says why. The same
// objects' results are pinned down without libbpf in core_test.
//
//   core_fixture.bpf.o  against tests/data/mini_vmlinux.btf (libbpf's
//                       btf_custom_path; no modules, as libbpf then)
//   core_kernel.bpf.o   against this machine's kernel: vmlinux and its
//                       modules, from the bpf syscall on both sides

#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/bpf_object.h"
#include "core/relocate.h"
#include "gtest/gtest.h"
#include "registry/kernel_mirror.h"
#include "registry/registry.h"

namespace btfreg {
namespace {

// What libbpf logged for one relocation.
struct Logged {
  int insn = -1;
  bool poison = false;
  unsigned long long old_value = 0, new_value = 0;
  unsigned old_size = 0, new_size = 0;  // from a mem_sz line, if any
};
using Key = std::pair<std::string, int>;  // program, relo #

std::vector<std::string>* g_log = nullptr;

int Capture(enum libbpf_print_level, const char* fmt, va_list args) {
  char line[1024];
  vsnprintf(line, sizeof(line), fmt, args);
  if (g_log != nullptr) g_log->push_back(line);
  return 0;
}

// Each program's instructions as libbpf left them after its load.
using Programs = std::map<std::string, std::vector<struct bpf_insn>>;

// Loads `path` with libbpf (against `custom_btf` if set) and returns its
// relocations, or a reason to skip in `skip`; `programs` gets what it made
// of each program's instructions.
std::map<Key, Logged> LibbpfRelocations(const std::string& path, const std::string& custom_btf,
                                        std::string* skip, Programs* programs = nullptr) {
  std::vector<std::string> log;
  g_log = &log;
  libbpf_print_fn_t old = libbpf_set_print(Capture);
  LIBBPF_OPTS(bpf_object_open_opts, opts,
              .btf_custom_path = custom_btf.empty() ? nullptr : custom_btf.c_str());
  struct bpf_object* obj = bpf_object__open_file(path.c_str(), &opts);
  int err = obj != nullptr ? bpf_object__load(obj) : -1;
  struct bpf_program* prog;
  if (obj != nullptr && programs != nullptr) {
    bpf_object__for_each_program(prog, obj) {
      const struct bpf_insn* insns = bpf_program__insns(prog);
      (*programs)[bpf_program__name(prog)].assign(insns, insns + bpf_program__insn_cnt(prog));
    }
  }
  bpf_object__close(obj);
  libbpf_set_print(old);
  g_log = nullptr;
  std::map<Key, Logged> out;
  for (const std::string& line : log) {
    char prog[256], what[32], field[16];
    int relo, insn;
    unsigned long long a, b;
    unsigned sa, sb;
    if (sscanf(line.c_str(), "libbpf: prog '%255[^']': relo #%d: patched insn #%d (%31[^)]) %15s",
               prog, &relo, &insn, what, field) == 5) {
      Logged& l = out[{prog, relo}];
      l.insn = insn;
      if (std::string(field) == "mem_sz") {
        sscanf(line.c_str(), "%*[^)]) mem_sz %u -> %u", &sa, &sb);
        l.old_size = sa;
        l.new_size = sb;
      } else if (sscanf(line.c_str(), "%*[^)]) %*s %llu -> %llu", &a, &b) == 2) {
        l.old_value = a;
        l.new_value = b;
      }
    } else if (sscanf(line.c_str(), "libbpf: prog '%255[^']': relo #%d: substituting insn #%d",
                      prog, &relo, &insn) == 3) {
      Logged& l = out[{prog, relo}];
      // An LDIMM64's second half is poisoned first: keep the lower index.
      l.insn = l.insn < 0 ? insn : std::min(l.insn, insn);
      l.poison = true;
    }
  }
  if (out.empty()) {
    *skip = absl::StrCat("libbpf relocated nothing (load returned ", err, "); its log:");
    for (size_t i = 0; i < log.size() && i < 8; ++i) absl::StrAppend(skip, "\n  ", log[i]);
  }
  return out;
}

// Compares btfreg's results with libbpf's, relocation by relocation.
void ExpectAgreement(const std::vector<CoreResult>& ours, const std::map<Key, Logged>& theirs) {
  int agreed = 0;
  for (const CoreResult& r : ours) {
    auto it = theirs.find({r.program, static_cast<int>(r.relo_index)});
    if (it == theirs.end()) {
      ADD_FAILURE() << r.program << " relo #" << r.relo_index << ": libbpf logged nothing";
      continue;
    }
    const Logged& l = it->second;
    const std::string where = absl::StrCat(r.program, " relo #", r.relo_index, " ", r.local_spec);
    EXPECT_EQ(r.insn, static_cast<uint32_t>(l.insn)) << where;
    EXPECT_EQ(r.poison, l.poison) << where;
    if (!r.poison && !l.poison) {
      EXPECT_EQ(r.insn_value, l.old_value) << where;
      EXPECT_EQ(r.new_value, l.new_value) << where;
      if (l.old_size != l.new_size) {
        EXPECT_EQ(r.orig_size, l.old_size) << where;
        EXPECT_EQ(r.new_size, l.new_size) << where;
      }
    }
    agreed += !::testing::Test::HasFailure();
  }
  EXPECT_EQ(ours.size(), theirs.size()) << "relocations: btfreg's against libbpf's";
  printf("%zu relocations compared with libbpf 1.1\n", ours.size());
}

// The object btfreg relocates (ApplyRelocations) holds, program by
// program, the instructions libbpf made of it; and libbpf, loading the
// relocated object, has nothing left to relocate.
void ExpectSameInstructions(const BpfObject& obj, const std::vector<CoreResult>& results,
                            const std::string& path, const std::string& custom_btf) {
  std::string skip;
  Programs theirs;
  LibbpfRelocations(path, custom_btf, &skip, &theirs);
  auto bytes = ApplyRelocations(obj, results);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto applied = BpfObject::LoadBytes(*bytes, "applied.o");
  ASSERT_TRUE(applied.ok()) << applied.status();
  int compared = 0;
  for (const BpfObject::Program& p : (*applied)->programs()) {
    auto it = theirs.find(p.name);
    ASSERT_NE(it, theirs.end()) << p.name << ": libbpf has no such program";
    const auto insns = (*applied)->Instructions(p.section).subspan(p.offset / 8, p.size / 8);
    ASSERT_EQ(insns.size(), it->second.size()) << p.name;
    EXPECT_EQ(memcmp(insns.data(), it->second.data(), insns.size() * sizeof(struct bpf_insn)), 0)
        << p.name << ": btfreg's relocated instructions differ from libbpf's";
    compared += static_cast<int>(insns.size());
  }
  printf("%d instructions of the relocated object equal libbpf's\n", compared);
  char tmp[] = "/tmp/core_applied_XXXXXX";
  const int fd = mkstemp(tmp);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, bytes->data(), bytes->size()), static_cast<ssize_t>(bytes->size()));
  close(fd);
  std::map<Key, Logged> again = LibbpfRelocations(tmp, custom_btf, &skip);
  unlink(tmp);
  EXPECT_TRUE(again.empty()) << "libbpf relocated the relocated object again";
}

TEST(CoreLibbpfTest, FixtureObjectAgreesWithLibbpf) {
  const std::string obj_path = "tests/data/core/core_fixture.bpf.o";
  const std::string btf_path = "tests/data/mini_vmlinux.btf";
  std::string skip;
  std::map<Key, Logged> theirs = LibbpfRelocations(obj_path, btf_path, &skip);
  if (theirs.empty()) GTEST_SKIP() << skip;
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(btf_path).ok());
  auto obj = BpfObject::Load(obj_path);
  ASSERT_TRUE(obj.ok()) << obj.status();
  CoreRelocator relocator(&registry);
  auto ours = relocator.Relocate(**obj);
  ASSERT_TRUE(ours.ok()) << ours.status();
  ExpectAgreement(*ours, theirs);
  // Again, through the relocator's cache.
  auto cached = relocator.Relocate(**obj);
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_GT(relocator.Stats().match_hits, 90);
  ExpectAgreement(*cached, theirs);
  ExpectSameInstructions(**obj, *ours, obj_path, btf_path);
}

TEST(CoreLibbpfTest, KernelObjectAgreesWithLibbpfOnThisKernel) {
  struct stat st;
  if (stat("/sys/kernel/btf/vmlinux", &st) != 0) {
    GTEST_SKIP() << "no /sys/kernel/btf/vmlinux: this kernel has no BTF "
                    "(FixtureObjectAgreesWithLibbpf checks the same code)";
  }
  const std::string obj_path = "tests/data/core/core_kernel.bpf.o";
  Registry registry;
  KernelMirror mirror(registry);
  auto sync = mirror.Sync();
  ASSERT_TRUE(sync.ok()) << sync.status();
  auto obj = BpfObject::Load(obj_path);
  ASSERT_TRUE(obj.ok()) << obj.status();
  CoreRelocator relocator(&registry);
  auto ours = relocator.Relocate(**obj);
  ASSERT_TRUE(ours.ok()) << ours.status();
  std::string skip;
  std::map<Key, Logged> theirs = LibbpfRelocations(obj_path, "", &skip);
  if (theirs.empty()) GTEST_SKIP() << skip;
  ExpectAgreement(*ours, theirs);
  auto cached = relocator.Relocate(**obj);
  ASSERT_TRUE(cached.ok()) << cached.status();
  ExpectAgreement(*cached, theirs);
  ExpectSameInstructions(**obj, *ours, obj_path, "");
}

}  // namespace
}  // namespace btfreg
