// MarkIdentifierStrings (64 bytes at a step) against the byte-at-a-time
// reference: every byte value first and later in a name, names at the
// length limit, and seeded random sections whose strings cross the blocks.
// The seed is printed; another: BTFREG_SEED=<seed>.

#include "btf/identifiers.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace btfreg {
namespace {

// Both marks of `section` (which must end with a NUL), compared.
void ExpectSameMarks(const std::string& section) {
  ASSERT_FALSE(section.empty());
  ASSERT_EQ(section.back(), '\0');
  const auto* s = reinterpret_cast<const unsigned char*>(section.data());
  const uint32_t len = static_cast<uint32_t>(section.size());
  const uint32_t base = 7;  // marks are at base + offset
  std::vector<bool> fast(base + len, false), slow(base + len, false);
  MarkIdentifierStrings(s, len, base, &fast);
  MarkIdentifierStringsBytewise(s, len, base, &slow);
  for (uint32_t i = 0; i < base + len; ++i) {
    ASSERT_EQ(fast[i], slow[i]) << "at offset " << i - base << " of " << len;
  }
}

TEST(IdentifiersTest, TheKernelsRules) {
  EXPECT_TRUE(ValidIdentifier("task_struct"));
  EXPECT_TRUE(ValidIdentifier("_x9"));
  EXPECT_TRUE(ValidIdentifier(".text"));
  EXPECT_TRUE(ValidIdentifier("\xc0\xff"));   // Latin-1 letters
  EXPECT_FALSE(ValidIdentifier("\xd7"));      // the multiplication sign
  EXPECT_FALSE(ValidIdentifier("a\xf7"));     // the division sign
  EXPECT_FALSE(ValidIdentifier("9lives"));
  EXPECT_FALSE(ValidIdentifier(""));
  EXPECT_FALSE(ValidIdentifier(nullptr));
  EXPECT_FALSE(ValidIdentifier("a-b"));
  EXPECT_TRUE(ValidIdentifier(std::string(kNameMax, 'a').c_str()));
  EXPECT_FALSE(ValidIdentifier(std::string(kNameMax + 1, 'a').c_str()));
}

TEST(IdentifiersTest, EveryByteFirstAndLaterAgree) {
  std::string section(1, '\0');
  for (int c = 1; c < 256; ++c) {
    section += static_cast<char>(c);
    section += '\0';
    section += 'a';
    section += static_cast<char>(c);
    section += '\0';
  }
  ExpectSameMarks(section);
  // Each byte value as the only name, so that it also falls on every
  // position of a block.
  for (int shift = 0; shift < 64; ++shift) ExpectSameMarks(std::string(shift, 'x') + section);
}

TEST(IdentifiersTest, NamesAtTheLengthLimitAgree) {
  for (size_t n : {kNameMax - 1, kNameMax, kNameMax + 1, size_t{63}, size_t{64}, size_t{65}}) {
    for (int shift = 0; shift < 70; ++shift) {
      std::string section(shift, '\0');
      section += std::string(n, 'n') + '\0' + "9" + std::string(n, 'n') + '\0';
      ExpectSameMarks(section);
    }
  }
}

TEST(IdentifiersTest, RandomSectionsAgree) {
  uint64_t seed = 1;
  if (const char* env = getenv("BTFREG_SEED")) seed = strtoull(env, nullptr, 10);
  printf("BTFREG_SEED=%llu\n", static_cast<unsigned long long>(seed));
  SCOPED_TRACE("BTFREG_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  // Mostly name characters, with the bytes at the edges of each class.
  const std::string edges = std::string("09_.@[`{/:\x7f\x80\xbf\xc0\xd7\xf7\xff", 17) + '\0';
  for (int round = 0; round < 400; ++round) {
    std::string section;
    const size_t size = 1 + rng() % 3000;
    const int nul_every = 1 + static_cast<int>(rng() % 40);
    while (section.size() < size) {
      const uint64_t r = rng();
      if (r % nul_every == 0) {
        section += '\0';
      } else if (r % 7 == 0) {
        section += edges[(r >> 8) % edges.size()];
      } else if (r % 23 == 0) {
        section += std::string(1 + (r >> 8) % 600, 'q');  // long names
      } else {
        section += static_cast<char>('a' + (r >> 8) % 26);
      }
    }
    section += '\0';
    ExpectSameMarks(section);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace btfreg
