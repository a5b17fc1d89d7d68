// The kernel's own BTF checker as a second opinion: BPF_BTF_LOAD on the same
// bytes. Every input the kernel rejects, btfreg must reject too; every input
// the kernel accepts, btfreg must load. Inputs: the malformed corpus, the
// fixtures, and mutations of the fixture from a fixed seed (BTFREG_SEED picks
// another; tests/many_seeds.sh runs many).
// Skips, with the reason, where the bpf syscall is not allowed (not root,
// or inside Bazel's linux-sandbox: this target is tagged no-sandbox).

#include <bpf/bpf.h>
#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "btf/btf.h"
#include "gtest/gtest.h"
#include "tests/kernel_btf_load.h"

namespace btfreg {
namespace {

std::vector<uint8_t> Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}


class KernelDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string log;
    int err = 0;
    if (!KernelAccepts(Read("tests/data/mini_vmlinux.btf"), &log, &err) &&
        (err == EPERM || err == EACCES || err == ENOSYS)) {
      GTEST_SKIP() << "the bpf syscall is not allowed here (" << strerror(err)
                   << "): run as root outside a sandbox";
    }
  }

  // Compares one input; returns false on a disagreement.
  bool Compare(const std::string& what, const std::vector<uint8_t>& b) {
    if (b.empty()) return true;  // the kernel refuses size 0 with EINVAL too
    std::string log;
    int err = 0;
    const bool kernel = KernelAccepts(b, &log, &err);
    absl::Status ours = Btf::LoadBytes(b, what).status();
    ++compared_;
    kernel_rejects_ += !kernel;
    if (kernel == ours.ok()) return true;
    // Keep the input for replay (bazel-testlogs/.../test.outputs/).
    if (const char* dir = getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
      std::string path = std::string(dir) + "/disagreement-" + std::to_string(compared_) + ".btf";
      std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
    }
    ADD_FAILURE() << what << ": kernel " << (kernel ? "accepts" : "rejects (" + log + ")")
                  << ", btfreg " << (ours.ok() ? "accepts" : ours.ToString());
    return false;
  }

  int compared_ = 0;
  int kernel_rejects_ = 0;
};

TEST_F(KernelDiffTest, CorpusAndFixtures) {
  std::ifstream tsv("tests/data/bad/expected.tsv");
  std::string line;
  while (std::getline(tsv, line)) {
    const std::string file = line.substr(0, line.find('\t'));
    Compare(file, Read("tests/data/bad/" + file));
  }
  const std::vector<uint8_t> src = Read("tests/data/mini_vmlinux.btf");
  Compare("mini_vmlinux.btf", src);
  // Longer headers whose extra bytes are zero, one leaving the types
  // unaligned: the kernel loads them.
  for (uint32_t extra : {1u, 8u}) {
    std::vector<uint8_t> b = src;
    uint32_t len;
    memcpy(&len, &b[4], 4);
    b.insert(b.begin() + len, extra, 0);
    len += extra;
    memcpy(&b[4], &len, 4);
    Compare("mini_vmlinux.btf with " + std::to_string(extra) + " more header bytes", b);
  }
  // The fuzz corpus (tests/fuzz/corpus/): inputs that once found something,
  // the standalone ones (selector byte 0), without the selector.
  int fuzz = 0;
  if (DIR* d = opendir("tests/fuzz/corpus")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::vector<uint8_t> b = Read(std::string("tests/fuzz/corpus/") + e->d_name);
      if (b.empty() || b[0] != 0) continue;
      b.erase(b.begin());
      Compare(std::string("fuzz corpus ") + e->d_name, b);
      ++fuzz;
    }
    closedir(d);
  }
  printf("compared %d inputs (%d from the fuzz corpus); the kernel rejected %d\n", compared_,
         fuzz, kernel_rejects_);
  EXPECT_GT(kernel_rejects_, 10);
  EXPECT_GE(fuzz, 2);
}

TEST_F(KernelDiffTest, MutatedFixture) {
  uint64_t seed = 1;
  if (const char* env = getenv("BTFREG_SEED")) seed = strtoull(env, nullptr, 10);
  printf("BTFREG_SEED=%llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  const std::vector<uint8_t> src = Read("tests/data/mini_vmlinux.btf");
  int disagreements = 0;
  for (int i = 0; i < 600 && disagreements < 10; ++i) {
    std::vector<uint8_t> b = src;
    // One to three edits in the header or types: a flipped bit, or a word
    // set to a small or a large value.
    for (int e = 1 + rng() % 3; e > 0; --e) {
      const size_t at = rng() % (b.size() - 4);
      switch (rng() % 3) {
        case 0: b[at] ^= 1u << (rng() % 8); break;
        case 1: { uint32_t v = rng() % 256; memcpy(&b[at & ~size_t{3}], &v, 4); break; }
        case 2: { uint32_t v = static_cast<uint32_t>(rng()); memcpy(&b[at & ~size_t{3}], &v, 4); break; }
      }
    }
    if (!Compare("mutation " + std::to_string(i), b)) ++disagreements;
  }
  printf("compared %d mutations; the kernel rejected %d\n", compared_, kernel_rejects_);
}

}  // namespace
}  // namespace btfreg
