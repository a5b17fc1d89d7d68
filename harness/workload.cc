#include "harness/workload.h"

#include <unistd.h>

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "btf/synth.h"

namespace btfreg {

std::string VmlinuxOrFixture(std::string* note) {
  if (access(std::string(kVmlinuxPath).c_str(), R_OK) == 0) {
    return std::string(kVmlinuxPath);
  }
  std::string path = kFixtureBase;
  // The fixture ships in the runfiles: the working directory of `bazel run`
  // and `bazel test`; a binary run by hand finds them beside itself.
  if (access(path.c_str(), R_OK) != 0) {
    char exe[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) path = absl::StrCat(absl::string_view(exe, n), ".runfiles/btfreg/", kFixtureBase);
  }
  if (note != nullptr) {
    *note = absl::StrCat(kVmlinuxPath, " is not readable here; using the bundled fixture ",
                         kFixtureBase);
  }
  return path;
}

LockedIdr::LockedIdr(Registry& registry) : registry_(registry) {
  // Seed with what is published now, then follow the changes.
  {
    MutexLock l(mu_);
    for (BtfRef& ref : registry.Snapshot()) {
      const uint32_t id = ref.id();
      map_[id] = std::move(ref);
    }
  }
  observer_ = registry.AddObserver([this](const RegistryEvent& e) {
    BtfRef dropped;  // released after the lock
    MutexLock l(mu_);
    if (e.kind == RegistryEvent::kLoaded) {
      map_[e.id] = e.ref;
    } else if (e.kind == RegistryEvent::kGoing) {
      auto it = map_.find(e.id);
      if (it != map_.end()) {
        dropped = std::move(it->second);
        map_.erase(it);
      }
    }
  });
}

LockedIdr::~LockedIdr() { registry_.RemoveObserver(observer_); }

BtfRef LockedIdr::Get(uint32_t id) {
  MutexLock l(mu_);
  auto it = map_.find(id);
  return it == map_.end() ? BtfRef() : it->second;
}

absl::StatusOr<std::unique_ptr<Workload>> Workload::Create(
    const WorkloadOptions& options) {
  std::unique_ptr<Workload> w(new Workload(options));
  auto base = w->registry_.RegisterBase(options.base_path);
  if (!base.ok()) return base.status();
  auto synth = ModuleSynth::CreateFromFile(options.base_path);
  if (!synth.ok()) return synth.status();
  std::vector<BtfRef> objects = {*base};
  for (int i = 0; i < options.modules; ++i) {
    std::string name = absl::StrCat("wl_mod", i);
    auto bytes = (*synth)->Make(name, options.structs_per_module);
    if (!bytes.ok()) return bytes.status();
    auto ref = w->registry_.ModuleComing(name, *bytes);
    if (!ref.ok()) return ref.status();
    absl::Status live = w->registry_.ModuleLive(name);
    if (!live.ok()) return live;
    objects.push_back(*ref);
    w->names_.push_back(name);
    w->module_bytes_.push_back(std::move(*bytes));
  }
  w->idr_ = std::make_unique<LockedIdr>(w->registry_);
  w->GenerateTrace(objects);
  if (w->trace_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        options.base_path, ": no struct with pointer members to trace"));
  }
  return w;
}

Workload::~Workload() {
  StopChurn();
  idr_.reset();
}

std::string Workload::base_description() const {
  const bool kernel = options_.base_path == kVmlinuxPath;
  return absl::StrCat(options_.base_path,
                      kernel ? " (the running kernel)" : " (bundled fixture)");
}

namespace {

// Pointer members (to structs) and scalar members of struct `id`, with their
// offsets, looking through anonymous members and taking element 0 of arrays.
struct Fields {
  std::vector<std::pair<uint32_t, uint32_t>> pointers;  // offset, pointee
  std::vector<std::pair<uint32_t, uint32_t>> scalars;   // offset, size
};

void CollectFields(const Btf& btf, uint32_t id, uint32_t base, Fields& f,
                   int depth) {
  if (depth > 4) return;
  auto members = btf.Members(id);
  if (!members.ok()) return;
  for (const Member& m : *members) {
    if (m.bitfield_size != 0 || m.bit_offset % 8 != 0) continue;
    const uint32_t off = base + m.bit_offset / 8;
    uint32_t t = btf.SkipModsAndTypedefs(m.type_id);
    const int kind = btf.kind(t);
    if (kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION) {
      if (m.name.empty()) CollectFields(btf, t, off, f, depth + 1);
      continue;
    }
    if (kind == BTF_KIND_PTR) {
      uint32_t pointee = btf.SkipModsAndTypedefs(btf.type(t)->type);
      int pk = btf.kind(pointee);
      if ((pk == BTF_KIND_STRUCT || pk == BTF_KIND_UNION) &&
          btf.raw_size(pointee) > 0) {
        f.pointers.push_back({off, pointee});
      }
      continue;
    }
    if (kind == BTF_KIND_INT || kind == BTF_KIND_ENUM) {
      uint32_t size = btf.raw_size(t);
      if (size == 1 || size == 2 || size == 4 || size == 8) {
        f.scalars.push_back({off, size});
      }
    }
  }
}

}  // namespace

void Workload::GenerateTrace(const std::vector<BtfRef>& objects) {
  std::mt19937_64 rng(options_.seed);
  // Starting points on the base: the kernel's usual suspects where present,
  // then any struct with pointer members.
  const Btf& base = *objects[0];
  std::vector<uint32_t> base_starts;
  for (const char* name : {"task_struct", "sk_buff", "file", "mm_struct",
                           "sock", "inode", "net_device", "cgroup"}) {
    uint32_t id = base.FindByName(name, BTF_KIND_STRUCT);
    if (id != 0) base_starts.push_back(id);
  }
  for (uint32_t id = 1; id < base.type_count() && base_starts.size() < 64;
       id += 1 + rng() % 997) {
    if (base.kind(id) == BTF_KIND_STRUCT) base_starts.push_back(id);
  }
  // The programs: each uses vmlinux and modules_per_program of the modules.
  const int modules = static_cast<int>(objects.size()) - 1;
  const int per_program = std::max(1, options_.modules_per_program);
  programs_ = std::max(1, (modules + per_program - 1) / per_program);
  const int chains_per_program = std::max(16, options_.chains / programs_);
  for (int p = 0; p < programs_; ++p) {
    const int first = p * per_program;
    const int count = std::max(0, std::min(per_program, modules - first));
    int made = 0, module_chains = 0;
    for (int i = 0; made < chains_per_program && i < chains_per_program * 8; ++i) {
      // Half the chains start in the program's modules, each in turn (the
      // first of them one in each), so that every module the program uses
      // is used.
      int object = -1;
      uint32_t start;
      if (count > 0 && (module_chains < count || rng() % 2 == 0)) {
        object = first + module_chains % count;
        const Btf& mod = *objects[object + 1];
        start = mod.FindByName(absl::StrCat(names_[object], "_obj",
                                            rng() % options_.structs_per_module),
                               BTF_KIND_STRUCT);
      } else {
        start = base_starts[rng() % base_starts.size()];
      }
      const Btf& btf = *objects[object + 1];
      Chain c{p, object, start, {}};
      uint32_t cur = start;
      for (int d = 0; d < options_.max_depth; ++d) {
        Fields f;
        CollectFields(btf, cur, 0, f, 0);
        const bool last = d + 1 == options_.max_depth || f.pointers.empty();
        if (last || (rng() % 4 == 0 && !f.scalars.empty())) {
          if (f.scalars.empty()) break;
          auto [off, size] = f.scalars[rng() % f.scalars.size()];
          // Only what the walk accepts as a scalar: a member that another
          // (a union's earlier one) shadows is not the trace's to use.
          auto w = btf.StructWalk(cur, off, size);
          if (!w.ok() || w->kind != WalkKind::kScalar) break;
          c.accesses.push_back({static_cast<int32_t>(off), size});
          break;
        }
        auto [off, pointee] = f.pointers[rng() % f.pointers.size()];
        auto w = btf.StructWalk(cur, off, 8);
        if (!w.ok() || w->kind != WalkKind::kPointer) break;
        c.accesses.push_back({static_cast<int32_t>(off), 8});
        cur = w->pointee_id;
      }
      if (!c.accesses.empty()) {
        module_chains += object >= 0;  // the next module's turn
        trace_.push_back(std::move(c));
        ++made;
      }
    }
  }
}

void Workload::StartChurn() {
  if (churn_.joinable() || names_.empty()) return;
  churn_stop_ = false;
  churn_ = std::thread([this] {
    for (size_t i = 0; !churn_stop_.load(std::memory_order_relaxed);
         i = (i + 1) % names_.size()) {
      if (!registry_.ModuleGoing(names_[i]).ok()) {
        churn_refused_.fetch_add(1, std::memory_order_relaxed);
        // Pinned (or not loaded): do not spin on it.
        std::this_thread::yield();
        continue;
      }
      if (registry_.ModuleComing(names_[i], module_bytes_[i]).ok()) {
        (void)registry_.ModuleLive(names_[i]);
      }
      churn_cycles_.fetch_add(1, std::memory_order_relaxed);
    }
  });
}

void Workload::StopChurn() {
  if (!churn_.joinable()) return;
  churn_stop_ = true;
  churn_.join();
  // Leave every module loaded and live for the next run.
  for (size_t i = 0; i < names_.size(); ++i) {
    if (!registry_.GetByName(names_[i])) {
      if (registry_.ModuleComing(names_[i], module_bytes_[i]).ok()) {
        (void)registry_.ModuleLive(names_[i]);
      }
    }
  }
}

const char* VariantName(Variant v) {
  switch (v) {
    case Variant::kPointer: return "pointer + id (RegState)";
    case Variant::kRcuId: return "id, lock-free lookup";
    case Variant::kRcuIdPacked: return "id, lock-free, packed";
    case Variant::kRefcountId: return "id, lookup + refcount";
    case Variant::kLockedId: return "id, mutex+map+refcount";
    case Variant::kHandle: return "handle {slot, gen}";
  }
  return "?";
}

const char* VariantKey(Variant v) {
  switch (v) {
    case Variant::kPointer: return "pointer";
    case Variant::kRcuId: return "rcu_id";
    case Variant::kRcuIdPacked: return "rcu_id_packed";
    case Variant::kRefcountId: return "refcount_id";
    case Variant::kLockedId: return "locked_id";
    case Variant::kHandle: return "handle";
  }
  return "?";
}

namespace {

template <typename R>
class RunnerOf : public Runner {
 public:
  RunnerOf(Workload& w, R r) : program_(w, std::move(r)) {}
  RunStats Run(int64_t chains) override { return program_.Run(chains); }
  RunStats Resolve(int64_t n) override { return program_.Resolve(n); }

 private:
  Program<R> program_;
};

template <typename R>
std::unique_ptr<Runner> Make(Workload& w, R r) {
  return std::make_unique<RunnerOf<R>>(w, std::move(r));
}

}  // namespace

size_t RegBytes(Variant v) {
  switch (v) {
    case Variant::kPointer: return sizeof(RegState);
    case Variant::kRcuIdPacked: return sizeof(PackedIdRegState);
    case Variant::kHandle: return sizeof(HandleRegState);
    default: return sizeof(IdRegState);
  }
}

size_t StateBytes(Variant v) {
  switch (v) {
    case Variant::kPointer: return Program<PointerResolver>::StateBytes();
    case Variant::kRcuIdPacked:
      return Program<RcuIdResolver<PackedIdRegState>>::StateBytes();
    case Variant::kHandle: return Program<HandleResolver>::StateBytes();
    default: return Program<RcuIdResolver<IdRegState>>::StateBytes();
  }
}

std::unique_ptr<Runner> MakeRunner(Workload& w, Variant v) {
  const Registry& reg = w.registry();
  switch (v) {
    case Variant::kPointer: return Make(w, PointerResolver());
    case Variant::kRcuId: return Make(w, RcuIdResolver<IdRegState>(reg));
    case Variant::kRcuIdPacked:
      return Make(w, RcuIdResolver<PackedIdRegState>(reg));
    case Variant::kRefcountId:
      return Make(w, RefcountIdResolver<IdRegState>(reg));
    case Variant::kLockedId:
      return Make(w, LockedIdResolver<IdRegState>(reg, w.locked_idr()));
    case Variant::kHandle: return Make(w, HandleResolver(reg));
  }
  return nullptr;
}

namespace {

// Marks a register with module "first", unloads it, loads "second" (under
// first's id when `reuse_ids`, as a plain idr_alloc would give it), and
// reads the register's type name again.
template <typename R>
std::string Outcome(Registry& registry, R r, const std::vector<uint8_t>& first,
                    const std::vector<uint8_t>& second, bool reuse_ids) {
  if (!registry.ModuleComing("first", first).ok() ||
      !registry.ModuleLive("first").ok()) {
    return "setup failed";
  }
  UsedBtfs used(registry);
  typename R::Reg reg{};
  std::string before;
  uint32_t first_id = 0;
  {
    BtfRef mod;
    if (std::is_same<R, PointerResolver>::value) {
      mod = *used.Add("first");
    } else {
      mod = *registry.TryGetModule("first");
    }
    MarkBtfId(r, reg, mod, mod->FindByName("first_obj0", BTF_KIND_STRUCT));
    before = *TypeName(r, reg);
    first_id = mod.id();
  }
  if (!registry.ModuleGoing("first").ok()) {
    return TypeName(r, reg).ok() ? "stays valid (pinned)" : "broken";
  }
  if (reuse_ids) registry.SetNextIdForTesting(first_id);
  if (!registry.ModuleComing("second", second).ok() ||
      !registry.ModuleLive("second").ok()) {
    return "setup failed";
  }
  auto after = TypeName(r, reg);
  if (after.ok()) return *after == before ? "stays valid" : "wrong object";
  return std::is_same<R, HandleResolver>::value ? "detected" : "not found";
}

}  // namespace

std::string UnloadOutcome(Variant v, const std::string& base_path,
                          bool reuse_ids) {
  Registry registry;
  if (!registry.RegisterBase(base_path).ok()) return "no base";
  auto synth = ModuleSynth::CreateFromFile(base_path);
  if (!synth.ok()) return "no base";
  auto first = (*synth)->Make("first", 2);
  auto second = (*synth)->Make("second", 2);
  if (!first.ok() || !second.ok()) return "setup failed";
  switch (v) {
    case Variant::kPointer:
      return Outcome(registry, PointerResolver(), *first, *second, reuse_ids);
    case Variant::kRcuId:
      return Outcome(registry, RcuIdResolver<IdRegState>(registry), *first, *second, reuse_ids);
    case Variant::kLockedId: {
      LockedIdr idr(registry);
      return Outcome(registry, LockedIdResolver<IdRegState>(registry, idr),
                     *first, *second, reuse_ids);
    }
    case Variant::kRcuIdPacked:
      return Outcome(registry, RcuIdResolver<PackedIdRegState>(registry), *first, *second, reuse_ids);
    case Variant::kRefcountId:
      return Outcome(registry, RefcountIdResolver<IdRegState>(registry), *first, *second, reuse_ids);
    case Variant::kHandle:
      return Outcome(registry, HandleResolver(registry), *first, *second, reuse_ids);
  }
  return "?";
}

}  // namespace btfreg
