// CO-RE relocation on the fixtures, with no kernel and no libbpf load: the
// corpus object core_fixture.bpf.o (tests/data/core/) against
// mini_vmlinux.btf and the module mini_module.btf. Values are those of the
// fixture's C layouts (tests/data/mini_vmlinux.c, mini_module.c);
// core_libbpf_test checks the same object against libbpf's own results.
// Then: the candidate rules, a module that goes while its results are held,
// ambiguity, and malformed .BTF.ext and ELF input.

#include <bpf/btf.h>
#include <linux/bpf.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/bpf_object.h"
#include "core/btf_ext.h"
#include "core/relocate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/registry.h"

namespace btfreg {
namespace {

using ::testing::HasSubstr;

constexpr char kObject[] = "tests/data/core/core_fixture.bpf.o";
constexpr char kVmlinux[] = "tests/data/mini_vmlinux.btf";
constexpr char kModule[] = "tests/data/mini_module.btf";

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// The result whose local spec, after the kind, reads `spec` ("struct
// task_struct.pid (0:0 @ offset 0)" is matched by "task_struct.pid "), the
// `nth` of them (the object reads some fields twice).
const CoreResult* Find(const std::vector<CoreResult>& results, uint32_t kind,
                       const std::string& spec, int nth = 0) {
  for (const CoreResult& r : results) {
    if (r.kind == kind && absl::StrContains(r.local_spec, spec) && nth-- == 0) return &r;
  }
  return nullptr;
}

class CoreFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.RegisterBase(kVmlinux).ok());
    ASSERT_TRUE(registry_.ModuleComingFromFile("nf_mini", kModule).ok());
    ASSERT_TRUE(registry_.ModuleLive("nf_mini").ok());
    auto obj = BpfObject::Load(kObject);
    ASSERT_TRUE(obj.ok()) << obj.status();
    obj_ = *std::move(obj);
    relocator_ = std::make_unique<CoreRelocator>(&registry_);
  }
  // Through one relocator: later calls go through its cache.
  std::vector<CoreResult> Relocate() { return Relocate(*obj_); }
  std::vector<CoreResult> Relocate(const BpfObject& obj) {
    auto results = relocator_->Relocate(obj);
    EXPECT_TRUE(results.ok()) << results.status();
    return results.ok() ? *std::move(results) : std::vector<CoreResult>();
  }
  uint64_t New(const std::vector<CoreResult>& rs, uint32_t kind, const std::string& spec,
               int nth = 0) {
    const CoreResult* r = Find(rs, kind, spec, nth);
    EXPECT_NE(r, nullptr) << spec;
    return r != nullptr ? r->new_value : ~0ull;
  }
  Registry registry_;
  std::unique_ptr<BpfObject> obj_;
  std::unique_ptr<CoreRelocator> relocator_;
};

TEST_F(CoreFixtureTest, ReadsTheObject) {
  EXPECT_EQ(obj_->ext().core_relo_count(), 101u);
  EXPECT_FALSE(obj_->ext().func_info.empty());
  EXPECT_FALSE(obj_->ext().line_info.empty());
  ASSERT_EQ(obj_->programs().size(), 4u);
  EXPECT_EQ(obj_->programs()[0].name, "fixture_task");
  EXPECT_EQ(obj_->programs()[0].section, "kprobe/fixture");
}

TEST_F(CoreFixtureTest, FieldOffsetsFollowTheTargetLayout) {
  const std::vector<CoreResult> rs = Relocate();
  ASSERT_EQ(rs.size(), 101u);
  // mini_vmlinux's task_struct: __state 0, stack 8, prio 16, three 1-bit
  // fields at bit 160, tasks 24, mm 40, active_mm 48, pid 56, tgid 60,
  // real_parent 64, parent 72, children 80, name_hint 96, comm 104, the
  // utime union 120, notifier 128, state 136, exit_code 144.
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.pid "), 56u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.tgid "), 60u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.mm "), 40u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.comm[3] "), 107u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.utime "), 120u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.utime_parts.hi "), 124u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.state "), 136u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.exit_code "), 144u);
  // mm_struct: mmap_base 0, task_size 8, mmlist 16, flags 32.
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "mm_struct.mmap_base "), 0u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "mm_struct.flags "), 32u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "mm_struct.mmlist.prev "), 24u);
  // sk_buff's next, prev and dev sit in anonymous unions and structs in
  // the fixture (next 0, prev 8, dev 16: union, struct, union), found by
  // name through them; len
  // is at 88 and protocol at 102.
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "sk_buff.dev "), 16u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "sk_buff.len "), 88u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "sk_buff.protocol "), 102u);
  const CoreResult* dev = Find(rs, BPF_CORE_FIELD_BYTE_OFFSET, "sk_buff.dev ");
  ASSERT_NE(dev, nullptr);
  EXPECT_THAT(dev->target_spec, HasSubstr("sk_buff.dev (0:0:0:2:0 @ offset 16)"));
  // A flexible array's element past its (zero) bound: map_ids at 8, [2] at 16.
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "bpf_prog_aux_mini.map_ids[2] "), 16u);
}

TEST_F(CoreFixtureTest, BitfieldsAndSizes) {
  const std::vector<CoreResult> rs = Relocate();
  // in_execve is bit 2 of the unsigned int at byte 20: a 4-byte load at 20,
  // shifted left 64 - (3 + 0) = 61... as libbpf computes: lshift 64 - 3.
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.in_execve "), 20u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_SIZE, "task_struct.in_execve "), 4u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_LSHIFT_U64, "task_struct.in_execve "), 61u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_RSHIFT_U64, "task_struct.in_execve "), 63u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_LSHIFT_U64, "task_struct.sched_contributes_to_load "), 63u);
  // fclone is 2 bits at bit 2 of the byte at 100.
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "sk_buff.fclone "), 100u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_SIZE, "sk_buff.fclone "), 1u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_LSHIFT_U64, "sk_buff.fclone "), 60u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_RSHIFT_U64, "sk_buff.fclone "), 62u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_SIZE, "task_struct.comm "), 16u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_SIZE, "task_struct.exit_code "), 8u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_SIGNED, "task_struct.pid "), 1u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_SIGNED, "task_struct.state "), 0u);  // an unsigned enum
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_SIZE, "struct task_struct"), 152u);
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_SIZE, "struct list_head"), 16u);
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_SIZE, "typedef pid_t"), 4u);
}

TEST_F(CoreFixtureTest, MissingFieldsTypesAndEnumeratorsAreZeroOrPoisoned) {
  const std::vector<CoreResult> rs = Relocate();
  const CoreResult* exists = Find(rs, BPF_CORE_FIELD_EXISTS, "task_struct.no_such_field ");
  ASSERT_NE(exists, nullptr);
  EXPECT_EQ(exists->new_value, 0u);
  EXPECT_FALSE(exists->poison);
  EXPECT_FALSE(exists->target);
  const CoreResult* read = Find(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.no_such_field ");
  ASSERT_NE(read, nullptr);
  EXPECT_TRUE(read->poison);
  // The flavor task_struct___v2 finds task_struct's __state and prio.
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_EXISTS, "task_struct___v2.__state "), 1u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct___v2.prio "), 16u);
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_EXISTS, "struct no_such_struct"), 0u);
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_ID_TARGET, "struct no_such_struct"), 0u);
  EXPECT_EQ(New(rs, BPF_CORE_ENUMVAL_EXISTS, "TASK_NEW"), 0u);
  EXPECT_EQ(New(rs, BPF_CORE_ENUMVAL_VALUE, "TASK_DEAD"), 64u);
  EXPECT_EQ(New(rs, BPF_CORE_ENUMVAL_VALUE, "PTR_TO_BTF_ID"), 22u);
  const CoreResult* poisoned = Find(rs, BPF_CORE_ENUMVAL_VALUE, "TASK_NEW");
  ASSERT_NE(poisoned, nullptr);
  EXPECT_TRUE(poisoned->poison);
  // Type matches: list_head and pid_t do; task_struct (a field the target
  // lacks) and both enums (an enumerator it lacks) do not.
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_MATCHES, "struct list_head"), 1u);
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_MATCHES, "typedef pid_t"), 1u);
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_MATCHES, "struct task_struct"), 0u);
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_MATCHES, "enum task_state"), 0u);
}

TEST_F(CoreFixtureTest, ModuleTypesComeFromTheModuleAndOutliveItsUnload) {
  std::vector<CoreResult> rs = Relocate();
  const CoreResult* mark = Find(rs, BPF_CORE_FIELD_BYTE_OFFSET, "nf_mini_conn.mark ");
  ASSERT_NE(mark, nullptr);
  ASSERT_TRUE(mark->target);
  EXPECT_EQ(mark->target.name(), "nf_mini");
  EXPECT_TRUE(mark->target.is_module());
  // mini_module's nf_mini_conn: list 0, owner 16, mark 24, zone_id 28,
  // the status/bytes union 32.
  EXPECT_EQ(mark->new_value, 24u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "nf_mini_conn.bytes[2] "), 34u);
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_SIZE, "struct nf_mini_conn"), 40u);
  const uint32_t id = mark->target_type_id;
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_ID_TARGET, "struct nf_mini_conn"), id);
  // The module goes while the results are held: they keep it readable.
  ASSERT_TRUE(registry_.ModuleGoing("nf_mini").ok());
  EXPECT_TRUE(mark->target.going());
  EXPECT_EQ(mark->target->type_name(id), "nf_mini_conn");
  // Relocated again, its types are gone.
  std::vector<CoreResult> after = Relocate();
  EXPECT_EQ(New(after, BPF_CORE_TYPE_EXISTS, "struct nf_mini_conn"), 0u);
  const CoreResult* gone = Find(after, BPF_CORE_FIELD_BYTE_OFFSET, "nf_mini_conn.mark ");
  ASSERT_NE(gone, nullptr);
  EXPECT_TRUE(gone->poison);
}

// libbpf searches modules only for a type vmlinux has no candidate for:
// a module's own task_struct is not used while vmlinux has one.
TEST_F(CoreFixtureTest, VmlinuxCandidatesHideModules) {
  const std::vector<uint8_t> base = ReadFile(kVmlinux);
  struct btf* b = btf__new(base.data(), base.size());
  struct btf* w = btf__new_empty_split(b);
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  btf__add_struct(w, "task_struct", 8);
  btf__add_field(w, "pid", i, 32, 0);
  uint32_t size;
  const uint8_t* raw = static_cast<const uint8_t*>(btf__raw_data(w, &size));
  ASSERT_TRUE(registry_.ModuleComing("other", absl::MakeConstSpan(raw, size)).ok());
  btf__free(w);
  btf__free(b);
  const std::vector<CoreResult> rs = Relocate();
  const CoreResult* pid = Find(rs, BPF_CORE_FIELD_BYTE_OFFSET, "task_struct.pid ");
  ASSERT_NE(pid, nullptr);
  EXPECT_EQ(pid->target.name(), "vmlinux");
  EXPECT_EQ(pid->new_value, 56u);
}

// Everything a result says but the local spec's ids.
std::string TargetSide(const CoreResult& r) {
  return absl::StrCat(r.section, "|", r.program, "|", r.insn, "|", r.kind, "|", r.matched, "|",
                      r.insn_value, "|", r.orig_value, "|", r.new_value, "|", r.poison, "|",
                      r.validate, "|", r.orig_size, "|", r.new_size, "|", r.target_spec, "|",
                      r.target ? r.target.name() : "-", "|", r.target_type_id);
}

TEST_F(CoreFixtureTest, ASecondObjectWithTheSameTypesHitsTheCache) {
  const std::vector<CoreResult> cold = Relocate();
  const CoreCacheStats after_cold = relocator_->Stats();
  // The object reads some fields twice: those hit already.
  EXPECT_LT(after_cold.match_hits, 10);
  EXPECT_GT(after_cold.match_entries, 80u);
  // The same object again: every relocation but TYPE_ID_LOCAL's (which
  // needs no match) comes from the cache, with the same results.
  const std::vector<CoreResult> again = Relocate();
  const CoreCacheStats after_again = relocator_->Stats();
  int local_ids = 0;
  for (const CoreResult& r : cold) local_ids += r.kind == BPF_CORE_TYPE_ID_LOCAL;
  EXPECT_EQ(after_again.match_hits - after_cold.match_hits,
            static_cast<int64_t>(cold.size()) - local_ids);
  EXPECT_EQ(after_again.candidate_misses, after_cold.candidate_misses);
  ASSERT_EQ(again.size(), cold.size());
  for (size_t i = 0; i < cold.size(); ++i) {
    EXPECT_EQ(TargetSide(again[i]), TargetSide(cold[i]));
    EXPECT_EQ(again[i].local_spec, cold[i].local_spec);
  }
  // Another object with the same types under other ids (one more program
  // first): its relocations hit too, and agree with a fresh relocator's.
  auto shifted = BpfObject::Load("tests/data/core/core_fixture_shifted.bpf.o");
  ASSERT_TRUE(shifted.ok()) << shifted.status();
  const std::vector<CoreResult> warm = Relocate(**shifted);
  const CoreCacheStats after_warm = relocator_->Stats();
  EXPECT_EQ(after_warm.match_misses - after_again.match_misses, 1);  // shift_ids.b only
  CoreRelocator fresh(&registry_);
  auto expected = fresh.Relocate(**shifted);
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_EQ(warm.size(), expected->size());
  for (size_t i = 0; i < warm.size(); ++i) {
    EXPECT_EQ(TargetSide(warm[i]), TargetSide((*expected)[i]));
    EXPECT_EQ(warm[i].local_spec, (*expected)[i].local_spec);
  }
}

TEST_F(CoreFixtureTest, ModulesComingAndGoingInvalidateTheCache) {
  // Without the module, its struct is found nowhere; the entries for it
  // searched the modules, and go when a module comes.
  ASSERT_TRUE(registry_.ModuleGoing("nf_mini").ok());
  std::vector<CoreResult> rs = Relocate();
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_EXISTS, "struct nf_mini_conn"), 0u);
  ASSERT_TRUE(registry_.ModuleComingFromFile("nf_mini", kModule).ok());
  EXPECT_GT(relocator_->Stats().invalidations, 0);
  rs = Relocate();
  EXPECT_EQ(New(rs, BPF_CORE_TYPE_EXISTS, "struct nf_mini_conn"), 1u);
  EXPECT_EQ(New(rs, BPF_CORE_FIELD_BYTE_OFFSET, "nf_mini_conn.mark "), 24u);
  // vmlinux's answers stay cached through all of it.
  const int64_t hits = relocator_->Stats().match_hits;
  EXPECT_GT(hits, 0);
}

// Relocations on two threads through one relocator while a third loads
// and unloads the module: each result is one of the two answers, never
// torn (run under TSan and ASan by test.sh).
TEST_F(CoreFixtureTest, RelocatingWhileModulesComeAndGoIsSafe) {
  std::atomic<int> with{0}, without{0}, failed{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      for (int n = 0; n < 40; ++n) {
        auto rs = relocator_->Relocate(*obj_);
        if (!rs.ok()) {
          ++failed;
          continue;
        }
        const uint64_t v = New(*rs, BPF_CORE_TYPE_SIZE, "struct nf_mini_conn");
        if (v == 40) {
          ++with;
        } else if (v == 0) {
          ++without;
        } else {
          ++failed;
        }
      }
    });
  }
  for (int n = 0; n < 20; ++n) {
    ASSERT_TRUE(registry_.ModuleGoing("nf_mini").ok());
    ASSERT_TRUE(registry_.ModuleComingFromFile("nf_mini", kModule).ok());
  }
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(with.load() + without.load(), 80);
  printf("80 relocations of the object: %d with the module, %d without\n", with.load(),
         without.load());
}

// The relocated object: each instruction as libbpf patches it, no CO-RE
// relocation left, every other byte the object's own.
TEST_F(CoreFixtureTest, AppliedObjectHoldsTheNewValues) {
  const std::vector<CoreResult> rs = Relocate();
  auto bytes = ApplyRelocations(*obj_, rs);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_EQ(bytes->size(), obj_->image().size());
  auto applied = BpfObject::LoadBytes(*bytes, "applied.o");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ((*applied)->ext().core_relo_count(), 0u);
  EXPECT_EQ((*applied)->ext().func_info.size(), obj_->ext().func_info.size());
  size_t changed_bytes = 0;
  for (size_t i = 0; i < bytes->size(); ++i) changed_bytes += (*bytes)[i] != obj_->image()[i];
  EXPECT_GT(changed_bytes, 0u);
  for (const CoreResult& r : rs) {
    const struct bpf_insn& insn = (*applied)->Instructions(r.section)[r.insn_off / 8];
    const std::string where = absl::StrCat(r.program, " relo #", r.relo_index);
    if (r.poison) {
      EXPECT_EQ(insn.code, BPF_JMP | BPF_CALL) << where;
      EXPECT_EQ(insn.imm, 195896080) << where;
    } else if (BPF_CLASS(insn.code) == BPF_LDX || BPF_CLASS(insn.code) == BPF_ST ||
               BPF_CLASS(insn.code) == BPF_STX) {
      EXPECT_EQ(static_cast<uint64_t>(insn.off), r.new_value) << where;
    } else if (BPF_CLASS(insn.code) == BPF_LD) {
      EXPECT_EQ(static_cast<uint32_t>(insn.imm), static_cast<uint32_t>(r.new_value)) << where;
    } else {
      EXPECT_EQ(static_cast<uint32_t>(insn.imm), static_cast<uint32_t>(r.new_value)) << where;
    }
  }
  // Relocated again, it has nothing to relocate.
  auto again = relocator_->Relocate(**applied);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->empty());
}

// Two vmlinux candidates that disagree: libbpf's ambiguity error.
TEST(CoreRelocatorTest, AmbiguousCandidatesAreAnError) {
  const std::vector<uint8_t> base = ReadFile(kVmlinux);
  struct btf* w = btf__new(base.data(), base.size());
  const int i = btf__add_int(w, "int", 4, BTF_INT_SIGNED);
  btf__add_struct(w, "task_struct___other", 8);  // a flavor with pid at 4
  btf__add_field(w, "pid", i, 32, 0);
  uint32_t size;
  const uint8_t* raw = static_cast<const uint8_t*>(btf__raw_data(w, &size));
  auto btf = Btf::LoadBytes(absl::MakeConstSpan(raw, size), "vmlinux");
  btf__free(w);
  ASSERT_TRUE(btf.ok()) << btf.status();
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(*std::move(btf)).ok());
  auto obj = BpfObject::Load(kObject);
  ASSERT_TRUE(obj.ok());
  CoreRelocator relocator(&registry);
  auto rs = relocator.Relocate(**obj);
  ASSERT_FALSE(rs.ok());
  EXPECT_THAT(rs.status().message(),
              AllOf(HasSubstr(kObject), HasSubstr("section 'kprobe/fixture' relo #0"),
                    HasSubstr("program 'fixture_task', insn #2"), HasSubstr("ambiguity")));
}

TEST(CoreRelocatorTest, NeedsABase) {
  Registry registry;
  auto obj = BpfObject::Load(kObject);
  ASSERT_TRUE(obj.ok());
  CoreRelocator relocator(&registry);
  auto rs = relocator.Relocate(**obj);
  ASSERT_FALSE(rs.ok());
  EXPECT_THAT(rs.status().message(), HasSubstr("needs a registry with a base"));
}

// Malformed .BTF.ext, made by hand against the object's own .BTF.
class BtfExtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto obj = BpfObject::Load(kObject);
    ASSERT_TRUE(obj.ok());
    obj_ = *std::move(obj);
    // The string offset of the code section's name in the object's .BTF.
    for (uint32_t off = 1; obj_->btf().str(off) != nullptr; ++off) {
      if (strcmp(obj_->btf().str(off), "kprobe/fixture") == 0) {
        sec_name_ = off;
        break;
      }
    }
    ASSERT_NE(sec_name_, 0u);
    relo_ = obj_->ext().core_relos[0].records[0];
  }
  // A .BTF.ext with one core_relo subsection holding `records`.
  std::vector<uint8_t> Ext(const std::vector<CoreRelo>& records, uint32_t record_size = 16,
                           uint32_t name_off = 0) {
    std::vector<uint32_t> w = {0x0001eB9F, 32, 0, 0, 0, 0, 0, 0};  // magic, version 1, hdr_len
    w.push_back(record_size);
    w.push_back(name_off != 0 ? name_off : sec_name_);
    w.push_back(static_cast<uint32_t>(records.size()));
    for (const CoreRelo& r : records) {
      w.insert(w.end(), {r.insn_off, r.type_id, r.access_str_off, r.kind});
      for (uint32_t extra = 16; extra < record_size; extra += 4) w.push_back(0);
    }
    w[7] = static_cast<uint32_t>((w.size() - 8) * 4);  // core_relo_len
    std::vector<uint8_t> out(w.size() * 4);
    memcpy(out.data(), w.data(), out.size());
    return out;
  }
  std::string Error(const std::vector<uint8_t>& bytes) {
    auto ext = ParseBtfExt(bytes, obj_->btf(), "obj.o");
    return ext.ok() ? "" : std::string(ext.status().message());
  }
  std::unique_ptr<BpfObject> obj_;
  uint32_t sec_name_ = 0;
  CoreRelo relo_;
};

TEST_F(BtfExtTest, AWellFormedSectionIsRead) {
  auto ext = ParseBtfExt(Ext({relo_, relo_}), obj_->btf(), "obj.o");
  ASSERT_TRUE(ext.ok()) << ext.status();
  ASSERT_EQ(ext->core_relos.size(), 1u);
  EXPECT_EQ(ext->core_relos[0].name, "kprobe/fixture");
  EXPECT_EQ(ext->core_relos[0].records.size(), 2u);
  // Longer records (a newer compiler) are read by their first fields.
  ext = ParseBtfExt(Ext({relo_}, 24), obj_->btf(), "obj.o");
  ASSERT_TRUE(ext.ok()) << ext.status();
  EXPECT_EQ(ext->core_relos[0].records[0].type_id, relo_.type_id);
  EXPECT_TRUE(ParseBtfExt({}, obj_->btf(), "obj.o").ok());  // none at all
}

TEST_F(BtfExtTest, MalformedSectionsNameTheProblem) {
  std::vector<uint8_t> good = Ext({relo_});
  struct Case {
    std::vector<uint8_t> bytes;
    const char* error;
  };
  std::vector<Case> cases;
  cases.push_back({std::vector<uint8_t>(good.begin(), good.begin() + 10), "header cut short"});
  std::vector<uint8_t> magic = good;
  magic[0] = 0;
  cases.push_back({magic, "bad magic"});
  std::vector<uint8_t> swapped = good;
  std::swap(swapped[0], swapped[1]);
  cases.push_back({swapped, "other byte order"});
  std::vector<uint8_t> version = good;
  version[2] = 2;
  cases.push_back({version, "unsupported version 2"});
  std::vector<uint8_t> hdr = good;
  hdr[4] = 200;
  cases.push_back({hdr, "header length 200"});
  cases.push_back({std::vector<uint8_t>(good.begin(), good.end() - 4), "ends past the section"});
  cases.push_back({Ext({relo_}, 12), "record size 12 is invalid"});
  cases.push_back({Ext({relo_}, 18), "record size 18 is invalid"});
  cases.push_back({Ext({relo_}, 16, 0x7fffff), "section name offset"});
  cases.push_back({Ext({}), "has no records"});
  CoreRelo r = relo_;
  r.insn_off = 3;
  cases.push_back({Ext({r}), "record #0: instruction offset 3 is not a multiple of 8"});
  r = relo_;
  r.type_id = 1u << 20;
  cases.push_back({Ext({relo_, r}), "record #1: access"});
  r = relo_;
  r.kind = 77;
  cases.push_back({Ext({r}), "unknown kind 77"});
  r = relo_;
  r.access_str_off = 0x7fffff;
  cases.push_back({Ext({r}), "access string offset past the strings"});
  r = relo_;
  r.access_str_off = sec_name_;  // "kprobe/fixture" is no access string
  cases.push_back({Ext({r}), "not a list of indexes"});
  for (const Case& c : cases) {
    const std::string e = Error(c.bytes);
    EXPECT_THAT(e, HasSubstr(c.error)) << "expected: " << c.error;
    EXPECT_THAT(e, HasSubstr("obj.o: .BTF.ext"));
  }
}

TEST(BpfObjectTest, MalformedObjectsNameTheProblem) {
  std::vector<uint8_t> bytes = ReadFile(kObject);
  ASSERT_FALSE(bytes.empty());
  EXPECT_FALSE(BpfObject::LoadBytes(std::vector<uint8_t>{1, 2, 3}, "x.o").ok());
  // Every truncation of the object fails cleanly (or, past the sections it
  // reads, succeeds); none crashes (ASan in test.sh).
  int failed = 0;
  for (size_t n = 0; n < bytes.size(); n += 97) {
    auto obj = BpfObject::LoadBytes(absl::MakeConstSpan(bytes.data(), n), "cut.o");
    if (!obj.ok()) {
      ++failed;
      EXPECT_THAT(obj.status().message(), HasSubstr("cut.o"));
    }
  }
  EXPECT_GT(failed, 0);
  EXPECT_FALSE(BpfObject::Load("/nonexistent.o").ok());
}

}  // namespace
}  // namespace btfreg
