// Replays the fuzz corpus through the fuzz target, once each, in an
// ordinary build (no libFuzzer): every input in tests/fuzz/corpus/ (inputs
// that once found something, with their selector byte), and every fixture
// and malformed file as a seed (standalone; the module also split on the
// base), as tests/fuzz/run_fuzzer.sh seeds libFuzzer. A crash, a sanitizer
// report or a query past the target's time bound fails it.

#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<uint8_t> Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> Files(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] == '.' || name.size() < suffix.size() ||
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      out.push_back(dir + "/" + name);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  struct Input {
    std::string what;
    std::vector<uint8_t> bytes;
  };
  std::vector<Input> inputs;
  // With a directory argument (the CO-RE target's corpus): its files only.
  const std::string corpus = argc > 1 ? argv[1] : "tests/fuzz/corpus";
  for (const std::string& f : Files(corpus, "")) inputs.push_back({f, Read(f)});
  const size_t found = inputs.size();
  std::vector<std::string> seeds;
  if (argc > 1) seeds.push_back("(none)");
  if (argc == 1) seeds = Files("tests/data", ".btf");
  if (argc == 1) {
    for (const std::string& f : Files("tests/data", ".o")) seeds.push_back(f);
    for (const std::string& f : Files("tests/data/bad", ".btf")) seeds.push_back(f);
  }
  for (const std::string& f : argc == 1 ? seeds : std::vector<std::string>()) {
    std::vector<uint8_t> b = Read(f);
    b.insert(b.begin(), 0);
    inputs.push_back({f + " (standalone)", std::move(b)});
  }
  if (argc == 1) {
    std::vector<uint8_t> split = Read("tests/data/mini_module.btf");
    split.insert(split.begin(), 1);
    inputs.push_back({"tests/data/mini_module.btf (split)", std::move(split)});
  }
  if (found == 0 || seeds.empty()) {
    fprintf(stderr, "corpus_replay: no corpus found (run from the repository root)\n");
    return 1;
  }
  double slowest = 0;
  std::string slowest_what;
  for (const Input& in : inputs) {
    const auto start = std::chrono::steady_clock::now();
    LLVMFuzzerTestOneInput(in.bytes.data(), in.bytes.size());
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start).count();
    if (ms > slowest) {
      slowest = ms;
      slowest_what = in.what;
    }
  }
  printf("replayed %zu inputs (%zu from %s, %zu seeds); slowest %.1f ms: %s\n", inputs.size(),
         found, corpus.c_str(), inputs.size() - found, slowest, slowest_what.c_str());
  return 0;
}
