// tests/data/bad/ (made by tests/data/make_bad_corpus.py): every malformed
// file is refused with a Status that names the file and says what is wrong.

#include <fstream>
#include <sstream>
#include <string>

#include "btf/btf.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace btfreg {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(BadCorpusTest, EveryFileGetsItsExpectedError) {
  std::ifstream tsv("tests/data/bad/expected.tsv");
  ASSERT_TRUE(tsv.good());
  std::string line;
  int files = 0;
  while (std::getline(tsv, line)) {
    std::istringstream fields(line);
    std::string file, expect;
    std::getline(fields, file, '\t');
    std::getline(fields, expect);
    const std::string path = "tests/data/bad/" + file;
    absl::Status s = Btf::LoadFile(path).status();
    EXPECT_FALSE(s.ok()) << path << " loaded";
    EXPECT_THAT(s.message(), AllOf(HasSubstr(path), HasSubstr(expect))) << path;
    ++files;
  }
  EXPECT_GE(files, 15);
}

}  // namespace
}  // namespace btfreg
