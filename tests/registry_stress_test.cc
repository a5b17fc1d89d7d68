// Stress: reader threads look modules up by id (GetById and the borrowing
// WithBtf) and read their types while a writer loads and unloads modules.
// Bounded in time, with a start barrier, and a verdict. Run under
// --config=tsan and --config=asan by test.sh.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "registry/registry.h"
#include "registry/testing.h"

namespace btfreg {
namespace {

constexpr int kReaders = 2;
constexpr int kSlots = 8;  // modules the writer cycles through
constexpr auto kDuration = std::chrono::milliseconds(1500);

TEST(RegistryStressTest, ReadersAndAChurningWriter) {
  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  // Module bytes are generated up front: the synth is single-threaded.
  std::vector<std::vector<uint8_t>> bytes;
  for (int i = 0; i < kSlots; ++i) {
    bytes.push_back(testing_util::ModuleBytes("s" + std::to_string(i), 1 + i));
  }
  // ids[i]: the id module s<i> was last published under (0: none yet).
  std::atomic<uint32_t> ids[kSlots];
  for (auto& id : ids) id.store(0);
  std::atomic<int> ready{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> found{0}, missed{0}, borrowed{0}, errors{0};

  auto reader = [&](int seed) {
    uint32_t x = seed * 2654435761u + 1;
    ready.fetch_add(1);
    while (ready.load() < kReaders + 1) {}
    while (!stop.load(std::memory_order_relaxed)) {
      x = x * 1103515245u + 12345u;
      const int slot = (x >> 16) % kSlots;
      const uint32_t id = ids[slot].load(std::memory_order_acquire);
      if (id == 0) continue;
      const std::string want = "s" + std::to_string(slot) + "_obj0";
      if (x & 1) {
        BtfRef ref = registry.GetById(id);
        if (!ref) {
          missed.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        // Whatever `id` finds is the module published under it.
        if (ref.id() != id || ref->FindByName(want, BTF_KIND_STRUCT) == 0) {
          errors.fetch_add(1);
        }
        found.fetch_add(1, std::memory_order_relaxed);
      } else {
        bool ok = registry.WithBtf(id, [&](const Btf& btf) {
          uint32_t obj = btf.FindByName(want, BTF_KIND_STRUCT);
          if (obj == 0 || !btf.StructWalk(obj, 24, 4).ok()) errors.fetch_add(1);
        });
        (ok ? borrowed : missed).fetch_add(1, std::memory_order_relaxed);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) threads.emplace_back(reader, i + 1);

  int64_t cycles = 0;
  ready.fetch_add(1);
  while (ready.load() < kReaders + 1) {}
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
  rcu::Barrier();
  RegistryStats s = registry.Stats();
  EXPECT_EQ(s.going_referenced, 0);
  EXPECT_EQ(s.awaiting_grace, 0);
  EXPECT_EQ(s.loads - s.unloads, s.live_objects);
}

}  // namespace
}  // namespace btfreg
