// Untrusted input: each malformed file returns a Status that names the file
// and the problem. Run under --config=asan these also prove no crash and no
// leak on the error paths.

#include <bpf/btf.h>
#include <linux/btf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "btf/btf.h"
#include "btf/read_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace btfreg {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The raw bytes of a BTF being built; frees it.
std::vector<uint8_t> BytesOf(struct btf* w) {
  uint32_t size;
  const uint8_t* p = static_cast<const uint8_t*>(btf__raw_data(w, &size));
  std::vector<uint8_t> out(p, p + size);
  btf__free(w);
  return out;
}

std::vector<uint8_t> ValidBtf() {
  struct btf* w = btf__new_empty();
  int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  int s = btf__add_struct(w, "pair", 8);
  btf__add_field(w, "a", i, 0, 0);
  btf__add_field(w, "b", i, 32, 0);
  btf__add_ptr(w, s);
  return BytesOf(w);
}

struct btf_header* Header(std::vector<uint8_t>& b) {
  return reinterpret_cast<struct btf_header*>(b.data());
}

// The 32-bit word `back` bytes before the end of the type section: the last
// type record's fields, counted from its end.
uint32_t* TypeSectionWord(std::vector<uint8_t>& b, size_t back) {
  struct btf_header* h = Header(b);
  return reinterpret_cast<uint32_t*>(b.data() + h->hdr_len + h->type_off +
                                     h->type_len - back);
}

// Writes `bytes` to a file named `name` in the test's temporary directory.
std::string WriteTemp(const std::string& name, const std::vector<uint8_t>& bytes) {
  const char* dir = getenv("TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  FILE* f = fopen(path.c_str(), "wb");
  if (!bytes.empty()) fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
  return path;
}

absl::Status LoadAsFile(const std::string& name, const std::vector<uint8_t>& b) {
  return Btf::LoadFile(WriteTemp(name, b)).status();
}

TEST(BadInputTest, ValidBaselineLoads) {
  EXPECT_TRUE(LoadAsFile("good.btf", ValidBtf()).ok());
}

TEST(BadInputTest, EmptyFile) {
  absl::Status s = LoadAsFile("empty.btf", {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("empty.btf"), HasSubstr("empty input")));
}

TEST(BadInputTest, MissingFile) {
  absl::Status s = Btf::LoadFile("/nonexistent/vmlinux").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent/vmlinux"));
}

// `b` with `extra` more header bytes, the last of them `last`, as a writer
// with a longer struct btf_header would make it.
std::vector<uint8_t> WithLongerHeader(std::vector<uint8_t> b, uint32_t extra, uint8_t last) {
  const uint32_t len = Header(b)->hdr_len;
  b.insert(b.begin() + len, extra, 0);
  b[len + extra - 1] = last;
  Header(b)->hdr_len = len + extra;
  return b;
}

// The kernel accepts a longer header whose extra bytes are zero, even one
// that leaves the type section unaligned (1 extra byte): such BTF reads the
// same as with the plain header (under --config=asan, UBSan checks that no
// btf_type is read unaligned).
TEST(BadInputTest, LongerHeaderWithZeroTailReadsTheSame) {
  for (uint32_t extra : {1u, 4u, 9u}) {
    SCOPED_TRACE(extra);
    auto btf = Btf::LoadBytes(WithLongerHeader(ValidBtf(), extra, 0), "long.btf");
    ASSERT_TRUE(btf.ok()) << btf.status();
    EXPECT_EQ((*btf)->type_count(), 4u);
    const uint32_t pair = (*btf)->FindByName("pair", BTF_KIND_STRUCT);
    ASSERT_EQ(pair, 2u);
    auto members = (*btf)->Members(pair);
    ASSERT_TRUE(members.ok()) << members.status();
    ASSERT_EQ(members->size(), 2u);
    EXPECT_EQ((*members)[1].name, "b");
    EXPECT_EQ((*members)[1].bit_offset, 32u);
    EXPECT_EQ(*(*btf)->TypeName(3), "struct pair *");
  }
}

// ... and rejects one whose extra bytes are not zero (E2BIG, "Unsupported
// btf_header"): they would be fields this reader does not know.
TEST(BadInputTest, LongerHeaderWithUnknownFieldsIsRejected) {
  absl::Status s = LoadAsFile("newer.btf", WithLongerHeader(ValidBtf(), 8, 3));
  EXPECT_THAT(s.message(), AllOf(HasSubstr("newer.btf"), HasSubstr("header length 32: byte 31 is 0x3"),
                                 HasSubstr("must be zero")));
}

TEST(BadInputTest, TruncatedHeader) {
  std::vector<uint8_t> b = ValidBtf();
  b.resize(10);
  absl::Status s = LoadAsFile("short.btf", b);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("short.btf"),
                                 HasSubstr("truncated BTF header")));
}

TEST(BadInputTest, WrongMagic) {
  std::vector<uint8_t> b = ValidBtf();
  b[0] = 0x9f;
  b[1] = 0xec;
  absl::Status s = LoadAsFile("magic.btf", b);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("magic.btf"),
                                 HasSubstr("neither raw BTF")));
}

TEST(BadInputTest, NeitherBtfNorElf) {
  std::string text = "#!/bin/sh\necho this is not BTF\n";
  absl::Status s = LoadAsFile("script.sh", std::vector<uint8_t>(text.begin(), text.end()));
  EXPECT_THAT(s.message(), AllOf(HasSubstr("script.sh"),
                                 HasSubstr("neither raw BTF (magic 0xeb9f) nor an ELF")));
}

TEST(BadInputTest, ElfWithoutBtf) {
  // A minimal ELF header with no sections.
  std::vector<uint8_t> b(64, 0);
  memcpy(b.data(), "\x7f" "ELF\x02\x01\x01", 7);
  absl::Status s = LoadAsFile("nobtf.o", b);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("nobtf.o"));
}

TEST(BadInputTest, StringOffsetPastTheSection) {
  std::vector<uint8_t> b = ValidBtf();
  struct btf_header* h = Header(b);
  // The first type's name_off is the first word of the type section.
  uint32_t* name_off = reinterpret_cast<uint32_t*>(b.data() + h->hdr_len + h->type_off);
  *name_off = 991203;
  absl::Status s = LoadAsFile("names.btf", b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("names.btf"), HasSubstr("type 1"),
                                 HasSubstr("string offset 991203")));
}

TEST(BadInputTest, TypeSectionLongerThanTheFile) {
  std::vector<uint8_t> b = ValidBtf();
  Header(b)->type_len += 4096;
  absl::Status s = LoadAsFile("long.btf", b);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("long.btf"),
                                 HasSubstr("type section ends at")));
}

TEST(BadInputTest, TypeSectionShorterThanItsTypes) {
  // The header claims fewer type bytes than the types need: the last type
  // record is cut off.
  std::vector<uint8_t> b = ValidBtf();
  Header(b)->type_len -= 6;
  absl::Status s = LoadAsFile("cut.btf", b);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cut.btf"));
}

TEST(BadInputTest, StringSectionNotTerminated) {
  std::vector<uint8_t> b = ValidBtf();
  b.back() = 'x';
  absl::Status s = LoadAsFile("unterminated.btf", b);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("unterminated.btf"),
                                 HasSubstr("not NUL-terminated")));
}

TEST(BadInputTest, ReferenceOutOfRange) {
  std::vector<uint8_t> b = ValidBtf();
  // The pointer (type 3) is the last type: its `type` field is the last word
  // of the type section.
  *TypeSectionWord(b, 4) = 77;
  absl::Status s = LoadAsFile("dangling.btf", b);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("dangling.btf"), HasSubstr("type 3"),
                                 HasSubstr("refers to type 77")));
}

TEST(BadInputTest, PointerLoop) {
  std::vector<uint8_t> b = ValidBtf();
  *TypeSectionWord(b, 4) = 3;  // type 3 = pointer to itself
  absl::Status s = LoadAsFile("loop.btf", b);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("loop.btf"), HasSubstr("loop")));
}

TEST(BadInputTest, StructContainingItself) {
  struct btf* w = btf__new_empty();
  int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  int s = btf__add_struct(w, "self", 8);
  btf__add_field(w, "a", i, 0, 0);
  btf__add_field(w, "me", s, 32, 0);
  absl::Status st = LoadAsFile("self.btf", BytesOf(w));
  EXPECT_THAT(st.message(), AllOf(HasSubstr("self.btf"), HasSubstr("loop")));
}

TEST(BadInputTest, MemberPastTheStruct) {
  struct btf* w = btf__new_empty();
  int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  btf__add_struct(w, "small", 4);
  btf__add_field(w, "a", i, 0, 0);
  btf__add_field(w, "b", i, 32, 0);
  absl::Status s = LoadAsFile("overflow.btf", BytesOf(w));
  EXPECT_THAT(s.message(), AllOf(HasSubstr("overflow.btf"),
                                 HasSubstr("ends past the struct's size 4")));
}

TEST(BadInputTest, SplitBtfWithoutItsBase) {
  absl::Status s = Btf::LoadFile("tests/data/mini_module.btf").status();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("mini_module.btf"));
}

TEST(BadInputTest, EveryTruncationIsRejectedCleanly) {
  // Every prefix of a valid file: an error or (never) a crash.
  std::vector<uint8_t> b = ValidBtf();
  for (size_t n = 1; n < b.size(); ++n) {
    std::vector<uint8_t> prefix(b.begin(), b.begin() + n);
    auto loaded = Btf::LoadBytes(prefix, "prefix");
    EXPECT_FALSE(loaded.ok()) << "prefix of " << n << " bytes loaded";
  }
}


TEST(BadInputTest, NestingDeeperThanTheCap) {
  // struct s0 { int x; }; struct s1 { struct s0 a; }; ... 80 deep.
  struct btf* w = btf__new_empty();
  int prev = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  for (int i = 0; i < 80; ++i) {
    std::string name = "s" + std::to_string(i);
    int s = btf__add_struct(w, name.c_str(), 4);
    btf__add_field(w, "a", prev, 0, 0);
    prev = s;
  }
  absl::Status s = LoadAsFile("deep.btf", BytesOf(w));
  EXPECT_THAT(s.message(), AllOf(HasSubstr("deep.btf"), HasSubstr("nests types more than 64")));
}

// Nesting counts through forward references too, where the search enters
// a type with a higher id and finishes it first: n structs, each holding
// the next by value and the last an int, nest n + 1 deep. 64 are refused
// and 63 load.
TEST(BadInputTest, NestingThroughForwardReferences) {
  for (int n : {63, 64}) {
    struct btf* w = btf__new_empty();
    const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);  // 1: 16 bytes
    for (int k = 0; k < n; ++k) {  // id k + 2: 24 bytes, from 16 + 24k
      btf__add_struct(w, ("f" + std::to_string(k)).c_str(), 4);
      btf__add_field(w, "a", i, 0, 0);
    }
    std::vector<uint8_t> b = BytesOf(w);
    const struct btf_header* h = Header(b);
    uint8_t* types = b.data() + h->hdr_len + h->type_off;
    for (int k = 0; k + 1 < n; ++k) {
      const uint32_t next = k + 3;  // the member's type, 16 bytes into the record
      memcpy(types + 16 + 24 * k + 16, &next, 4);
    }
    absl::Status s = LoadAsFile("forward.btf", b);
    if (n == 63) {
      EXPECT_TRUE(s.ok()) << s;
    } else {
      EXPECT_THAT(s.message(), HasSubstr("nests types more than 64"));
    }
  }
}

TEST(BadInputTest, KernelRulesApply) {
  // A typedef without a name, which the kernel's loader rejects.
  struct btf* w = btf__new_empty();
  int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  btf__add_typedef(w, "ok_name", i);
  std::vector<uint8_t> b = BytesOf(w);
  *TypeSectionWord(b, 12) = 0;  // the typedef's name_off
  absl::Status s = LoadAsFile("anon_typedef.btf", b);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("anon_typedef.btf"),
                                 HasSubstr("TYPEDEF has no valid name")));
}


// Found by the fuzzer: the kernel accepts a prototype taking a pointer to
// itself, and libbpf's btf_dump recursed on it until the stack ran out.
TEST(BadInputTest, PrototypeTakingAPointerToItselfHasNoSpelling) {
  struct btf* w = btf__new_empty();
  int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  int proto = btf__add_func_proto(w, i);
  btf__add_func_param(w, "self", proto + 1);
  btf__add_ptr(w, proto);
  auto btf = Btf::LoadBytes(BytesOf(w), "selfref.btf");
  ASSERT_TRUE(btf.ok()) << btf.status();  // as the kernel: it is valid BTF
  auto name = (*btf)->TypeName(proto + 1);
  EXPECT_THAT(name.status().message(), AllOf(HasSubstr("selfref.btf"),
                                             HasSubstr("has no C spelling")));
  EXPECT_EQ(*(*btf)->TypeName(i), "int");
}


// Also found by the fuzzer: btf_dump writes an anonymous struct inline, so
// one that points to itself recursed forever.
TEST(BadInputTest, AnonymousStructPointingToItselfHasNoSpelling) {
  struct btf* w = btf__new_empty();
  int s = btf__add_struct(w, "", 8);
  btf__add_field(w, "next", s + 1, 0, 0);
  btf__add_ptr(w, s);
  auto btf = Btf::LoadBytes(BytesOf(w), "anon_loop.btf");
  ASSERT_TRUE(btf.ok()) << btf.status();
  EXPECT_FALSE((*btf)->TypeName(s).ok());
  EXPECT_FALSE((*btf)->TypeName(s + 1).ok());
  EXPECT_TRUE((*btf)->StructWalk(s, 0, 8).ok());  // only the spelling is refused
}

// What has no spelling makes what writes it out unspellable too: an
// anonymous struct, an array, a pointer or a prototype with such a part,
// but not a typedef or a named struct, which C names rather than writes
// out. And a declarator nests at most kMaxDeclaratorDepth (128) deep: a
// chain of pointers to int is spelled up to its 127th pointer.
TEST(BadInputTest, UnspellablePartsAndDepthPropagate) {
  struct btf* w = btf__new_empty();
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);  // 1
  const int proto = btf__add_func_proto(w, i);              // 2: int (*)(self)
  btf__add_func_param(w, "self", proto + 1);
  const int self = btf__add_ptr(w, proto);                  // 3
  const int anon = btf__add_struct(w, "", 8);               // 4: struct { self f; }
  btf__add_field(w, "f", self, 0, 0);
  const int arr = btf__add_array(w, i, self, 2);            // 5: self[2]
  const int ptr_anon = btf__add_ptr(w, anon);               // 6
  const int td = btf__add_typedef(w, "holder_t", anon);     // 7
  const int named = btf__add_struct(w, "holder", 8);        // 8: struct holder { self f; }
  btf__add_field(w, "f", self, 0, 0);
  const int ok_anon = btf__add_struct(w, "", 4);            // 9: struct { int x; }
  btf__add_field(w, "x", i, 0, 0);
  int ptr = i;
  std::vector<int> chain;  // chain[k]: k + 1 pointers to int
  for (int k = 0; k < 130; ++k) chain.push_back(ptr = btf__add_ptr(w, ptr));
  auto btf = Btf::LoadBytes(BytesOf(w), "parts.btf");  // BytesOf frees w
  ASSERT_TRUE(btf.ok()) << btf.status();
  const Btf& b = **btf;
  // The flags themselves (Unspellable), and what TypeName makes of them.
  for (int id : {proto, self, anon, arr, ptr_anon}) {
    EXPECT_TRUE(b.Unspellable(id)) << "type " << id;
    EXPECT_FALSE(b.TypeName(id).ok()) << "type " << id << " spelled " << *b.TypeName(id);
  }
  for (int id : {i, td, named, ok_anon}) {
    EXPECT_FALSE(b.Unspellable(id)) << "type " << id;
    EXPECT_TRUE(b.TypeName(id).ok()) << "type " << id;
  }
  EXPECT_EQ(*b.TypeName(td), "holder_t");
  EXPECT_EQ(*b.TypeName(named), "struct holder");
  EXPECT_FALSE(b.Unspellable(chain[126]));  // 127 pointers: depth 128
  EXPECT_TRUE(b.TypeName(chain[126]).ok());
  EXPECT_TRUE(b.Unspellable(chain[127]));   // 128 pointers: depth 129
  EXPECT_FALSE(b.TypeName(chain[127]).ok());
  EXPECT_TRUE(b.Unspellable(chain[129]));
}

}  // namespace
}  // namespace btfreg

namespace btfreg {
namespace {

// Identifiers are checked eight bytes at a time where they are plain ASCII
// and byte by byte elsewhere: a bad byte at every position of names up to
// 40 bytes long, and Latin-1 letters (valid, as the kernel's ctype says) and
// the multiplication sign (not a letter) at every position.
TEST(IdentifierTest, EveryPositionIsChecked) {
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (unsigned char bad : {'-', ' ', '\xd7', '\xc5', '9'}) {
        std::string name(len, 'a');
        name[at] = static_cast<char>(bad);
        // Valid: a Latin-1 letter anywhere; a digit but first.
        const bool valid = bad == 0xc5 || (bad == '9' && at > 0);
        struct btf* w = btf__new_empty();
        const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
        btf__add_typedef(w, name.c_str(), i);
        auto loaded = Btf::LoadBytes(BytesOf(w), "names");
        EXPECT_EQ(loaded.ok(), valid) << "'" << name << "': " << loaded.status();
        if (!valid && !loaded.ok()) {
          EXPECT_THAT(loaded.status().message(), HasSubstr("TYPEDEF has no valid name"));
        }
      }
    }
  }
}

// A file whose size changes between fstat and read (one being written):
// what ReadWholeFile sees then is a size fstat gave that the bytes do not
// match, which this test gives it directly.
class ReadWholeFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/read_file_test_XXXXXX";
    fd_ = mkstemp(path);
    ASSERT_GE(fd_, 0);
    path_ = path;
    std::vector<uint8_t> bytes(100, 0x5a);
    ASSERT_EQ(write(fd_, bytes.data(), bytes.size()), 100);
  }
  void TearDown() override {
    close(fd_);
    unlink(path_.c_str());
  }
  absl::StatusOr<std::vector<uint8_t>> ReadFromStart(size_t stat_size) {
    lseek(fd_, 0, SEEK_SET);
    return ReadWholeFile(fd_, path_, stat_size, kMaxBtfBytes);
  }
  int fd_ = -1;
  std::string path_;
};

TEST_F(ReadWholeFileTest, TheSizeFstatGaveIsRead) {
  auto bytes = ReadFromStart(100);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), 100u);
  EXPECT_EQ(bytes->capacity(), 100u);  // no slack, no copy
}

TEST_F(ReadWholeFileTest, AnUnknownSizeIsReadToTheEnd) {
  auto bytes = ReadFromStart(0);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), 100u);
}

TEST_F(ReadWholeFileTest, AFileThatShrankIsAnError) {
  auto bytes = ReadFromStart(200);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bytes.status().message(),
              AllOf(HasSubstr(path_), HasSubstr("changed size while it was read"),
                    HasSubstr("fstat said 200 bytes, then 100 were read")));
}

TEST_F(ReadWholeFileTest, AFileThatGrewIsAnError) {
  auto bytes = ReadFromStart(50);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bytes.status().message(),
              AllOf(HasSubstr(path_), HasSubstr("fstat said 50 bytes, then more than 50")));
}

TEST_F(ReadWholeFileTest, MoreThanTheLimitIsRefusedBeforeReading) {
  auto bytes = ReadFromStart(kMaxBtfBytes + 1);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(bytes.status().message(), HasSubstr("limit for BTF"));
}

}  // namespace
}  // namespace btfreg
