// Stress: reader threads look modules up by id (GetById and the borrowing
// WithBtf) and read their types while a writer loads and unloads modules.
// Bounded in time, with a start barrier, and a verdict. Run under
// --config=tsan and --config=asan by test.sh. The readers read as memb
// threads, as QSBR readers, or one of each (rcu.h); they hand references
// to each other, so that counts kept per thread (thread_refs.h) are taken
// on one thread and dropped on another.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "registry/rcu.h"
#include "registry/registry.h"
#include "registry/testing.h"

namespace btfreg {
namespace {

constexpr int kReaders = 2;
constexpr int kSlots = 8;  // modules the writer cycles through
constexpr auto kDuration = std::chrono::milliseconds(1500);

// Module bytes for the kSlots modules "<prefix><i>", generated up front:
// the synth is single-threaded.
std::vector<std::vector<uint8_t>> SlotModuleBytes(const std::string& prefix) {
  std::vector<std::vector<uint8_t>> bytes;
  for (int i = 0; i < kSlots; ++i) {
    bytes.push_back(testing_util::ModuleBytes(prefix + std::to_string(i), 1 + i));
  }
  return bytes;
}

// Counts this thread in, then waits until the kReaders readers and the
// writer all are.
void StartTogether(std::atomic<int>& ready) {
  ready.fetch_add(1);
  while (ready.load() < kReaders + 1) {}
}

// A reader's loop: once every thread has started, calls step(slot, bits)
// with a random slot and random bits (from `seed`) until `stop`.
template <typename Step>
void ReadRandomSlots(std::atomic<int>& ready, const std::atomic<bool>& stop, int seed,
                     Step step) {
  uint32_t x = seed * 2654435761u + 1;
  StartTogether(ready);
  while (!stop.load(std::memory_order_relaxed)) {
    x = x * 1103515245u + 12345u;
    step(static_cast<int>((x >> 16) % kSlots), x);
  }
}

// How the readers read: every one a memb reader, every one a QSBR reader
// (announcing a quiescent state every 64 steps), or the first QSBR and the
// second memb.
enum class Readers { kMemb, kQsbr, kMixed };

class ChurnTest : public ::testing::TestWithParam<Readers> {};

INSTANTIATE_TEST_SUITE_P(RegistryStressTest, ChurnTest,
                         ::testing::Values(Readers::kMemb, Readers::kQsbr, Readers::kMixed),
                         [](const ::testing::TestParamInfo<Readers>& info) {
                           switch (info.param) {
                             case Readers::kMemb: return std::string("Memb");
                             case Readers::kQsbr: return std::string("Qsbr");
                             case Readers::kMixed: return std::string("Mixed");
                           }
                           return std::string();
                         });

// References readers hand each other: taken on one thread, dropped on
// another.
class Handoff {
 public:
  void Give(BtfRef ref) {
    std::lock_guard<std::mutex> l(mu_);
    refs_.push_back(std::move(ref));
  }
  void DropAll() {
    std::vector<BtfRef> refs;
    {
      std::lock_guard<std::mutex> l(mu_);
      refs.swap(refs_);
    }
    refs.clear();  // outside the lock
  }

 private:
  std::mutex mu_;
  std::vector<BtfRef> refs_;
};

TEST_P(ChurnTest, ReadersAndAChurningWriter) {
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  const std::vector<std::vector<uint8_t>> bytes = SlotModuleBytes("s");
  // ids[i]: the id module s<i> was last published under (0: none yet).
  std::atomic<uint32_t> ids[kSlots];
  for (auto& id : ids) id.store(0);
  std::atomic<int> ready{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> found{0}, missed{0}, borrowed{0}, errors{0};
  Handoff handoff;

  auto reader = [&](int seed) {
    const bool qsbr = GetParam() == Readers::kQsbr || (GetParam() == Readers::kMixed && seed == 1);
    if (qsbr) rcu::QsbrOnline();
    uint32_t steps = 0;
    ReadRandomSlots(ready, stop, seed, [&](int slot, uint32_t x) {
      if (qsbr && ++steps % 64 == 0) rcu::QuiescentState();
      if ((x & 0x3e) == 0) handoff.DropAll();  // the other reader's, often
      const uint32_t id = ids[slot].load(std::memory_order_acquire);
      if (id == 0) return;
      const std::string want = "s" + std::to_string(slot) + "_obj0";
      if (x & 1) {
        BtfRef ref = registry.GetById(id);
        if (!ref) {
          missed.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        // Whatever `id` finds is the module published under it.
        if (ref.id() != id || ref->FindByName(want, BTF_KIND_STRUCT) == 0) {
          errors.fetch_add(1);
        }
        found.fetch_add(1, std::memory_order_relaxed);
        if (x & 2) handoff.Give(std::move(ref));
      } else {
        bool ok = registry.WithBtf(id, [&](const Btf& btf) {
          uint32_t obj = btf.FindByName(want, BTF_KIND_STRUCT);
          if (obj == 0 || !btf.StructWalk(obj, 24, 4).ok()) errors.fetch_add(1);
        });
        (ok ? borrowed : missed).fetch_add(1, std::memory_order_relaxed);
      }
    });
    if (qsbr) rcu::QsbrOffline();
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) threads.emplace_back(reader, i + 1);

  int64_t cycles = 0;
  StartTogether(ready);
  const auto deadline = std::chrono::steady_clock::now() + kDuration;
  for (int i = 0; std::chrono::steady_clock::now() < deadline; i = (i + 1) % kSlots) {
    const std::string name = "s" + std::to_string(i);
    if (ids[i].load() != 0) {
      ASSERT_TRUE(registry.ModuleGoing(name).ok());
    }
    auto ref = registry.ModuleComing(name, bytes[i]);
    ASSERT_TRUE(ref.ok()) << ref.status();
    ASSERT_TRUE(registry.ModuleLive(name).ok());
    ids[i].store(ref->id(), std::memory_order_release);
    ++cycles;
  }
  stop.store(true);
  for (auto& t : threads) t.join();

  printf("load/unload cycles %lld, GetById found %lld, borrowed %lld, "
         "stale misses %lld\n",
         static_cast<long long>(cycles), static_cast<long long>(found.load()),
         static_cast<long long>(borrowed.load()),
         static_cast<long long>(missed.load()));
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(cycles, kSlots);
  EXPECT_GT(found.load() + borrowed.load(), 0);
  handoff.DropAll();
  rcu::Barrier();
  RegistryStats s = registry.Stats();
  EXPECT_EQ(s.going_referenced, 0);
  EXPECT_EQ(s.awaiting_grace, 0);
  EXPECT_EQ(s.underflows, 0);
  EXPECT_EQ(s.loads - s.unloads, s.live_objects);
  // Every count, wherever it was kept, adds up: once the modules go, all but
  // the base are freed, and the base is held by the registry alone.
  for (int i = 0; i < kSlots; ++i) {
    if (ids[i].load() != 0) ASSERT_TRUE(registry.ModuleGoing("s" + std::to_string(i)).ok());
  }
  rcu::Barrier();
  s = registry.Stats();
  EXPECT_EQ(s.freed, s.loads - 1);
  EXPECT_EQ(s.going_referenced, 0);
  EXPECT_EQ(s.underflows, 0);
  EXPECT_EQ(registry.base().use_count(), 2);  // the registry's and this one
}

// Kernel ids under contention: readers look modules up by kernel id
// (lock-free) while a writer unloads them and loads them again under fresh
// kernel ids, as the kernel does when a module is reloaded. Whatever a
// kernel id finds is the module published under it, and a stale one finds
// nothing.
TEST(RegistryStressTest, KernelIdReadersAndAChurningWriter) {
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  const BtfRef base = registry.base();
  const std::vector<std::vector<uint8_t>> bytes = SlotModuleBytes("k");
  std::atomic<uint32_t> kernel_ids[kSlots];
  for (auto& id : kernel_ids) id.store(0);
  std::atomic<int> ready{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> found{0}, missed{0}, errors{0};

  auto reader = [&](int seed) {
    ReadRandomSlots(ready, stop, seed, [&](int slot, uint32_t) {
      const uint32_t kernel_id = kernel_ids[slot].load(std::memory_order_acquire);
      if (kernel_id == 0) return;
      BtfRef ref = registry.GetByKernelId(kernel_id);
      if (!ref) {
        missed.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      const std::string want = "k" + std::to_string(slot) + "_obj0";
      if (ref.kernel_id() != kernel_id || ref.name() != "k" + std::to_string(slot) ||
          ref->FindByName(want, BTF_KIND_STRUCT) == 0) {
        errors.fetch_add(1);
      }
      found.fetch_add(1, std::memory_order_relaxed);
    });
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) threads.emplace_back(reader, i + 1);

  int64_t cycles = 0;
  uint32_t next_kernel_id = 100;
  StartTogether(ready);
  const auto deadline = std::chrono::steady_clock::now() + kDuration;
  for (int i = 0; std::chrono::steady_clock::now() < deadline; i = (i + 1) % kSlots) {
    const std::string name = "k" + std::to_string(i);
    const uint32_t old = kernel_ids[i].load();
    if (old != 0) {
      ASSERT_TRUE(registry.ModuleGone(name).ok());
      EXPECT_FALSE(registry.GetByKernelId(old)) << "a gone kernel id still finds " << name;
    }
    auto btf = Btf::LoadSplitBytes(bytes[i], name, *base);
    ASSERT_TRUE(btf.ok()) << btf.status();
    auto ref = registry.ModuleComingParsed(name, *std::move(btf), next_kernel_id);
    ASSERT_TRUE(ref.ok()) << ref.status();
    ASSERT_TRUE(registry.ModuleLive(name).ok());
    kernel_ids[i].store(next_kernel_id++, std::memory_order_release);
    ++cycles;
  }
  stop.store(true);
  for (auto& t : threads) t.join();

  printf("load/unload cycles %lld, GetByKernelId found %lld, stale misses %lld\n",
         static_cast<long long>(cycles), static_cast<long long>(found.load()),
         static_cast<long long>(missed.load()));
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(cycles, kSlots);
  EXPECT_GT(found.load(), 0);
  rcu::Barrier();
  RegistryStats s = registry.Stats();
  EXPECT_EQ(s.going_referenced, 0);
  EXPECT_EQ(s.awaiting_grace, 0);
}

// Lazy modules under contention: readers ask for known modules by name and
// search the type index while a writer makes them known, and forgets or
// unloads them. Each module is parsed at most once per time it is known,
// every answer is the module asked for, and nothing leaks.
TEST(RegistryStressTest, LazyParsesAndSearchesAgainstAChurningWriter) {
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  std::vector<std::vector<uint8_t>> bytes;
  for (int i = 0; i < kSlots; ++i) {
    bytes.push_back(testing_util::ModuleBytes("lazy" + std::to_string(i), 1 + i % 4));
  }
  std::atomic<int64_t> parses{0}, knowns{0}, got{0}, found{0};
  std::atomic<int> errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      for (uint64_t n = r; !stop.load(); ++n) {
        const std::string name = "lazy" + std::to_string(n / 2 % kSlots);
        if (n % 2 == 0) {
          absl::StatusOr<BtfRef> mod = registry.TryGetModule(name);
          if (mod.ok()) {
            got++;
            if (mod->name() != name ||
                (*mod)->FindByName(name + "_obj0", BTF_KIND_STRUCT) == 0) {
              errors++;
            }
          }
        } else {
          for (const TypeMatch& m : registry.FindCandidates(name + "_obj0___local", BTF_KIND_STRUCT)) {
            found++;
            if (m.btf.name() != name || m.btf->type_name(m.type_id) != name + "_obj0") errors++;
          }
        }
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + kDuration;
  for (int i = 0; std::chrono::steady_clock::now() < deadline; i = (i + 1) % kSlots) {
    const std::string name = "lazy" + std::to_string(i);
    if (registry.ModuleGone(name).ok()) continue;  // known, failed or loaded: gone
    const std::vector<uint8_t>& b = bytes[i];
    absl::Status s = registry.ModuleKnown(
        name, [&parses, &b, name](const Btf& base) -> absl::StatusOr<std::unique_ptr<const Btf>> {
          parses++;
          auto btf = Btf::LoadSplitBytes(b, name, base);
          if (!btf.ok()) return btf.status();
          return std::unique_ptr<const Btf>(std::move(*btf));
        });
    if (!s.ok()) errors++;
    knowns++;
    std::this_thread::sleep_for(std::chrono::microseconds(50));  // let readers at it
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  printf("known %lld times, parsed %lld, modules got %lld, candidates found %lld\n",
         static_cast<long long>(knowns.load()), static_cast<long long>(parses.load()),
         static_cast<long long>(got.load()), static_cast<long long>(found.load()));
  EXPECT_EQ(errors.load(), 0);
  EXPECT_LE(parses.load(), knowns.load());
  EXPECT_GT(got.load(), 0);
  EXPECT_EQ(registry.Stats().modules_failed, 0);
  for (int i = 0; i < kSlots; ++i) registry.ModuleGone("lazy" + std::to_string(i)).IgnoreError();
  rcu::Barrier();
  RegistryStats st = registry.Stats();
  EXPECT_EQ(st.going_referenced, 0);
  EXPECT_EQ(st.awaiting_grace, 0);
  EXPECT_EQ(st.live_objects, 1);
  EXPECT_EQ(st.modules_known, 0);
}

}  // namespace
}  // namespace btfreg
