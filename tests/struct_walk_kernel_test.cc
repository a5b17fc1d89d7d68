// Btf::StructWalk against the running kernel's verifier, access by access.
//
// For each of a few large structs that the kernel hands a BPF program as a
// pointer argument of a raw tracepoint (task_struct of sched_switch, sk_buff
// of kfree_skb, file of file_check_and_advance_wb_err, mm_struct of
// exit_mmap), every offset from 0 to the struct's size
// + 16 and every size in {1, 2, 4, 8} is loaded in a BPF_PROG_TYPE_TRACING
// program:
//     r2 = *(u64 *)(r1 + 8 * arg)       the argument
//     r0 = *(uSIZE *)(r2 + OFF)         the access, once per (OFF, SIZE)
//     r0 = 0; exit
// The verifier's btf_struct_access accepts or refuses each load, and at
// log_level 2 says what r0 became: a scalar, or a pointer to which struct.
// StructWalk, in the mode the running kernel's verifier has
// (WalkMode::kScalarPastMember since this machine's 6.18), must give the same
// verdict and the same result. Loads are batched (64 to a program; a refused
// one ends its program, and the rest go on in the next). Skips, with the
// reason, where the bpf syscall is refused (this target is tagged
// no-sandbox for it).

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "btf/btf.h"
#include "gtest/gtest.h"

namespace btfreg {
namespace {

struct Access {
  uint32_t off;
  uint32_t size;
};

// What the kernel made of one access.
struct KernelVerdict {
  bool accepted = false;
  std::string pointee;  // struct name for a pointer result, "" for a scalar
  std::string error;    // for a refused one, the verifier's complaint
};

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

uint8_t SizeCode(uint32_t size) {
  return size == 1 ? BPF_B : size == 2 ? BPF_H : size == 4 ? BPF_W : BPF_DW;
}

// Where the struct comes from: a tracepoint typedef (a raw tracepoint BTF
// program; the argument index skips the tracepoint's `void *` first) or a
// kernel function (fentry, where the kernel has trampolines), and which
// argument it is.
struct Source {
  const char* struct_name;
  const char* attach;  // "btf_trace_sched_switch" or a FUNC name
  bool tracepoint;
  int arg;
};

class KernelOracle {
 public:
  KernelOracle(const Source& s, const struct btf* vmlinux) : source_(s) {
    attach_id_ = btf__find_by_name_kind(vmlinux, s.attach,
                                        s.tracepoint ? BTF_KIND_TYPEDEF : BTF_KIND_FUNC);
  }
  bool usable() const { return attach_id_ > 0; }

  // Verdicts for every access, in order.
  std::vector<KernelVerdict> Judge(const std::vector<Access>& all, int* programs) {
    std::vector<KernelVerdict> out(all.size());
    size_t next = 0;
    while (next < all.size()) {
      const size_t n = std::min<size_t>(64, all.size() - next);
      ++*programs;
      size_t judged = Run(all, next, n, out);
      next += judged;
    }
    return out;
  }

 private:
  // Loads accesses [first, first + n) as one program; returns how many were
  // judged (all n, or up to and including the first refused).
  size_t Run(const std::vector<Access>& all, size_t first, size_t n,
             std::vector<KernelVerdict>& out) {
    std::vector<bpf_insn> insns;
    insns.push_back(Insn(BPF_LDX | BPF_MEM | BPF_DW, 2, 1, int16_t(8 * source_.arg), 0));
    for (size_t i = 0; i < n; ++i) {
      const Access& a = all[first + i];
      insns.push_back(Insn(BPF_LDX | BPF_MEM | SizeCode(a.size), 0, 2, int16_t(a.off), 0));
    }
    insns.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
    insns.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    static std::vector<char> log(1 << 20);
    log[0] = '\0';
    LIBBPF_OPTS(bpf_prog_load_opts, o);
    o.expected_attach_type = source_.tracepoint ? BPF_TRACE_RAW_TP : BPF_TRACE_FENTRY;
    o.attach_btf_id = static_cast<uint32_t>(attach_id_);
    o.log_buf = log.data();
    o.log_size = static_cast<uint32_t>(log.size());
    o.log_level = 2;
    const int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "walk", "GPL", insns.data(),
                                 insns.size(), &o);
    if (fd >= 0) close(fd);
    // "K: (xx) r0 = *(u32 *)(r2 +OFF)    ; R0=scalar(...) R2=..." for each
    // instruction the verifier got through; instruction K is access K - 1.
    static const std::regex line(R"(^(\d+): \([0-9a-f]+\) r0 = \*\(u\d+ \*\)\(r2 [+-]\d+\)\s*;\s*R0(?:_w)?=(\S+))");
    static const std::regex pointee(R"(ptr_(?:or_null_)?([A-Za-z0-9_]+)\()");
    static const std::regex reached(R"(^(\d+): \()");
    size_t last_insn = 0;
    std::string text(log.data());
    size_t pos = 0;
    std::string last_line;
    while (pos < text.size()) {
      const size_t end = text.find('\n', pos);
      const std::string l = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      pos = end == std::string::npos ? text.size() : end + 1;
      if (!l.empty()) last_line = l;
      std::smatch m;
      if (std::regex_search(l, m, reached)) last_insn = std::max<size_t>(last_insn, std::stoul(m[1]));
      if (!std::regex_search(l, m, line)) continue;
      const size_t k = std::stoul(m[1]);
      if (k < 1 || k > n) continue;
      KernelVerdict& v = out[first + k - 1];
      v.accepted = true;
      std::smatch p;
      const std::string type = m[2].str();
      if (std::regex_search(type, p, pointee)) v.pointee = p[1].str();
    }
    if (fd >= 0) return n;
    // Refused: the last instruction reached is the access that failed.
    if (last_insn < 1 || last_insn > n) {
      // Not an access at all (the argument load?): call all of them refused.
      for (size_t i = 0; i < n; ++i) out[first + i] = {false, "", last_line};
      return n;
    }
    out[first + last_insn - 1] = {false, "", last_line};
    return last_insn;
  }

  Source source_;
  int attach_id_ = -1;
};

// What StructWalk says of one access, in the kernel's terms.
KernelVerdict Ours(const Btf& btf, uint32_t sid, const Access& a) {
  absl::StatusOr<WalkResult> w = btf.StructWalk(sid, a.off, a.size);
  KernelVerdict v;
  if (!w.ok()) {
    v.error = std::string(w.status().message());
    return v;
  }
  v.accepted = true;
  if (w->kind == WalkKind::kPointer) v.pointee = std::string(btf.type_name(w->pointee_id));
  return v;
}

TEST(StructWalkKernelTest, EveryAccessToFourStructsAsTheVerifierDecides) {
  if (access(std::string(kVmlinuxPath).c_str(), R_OK) != 0) {
    GTEST_SKIP() << kVmlinuxPath << " is not readable here";
  }
  auto btf = Btf::LoadVmlinux();
  ASSERT_TRUE(btf.ok()) << btf.status();
  const Source sources[] = {
      {"task_struct", "btf_trace_sched_switch", true, 1},
      {"sk_buff", "btf_trace_kfree_skb", true, 0},
      {"file", "btf_trace_file_check_and_advance_wb_err", true, 0},
      {"mm_struct", "btf_trace_exit_mmap", true, 0},
  };
  // Can a program be loaded at all? ("r0 = 0; exit" as a socket filter.)
  {
    const bpf_insn trivial[] = {Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
                                Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
    const int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "probe", "GPL", trivial, 2,
                                 nullptr);
    if (fd < 0) {
      GTEST_SKIP() << "the bpf syscall is not allowed here (" << strerror(errno)
                   << "): run as root outside a sandbox";
    }
    close(fd);
  }
  int total = 0, agree = 0, programs = 0, accepted = 0, pointers = 0;
  std::map<std::string, int> shown;
  for (const Source& s : sources) {
    const uint32_t sid = (*btf)->FindByName(s.struct_name, BTF_KIND_STRUCT);
    ASSERT_NE(sid, 0u) << s.struct_name;
    KernelOracle oracle(s, (*btf)->libbpf_btf());
    ASSERT_TRUE(oracle.usable()) << s.attach;
    std::vector<Access> all;
    for (uint32_t off = 0; off < (*btf)->raw_size(sid) + 16; ++off) {
      for (uint32_t size : {1u, 2u, 4u, 8u}) all.push_back({off, size});
    }
    std::vector<KernelVerdict> kernel = oracle.Judge(all, &programs);
    int disagree = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      const KernelVerdict ours = Ours(**btf, sid, all[i]);
      ++total;
      accepted += kernel[i].accepted;
      pointers += !kernel[i].pointee.empty();
      if (ours.accepted == kernel[i].accepted && ours.pointee == kernel[i].pointee) {
        ++agree;
        continue;
      }
      if (++disagree <= 5) {
        ADD_FAILURE() << s.struct_name << " at " << all[i].off << " size " << all[i].size
                      << ": kernel "
                      << (kernel[i].accepted ? "accepts (" + (kernel[i].pointee.empty()
                                                                  ? std::string("scalar")
                                                                  : "ptr to " + kernel[i].pointee) + ")"
                                             : "refuses: " + kernel[i].error)
                      << "; StructWalk "
                      << (ours.accepted ? "accepts (" + (ours.pointee.empty()
                                                             ? std::string("scalar")
                                                             : "ptr to " + ours.pointee) + ")"
                                        : "refuses: " + ours.error);
      }
    }
    printf("%s (%u bytes, through %s): %zu accesses, %d disagree\n", s.struct_name,
           (*btf)->raw_size(sid), s.attach, all.size(), disagree);
  }
  printf("compared %d accesses (%d accepted by the kernel, %d of them pointers) in %d "
         "programs: %d agree\n", total, accepted, pointers, programs, agree);
  EXPECT_EQ(agree, total);
  EXPECT_GT(pointers, 100);
}

}  // namespace
}  // namespace btfreg
