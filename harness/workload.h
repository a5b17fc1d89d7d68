// harness/workload.h: a realistic verifier workload over real BTF,
// run with any register variant. Shared by benchmarks/ and `btfreg compare`.
//
// A Workload owns a registry holding a base (the running kernel's vmlinux or
// a fixture) and N generated modules, and a fixed, seeded trace of chains:
// mark a register PTR_TO_BTF_ID to a struct (task_struct, sk_buff, file, a
// module's struct, ...), then follow pointer members through StructAccess
// (task_struct -> mm -> ...), ending in a scalar load; every few chains the
// current state is saved and compared with StatesEqual, as pruning does.
//
//   WorkloadOptions o;
//   o.base_path = std::string(kVmlinuxPath);
//   o.modules = 10;
//   absl::StatusOr<std::unique_ptr<Workload>> w = Workload::Create(o);
//   Program<PointerResolver> prog(**w, PointerResolver());
//   RunStats s = prog.Run(/*chains=*/1000);     // s.ops, s.lookups, ...
//
// Under churn (StartChurn) a writer unloads and reloads the trace's modules
// as fast as it can. A Program of the pointer variant pins its modules
// (UsedBtfs), so their unload is refused, as in the kernel; the id and
// handle variants hold only names, so their lookups can find a module gone:
// those are the stale hits, after which the program looks the module up by
// name again.
//
// Thread safety: the Workload (its registry, trace and churn) is shared;
// each thread runs its own Program.

#ifndef BTFREG_HARNESS_WORKLOAD_H_
#define BTFREG_HARNESS_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "registry/registry.h"
#include "sync/mutex.h"
#include "verifier_state/func_state.h"
#include "verifier_state/ops.h"
#include "verifier_state/resolvers.h"
#include "verifier_state/used_btfs.h"

namespace btfreg {

// The bundled base fixture, relative to the runfiles root (or the repo).
inline constexpr char kFixtureBase[] = "tests/data/mini_vmlinux.btf";
// The running kernel's vmlinux when it is readable, else kFixtureBase (from
// the working directory, or the runfiles beside the binary): the base that
// benchmarks and the CLI use unless told otherwise. When it is the fixture,
// `note` (if given) says so and why.
std::string VmlinuxOrFixture(std::string* note = nullptr);

struct WorkloadOptions {
  std::string base_path = std::string(kVmlinuxPath);
  int modules = 10;          // generated modules loaded beside the base
  int structs_per_module = 8;
  // The BPF programs the trace is made of: each uses vmlinux and this many
  // of the modules (a program holds at most UsedBtfs::kMaxUsedBtfs), and
  // together they use every module, as programs loaded on a kernel do.
  int modules_per_program = 4;
  int chains = 512;          // distinct chains in the trace, at least 16 a program
  int max_depth = 4;         // pointer loads per chain, at most
  uint64_t seed = 1;
};

// One step of the trace.
struct Chain {
  int program;               // which program of the trace it belongs to
  int object;                // -1: the base; k: module k (one of its program's)
  uint32_t start_type;
  struct Access {
    int32_t off;
    uint32_t size;
  };
  std::vector<Access> accesses;  // the last one reads a scalar
};

// What a run did. Without churn every variant runs the same trace and does
// the same work: the same chains, ops, lookups and accesses, none skipped
// and none failed (the trace holds only accesses the walk accepts). Under
// churn the id and handle variants find modules gone (stale hits), end
// those chains early and skip the chains of a module that is not there.
struct RunStats {
  int64_t chains = 0;        // chains run to their end or to a stale hit
  int64_t ops = 0;           // marks + accesses + state compares
  int64_t lookups = 0;       // resolutions of a register's BTF object
  int64_t accesses = 0;      // StructAccess calls
  int64_t stale_hits = 0;    // lookups that found the object gone
  int64_t skipped = 0;       // chains not run: their module was not there
  int64_t failed = 0;        // accesses refused for another reason: a bug
};

// The kernel-like id lookup: an idr (std::unordered_map) under a mutex, and
// a reference taken and dropped per use. Kept in step with the registry by
// an observer.
class LockedIdr {
 public:
  explicit LockedIdr(Registry& registry);
  ~LockedIdr();
  // A reference to the object published under `id`, or empty.
  BtfRef Get(uint32_t id);

 private:
  Registry& registry_;
  int observer_;
  Mutex mu_;
  std::unordered_map<uint32_t, BtfRef> map_ ABSL_GUARDED_BY(mu_);
};

template <typename RegT = IdRegState>
class LockedIdResolver : public IdResolverBase<RegT> {
 public:
  static constexpr const char* kName = "id, mutex + map + refcount";
  LockedIdResolver(const Registry& registry, LockedIdr& idr)
      : IdResolverBase<RegT>(registry), idr_(idr) {}
  template <typename Fn>
  bool With(const RegT& reg, Fn&& fn) const {
    return this->CallWithRef(idr_.Get(reg.btf_obj_id), fn);
  }
  template <typename Fn>
  bool WithRef(const RegT& reg, Fn&& fn) const {
    return With(reg, fn);
  }

 private:
  LockedIdr& idr_;
};

class Workload {
 public:
  static absl::StatusOr<std::unique_ptr<Workload>> Create(
      const WorkloadOptions& options);
  ~Workload();

  Registry& registry() { return registry_; }
  LockedIdr& locked_idr() { return *idr_; }
  const std::vector<Chain>& trace() const { return trace_; }
  const std::vector<std::string>& module_names() const { return names_; }
  // The programs of the trace, and the program that uses module k.
  int programs() const { return programs_; }
  int ProgramOf(size_t module) const {
    return static_cast<int>(module) / options_.modules_per_program;
  }
  const WorkloadOptions& options() const { return options_; }
  // What the base is: a path, and whether it is the running kernel's.
  std::string base_description() const;

  // A writer thread unloading and reloading the trace's modules.
  void StartChurn();
  void StopChurn();
  int64_t churn_cycles() const { return churn_cycles_.load(); }
  int64_t churn_refused() const { return churn_refused_.load(); }

 private:
  explicit Workload(const WorkloadOptions& options) : options_(options) {}
  void GenerateTrace(const std::vector<BtfRef>& objects);

  const WorkloadOptions options_;
  Registry registry_;
  std::unique_ptr<LockedIdr> idr_;
  std::vector<std::string> names_;
  std::vector<std::vector<uint8_t>> module_bytes_;
  std::vector<Chain> trace_;
  int programs_ = 1;

  std::thread churn_;
  std::atomic<bool> churn_stop_{false};
  std::atomic<int64_t> churn_cycles_{0};
  std::atomic<int64_t> churn_refused_{0};
};

// One thread's program under verification with register variant R.
template <typename R>
class Program {
 public:
  using Reg = typename R::Reg;
  static constexpr bool kPins = std::is_same<R, PointerResolver>::value;

  Program(Workload& w, R resolver) : w_(w), r_(std::move(resolver)) {
    // One UsedBtfs a program of the trace: the pointer variant pins each
    // program's modules at its load, as BPF_PROG_LOAD does.
    for (int p = 0; p < w.programs(); ++p) {
      used_.push_back(std::make_unique<UsedBtfs>(w.registry()));
    }
    objects_.resize(w.module_names().size() + 1);
    for (size_t k = 0; k <= w.module_names().size(); ++k) Refresh(k);
    saved_.PushFrame(-1, 0);
    cur_.PushFrame(-1, 0);
  }

  // Resolves `n` registers (of kResolveRegs, naming random objects) to their
  // BTF object and reads one field: the bare lookup, without the walk. A
  // register whose object went is marked again from a fresh lookup by name.
  RunStats Resolve(int64_t n) {
    if (resolve_regs_.empty()) PrepareResolve();
    RunStats s;
    const int64_t misses0 = r_.counters().misses;
    uint64_t sink = 0;
    for (int64_t i = 0; i < n; ++i) {
      const size_t at = next_resolve_++ & (kResolveRegs - 1);
      if (!r_.With(resolve_regs_[at], [&](const Btf& btf) { sink += btf.type_count(); })) {
        const size_t k = resolve_objects_[at];
        objects_[k] = BtfRef();
        if (Refresh(k)) MarkBtfId(r_, resolve_regs_[at], objects_[k], 1);
      }
    }
    sink_ += sink;
    s.ops = s.lookups = n;
    s.stale_hits = r_.counters().misses - misses0;
    return s;
  }

  // Runs `n` chains of the trace, continuing where the last call stopped.
  RunStats Run(int64_t n) {
    RunStats s;
    const auto& trace = w_.trace();
    const int64_t lookups0 = r_.counters().lookups;
    const int64_t misses0 = r_.counters().misses;
    for (int64_t i = 0; i < n; ++i) {
      const Chain& c = trace[next_++ % trace.size()];
      const size_t k = static_cast<size_t>(c.object + 1);
      if (!objects_[k] && !Refresh(k)) {  // module going right now
        ++s.skipped;
        continue;
      }
      Reg& reg = cur_.cur().regs[6];
      MarkBtfId(r_, reg, objects_[k], c.start_type);
      ++s.ops;
      for (const Chain::Access& a : c.accesses) {
        absl::Status st = StructAccess(r_, reg, a.off, a.size, reg);
        ++s.ops;
        ++s.accesses;
        if (st.ok()) continue;
        if (st.code() == absl::StatusCode::kFailedPrecondition) {
          objects_[k] = BtfRef();  // gone: look it up by name next time
        } else {
          ++s.failed;
        }
        break;
      }
      if ((next_ & 7) == 0) {
        s.ops += 1;
        if (!StatesEqual(r_, saved_, cur_)) saved_ = cur_;
      }
      ++s.chains;
    }
    s.lookups = r_.counters().lookups - lookups0;
    s.stale_hits = r_.counters().misses - misses0;
    return s;
  }

  const R& resolver() const { return r_; }
  // Bytes of one verifier state (one frame, 8 stack slots) of this layout.
  static size_t StateBytes() {
    VerifierState<Reg> st;
    st.PushFrame(-1, 0).stack.resize(8);
    return st.bytes();
  }

 private:
  // (Re)acquires object k: the pointer variant through UsedBtfs (a pin);
  // the others by name, holding the reference only to encode registers.
  bool Refresh(size_t k) {
    const std::string name = k == 0 ? "vmlinux" : w_.module_names()[k - 1];
    if (kPins) {
      // The base is every program's; a module, its program's.
      auto ref = used_[k == 0 ? 0 : w_.ProgramOf(k - 1)]->Add(name);
      objects_[k] = ref.ok() ? *ref : BtfRef();
    } else {
      objects_[k] = k == 0 ? w_.registry().base() : w_.registry().GetByName(name);
    }
    return static_cast<bool>(objects_[k]);
  }

  static constexpr size_t kResolveRegs = 4096;
  void PrepareResolve() {
    uint64_t x = 88172645463325252ull;
    resolve_regs_.resize(kResolveRegs);
    for (size_t i = 0; i < kResolveRegs; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t k = x % objects_.size();
      if (!objects_[k] && !Refresh(k)) k = 0;
      resolve_objects_.push_back(k);
      MarkBtfId(r_, resolve_regs_[i], objects_[k], 1);
    }
  }

  Workload& w_;
  R r_;
  std::vector<std::unique_ptr<UsedBtfs>> used_;  // by program
  std::vector<Reg> resolve_regs_;
  std::vector<size_t> resolve_objects_;
  size_t next_resolve_ = 0;
  uint64_t sink_ = 0;  // keeps the resolved reads alive
  std::vector<BtfRef> objects_;
  VerifierState<Reg> saved_, cur_;
  uint64_t next_ = 0;
};

// The register variants, for callers that pick one at run time.
enum class Variant {
  kPointer,      // RegState + PointerResolver
  kRcuId,        // IdRegState + RcuIdResolver
  kRcuIdPacked,  // PackedIdRegState + RcuIdResolver
  kRefcountId,   // IdRegState + RefcountIdResolver (btf_get_by_id-like)
  kLockedId,     // IdRegState + LockedIdResolver (mutex + map + refcount)
  kHandle,       // HandleRegState + HandleResolver
};
inline constexpr Variant kAllVariants[] = {
    Variant::kPointer,    Variant::kRcuId,    Variant::kRcuIdPacked,
    Variant::kRefcountId, Variant::kLockedId, Variant::kHandle};

const char* VariantName(Variant v);   // "pointer + id", ...
const char* VariantKey(Variant v);    // "pointer", "rcu_id", ...: for flags
size_t RegBytes(Variant v);           // sizeof the register layout
size_t StateBytes(Variant v);         // one frame with 8 stack slots

// A Program of some variant behind one virtual call per batch.
class Runner {
 public:
  virtual ~Runner() = default;
  virtual RunStats Run(int64_t chains) = 0;
  virtual RunStats Resolve(int64_t n) = 0;
};
std::unique_ptr<Runner> MakeRunner(Workload& w, Variant v);

// What becomes of a register of variant `v` when its module unloads and
// another loads, found by doing it on a fresh registry over `base_path`
// (whose ids are reused, as a plain idr would, when `reuse_ids`): "stays
// valid (pinned)", "not found", "wrong object" or "detected".
std::string UnloadOutcome(Variant v, const std::string& base_path,
                          bool reuse_ids);

}  // namespace btfreg

#endif  // BTFREG_HARNESS_WORKLOAD_H_
