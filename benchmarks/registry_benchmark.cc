// The registry's read path against the baselines a kernel-like design would
// use, with 1 and 1,000 modules loaded, at 1 and 2 reader threads, with and
// without a writer churning a module load/unload in the background.
//
//   bazel run --config=opt //benchmarks:registry_benchmark
//
// Every lookup resolves an id to its Btf and reads one field, so the rows
// compare "id -> object -> field" costs. Ratios are meaningful only within
// one run.

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "benchmark/benchmark.h"
#include "btf/synth.h"
#include "registry/rcu.h"
#include "registry/registry.h"
#include "harness/workload.h"

namespace btfreg {
namespace {

std::string BasePath() { return VmlinuxOrFixture(); }

// The kernel-like baseline: an idr under a lock, and a refcount per get/put.
struct LockedIdr {
  struct Obj {
    std::atomic<int> refcnt{1};
    const Btf* btf;
  };
  std::mutex mu;
  std::shared_mutex rw;
  std::unordered_map<uint32_t, std::unique_ptr<Obj>> map;
};

struct World {
  Registry registry;
  std::unique_ptr<ModuleSynth> synth;
  std::vector<std::vector<uint32_t>> ids;  // per module count: the ids
  LockedIdr idr;
  int loaded = 0;
};

World& GetWorld() {
  static World* w = [] {
    auto* w = new World;
    if (!w->registry.RegisterBase(BasePath()).ok()) abort();
    auto synth = ModuleSynth::CreateFromFile(BasePath());
    if (!synth.ok()) abort();
    w->synth = std::move(*synth);
    return w;
  }();
  return *w;
}

constexpr uint32_t kKernelIdBase = 5000;

// Ids of `modules` loaded modules (loads more as needed), shuffled.
const std::vector<uint32_t>& Ids(int modules) {
  World& w = GetWorld();
  static std::mutex mu;
  std::lock_guard<std::mutex> l(mu);
  while (w.loaded < modules) {
    std::string name = "bench" + std::to_string(w.loaded++);
    auto bytes = w.synth->Make(name, 4);
    // Published with a kernel id too, as KernelMirror does (BM_GetByKernelIdAndPut).
    auto btf = Btf::LoadSplitBytes(*bytes, name, *w.registry.base());
    if (!btf.ok()) abort();
    auto ref = w.registry.ModuleComingParsed(name, *std::move(btf), kKernelIdBase + w.loaded);
    if (!ref.ok()) abort();
    (void)w.registry.ModuleLive(name);
    auto obj = std::make_unique<LockedIdr::Obj>();
    obj->btf = ref->get();
    w.idr.map[ref->id()] = std::move(obj);
  }
  static std::unordered_map<int, std::vector<uint32_t>> cache;
  auto& ids = cache[modules];
  if (ids.empty()) {
    std::vector<BtfRef> snap = w.registry.Snapshot();
    for (int i = 1; i <= modules; ++i) ids.push_back(snap[i].id());
    std::mt19937 rng(1);
    std::vector<uint32_t> seq;
    for (int i = 0; i < 4096; ++i) seq.push_back(ids[rng() % ids.size()]);
    ids = seq;
  }
  return ids;
}

// A writer loading and unloading one module as fast as it can, while the
// benchmark's threads read. Started by thread 0 when state.range(1) is 1.
class Churn {
 public:
  explicit Churn(bool on) {
    if (!on) return;
    World& w = GetWorld();
    bytes_ = *w.synth->Make("churn", 4);
    thread_ = std::thread([this, &w] {
      // The locked baselines get the same writer: an insert and an erase
      // under their locks per cycle.
      while (!stop_.load(std::memory_order_relaxed)) {
        auto ref = w.registry.ModuleComing("churn", bytes_);
        if (!ref.ok()) continue;
        const uint32_t id = ref->id();
        {
          std::lock_guard<std::mutex> l(w.idr.mu);
          std::unique_lock<std::shared_mutex> rl(w.idr.rw);
          auto obj = std::make_unique<LockedIdr::Obj>();
          obj->btf = ref->get();
          w.idr.map[id] = std::move(obj);
        }
        ref->reset();
        (void)w.registry.ModuleGoing("churn");
        {
          std::lock_guard<std::mutex> l(w.idr.mu);
          std::unique_lock<std::shared_mutex> rl(w.idr.rw);
          w.idr.map.erase(id);
        }
        cycles_.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  ~Churn() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t cycles() const { return cycles_.load(); }

 private:
  std::vector<uint8_t> bytes_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> cycles_{0};
  std::thread thread_;
};

std::unique_ptr<Churn> g_churn;

// How a reader thread reads: as a memb reader (every thread, by default),
// or as an online QSBR reader that announces a quiescent state every 1,024
// lookups (rcu.h), the cost of which is in the figure.
enum class Reader { kMemb, kQsbr };

template <typename Body>
void RunLookupsOf(benchmark::State& state, const std::vector<uint32_t>& ids, Body body,
                  Reader reader = Reader::kMemb) {
  if (state.thread_index() == 0) g_churn = std::make_unique<Churn>(state.range(1) != 0);
  // Each result is only kept from being optimized away, not summed: a sum
  // the compiler spills to the stack (it does, around the calls of the
  // memb rows) chains every iteration to the last through memory, which
  // alone costs about 2 ns.
  size_t i = state.thread_index() * 97;
  if (reader == Reader::kQsbr) {
    rcu::QsbrReader online;
    for (auto _ : state) {
      benchmark::DoNotOptimize(body(ids[i++ & 4095]));
      if ((i & 1023) == 0) rcu::QuiescentState();
    }
  } else {
    for (auto _ : state) {
      benchmark::DoNotOptimize(body(ids[i++ & 4095]));
    }
  }
  if (state.thread_index() == 0) {
    state.counters["churn_cycles"] = g_churn->cycles();
    g_churn.reset();
  }
  state.counters["modules"] = state.range(0);
}

template <typename Body>
void RunLookups(benchmark::State& state, Body body, Reader reader = Reader::kMemb) {
  RunLookupsOf(state, Ids(state.range(0)), body, reader);
}

// Two floors of a lookup by id, over the same ids, in tables laid out as
// the registry's id table is (slot id & mask), without a read section:
// - bare: one acquire load of the Btf*, no id check, no going check (the
//   baseline for the ratios of issue 17);
// - checked: each slot holds the id beside the Btf*, and a lookup compares
//   it (one more load, in the slot's own cache line): what a lookup that
//   must not return another object for a stale id costs at the least,
//   whatever reclaims the objects.
struct Floors {
  struct Entry {
    std::atomic<uint32_t> id;
    std::atomic<const Btf*> btf;
  };
  uint32_t mask = 0;
  std::unique_ptr<std::atomic<const Btf*>[]> bare;
  std::unique_ptr<Entry[]> checked;
};
const Floors& GetFloors(int modules) {
  static std::mutex mu;
  static std::unordered_map<int, Floors> cache;
  std::lock_guard<std::mutex> l(mu);
  Floors& f = cache[modules];
  if (!f.bare) {
    World& w = GetWorld();
    const auto& ids = Ids(modules);
    uint32_t max_id = 0;
    for (uint32_t id : ids) max_id = std::max(max_id, id);
    uint32_t size = 16;
    while (size < 2 * (max_id + 1)) size *= 2;  // ids are consecutive: distinct slots
    f.mask = size - 1;
    f.bare.reset(new std::atomic<const Btf*>[size]);
    f.checked.reset(new Floors::Entry[size]);
    for (uint32_t i = 0; i < size; ++i) {
      f.bare[i].store(nullptr);
      f.checked[i].id.store(0);
      f.checked[i].btf.store(nullptr);
    }
    for (uint32_t id : ids) {
      const Btf* btf = w.registry.GetById(id).get();  // the registry keeps it
      f.bare[id & f.mask].store(btf);
      f.checked[id & f.mask].btf.store(btf);
      f.checked[id & f.mask].id.store(id);
    }
  }
  return f;
}

void BM_BareSlotRead(benchmark::State& state) {
  const Floors& f = GetFloors(state.range(0));
  RunLookups(state, [&](uint32_t id) -> uint64_t {
    const Btf* btf = f.bare[id & f.mask].load(std::memory_order_acquire);
    return btf != nullptr ? btf->type_count() : 0;
  });
}

void BM_CheckedSlotRead(benchmark::State& state) {
  const Floors& f = GetFloors(state.range(0));
  RunLookups(state, [&](uint32_t id) -> uint64_t {
    const Floors::Entry& e = f.checked[id & f.mask];
    if (__builtin_expect(e.id.load(std::memory_order_acquire) != id, 0)) return 0;
    const Btf* btf = e.btf.load(std::memory_order_acquire);
    return btf != nullptr ? btf->type_count() : 0;
  });
}

// The kernel ids of Ids(modules), in the same order.
const std::vector<uint32_t>& KernelIds(int modules) {
  static std::mutex mu;
  static std::unordered_map<int, std::vector<uint32_t>> cache;
  const auto& ids = Ids(modules);
  std::lock_guard<std::mutex> l(mu);
  auto& kids = cache[modules];
  if (kids.empty()) {
    World& w = GetWorld();
    for (uint32_t id : ids) kids.push_back(w.registry.GetById(id).kernel_id());
  }
  return kids;
}

template <Reader kReader>
void BM_GetByKernelIdAndPut(benchmark::State& state) {
  World& w = GetWorld();
  RunLookupsOf(state, KernelIds(state.range(0)), [&](uint32_t kernel_id) -> uint64_t {
    BtfRef ref = w.registry.GetByKernelId(kernel_id);
    return ref ? ref->type_count() : 0;
  }, kReader);
}

void BM_DirectPointer(benchmark::State& state) {
  // The floor: what a register holding btf* pays.
  World& w = GetWorld();
  const auto& ids = Ids(state.range(0));
  std::vector<const Btf*> ptrs;
  for (uint32_t id : ids) ptrs.push_back(w.registry.GetById(id).get());
  size_t i = state.thread_index() * 97;
  uint64_t sink = 0;
  for (auto _ : state) sink += ptrs[i++ & 4095]->type_count();
  benchmark::DoNotOptimize(sink);
}

template <Reader kReader>
void BM_GetByIdAndPut(benchmark::State& state) {
  World& w = GetWorld();
  RunLookups(state, [&](uint32_t id) -> uint64_t {
    BtfRef ref = w.registry.GetById(id);
    return ref ? ref->type_count() : 0;
  }, kReader);
}

template <Reader kReader>
void BM_WithBtfBorrow(benchmark::State& state) {
  World& w = GetWorld();
  RunLookups(state, [&](uint32_t id) -> uint64_t {
    uint64_t n = 0;
    w.registry.WithBtf(id, [&](const Btf& btf) { n = btf.type_count(); });
    return n;
  }, kReader);
}

// Borrow in batches: one read section for 64 lookups (a verifier walking a
// program's instructions, a resolver following a chain), the section's
// entry and exit in the figure, shared by the batch.
template <Reader kReader>
void BM_BorrowIn64LookupSections(benchmark::State& state) {
  World& w = GetWorld();
  std::optional<rcu::ReadSection> rs;
  uint32_t n = 0;
  RunLookups(state, [&](uint32_t id) -> uint64_t {
    if (!rs) rs.emplace();
    const Btf* btf = w.registry.Borrow(id, *rs);
    // Ends on the 64th, so that a QSBR reader's quiescent state (every
    // 1,024 lookups) falls between two sections.
    if (++n % 64 == 0) rs.reset();
    return btf != nullptr ? btf->type_count() : 0;
  }, kReader);
  rs.reset();
}

void BM_MutexMapRefcount(benchmark::State& state) {
  World& w = GetWorld();
  RunLookups(state, [&](uint32_t id) -> uint64_t {
    LockedIdr::Obj* obj = nullptr;
    {
      std::lock_guard<std::mutex> l(w.idr.mu);
      auto it = w.idr.map.find(id);
      if (it != w.idr.map.end()) {
        obj = it->second.get();
        obj->refcnt.fetch_add(1);
      }
    }
    if (obj == nullptr) return 0;
    uint64_t n = obj->btf->type_count();
    obj->refcnt.fetch_sub(1);
    return n;
  });
}

void BM_SharedMutexMap(benchmark::State& state) {
  World& w = GetWorld();
  RunLookups(state, [&](uint32_t id) -> uint64_t {
    std::shared_lock<std::shared_mutex> l(w.idr.rw);
    auto it = w.idr.map.find(id);
    return it == w.idr.map.end() ? 0 : it->second->btf->type_count();
  });
}

void Axes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"modules", "churn"});
  for (int modules : {1, 1000}) {
    for (int churn : {0, 1}) b->Args({modules, churn});
  }
  b->ThreadRange(1, 2)->UseRealTime();
}

BENCHMARK(BM_DirectPointer)->ArgNames({"modules", "churn"})->Args({1000, 0})
    ->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_BareSlotRead)->Apply(Axes);
BENCHMARK(BM_CheckedSlotRead)->Apply(Axes);
BENCHMARK_TEMPLATE(BM_GetByIdAndPut, Reader::kMemb)->Apply(Axes);
BENCHMARK_TEMPLATE(BM_GetByIdAndPut, Reader::kQsbr)->Apply(Axes);
BENCHMARK_TEMPLATE(BM_GetByKernelIdAndPut, Reader::kMemb)->Apply(Axes);
BENCHMARK_TEMPLATE(BM_GetByKernelIdAndPut, Reader::kQsbr)->Apply(Axes);
BENCHMARK_TEMPLATE(BM_WithBtfBorrow, Reader::kMemb)->Apply(Axes);
BENCHMARK_TEMPLATE(BM_WithBtfBorrow, Reader::kQsbr)->Apply(Axes);
BENCHMARK_TEMPLATE(BM_BorrowIn64LookupSections, Reader::kMemb)->Apply(Axes);
BENCHMARK_TEMPLATE(BM_BorrowIn64LookupSections, Reader::kQsbr)->Apply(Axes);
BENCHMARK(BM_MutexMapRefcount)->Apply(Axes);
BENCHMARK(BM_SharedMutexMap)->Apply(Axes);

}  // namespace
}  // namespace btfreg
