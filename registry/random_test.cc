// Randomized: sequences of coming / live / going / get / put / lookup / pin
// against a simple model, invariants checked after every step. The seed is
// fixed, so every run checks the same sequence, and printed; another seed:
// BTFREG_SEED=<seed> (tests/many_seeds.sh runs many).

#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "registry/registry.h"
#include "registry/testing.h"

namespace btfreg {
namespace {

struct ModelModule {
  uint32_t id;
  bool live;
};

TEST(RandomTest, OperationsAgreeWithTheModel) {
  uint64_t seed = 1;
  if (const char* env = getenv("BTFREG_SEED")) seed = strtoull(env, nullptr, 10);
  printf("BTFREG_SEED=%llu\n", static_cast<unsigned long long>(seed));
  SCOPED_TRACE("BTFREG_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);

  Registry registry;
  ASSERT_TRUE(registry.RegisterBase(testing_util::kBasePath).ok());
  std::map<std::string, ModelModule> model;   // published modules
  std::vector<uint32_t> gone_ids;             // ids of modules that went
  std::vector<std::pair<BtfRef, std::string>> held;  // references we hold
  std::vector<ModulePin> pins;
  std::map<std::string, int> pin_count;
  int64_t loads = 1, unloads = 0;
  const char* names[] = {"a", "b", "c", "d", "e", "f"};

  for (int step = 0; step < 1500; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const std::string name = names[rng() % 6];
    auto it = model.find(name);
    switch (rng() % 8) {
      case 0: {  // coming
        auto ref = registry.ModuleComing(name, testing_util::ModuleBytes(name, 1 + rng() % 4));
        ASSERT_EQ(ref.ok(), it == model.end()) << ref.status();
        if (ref.ok()) {
          model[name] = {ref->id(), false};
          ++loads;
          if (rng() % 2) held.emplace_back(*ref, name);
        }
        break;
      }
      case 1: {  // live
        absl::Status s = registry.ModuleLive(name);
        ASSERT_EQ(s.ok(), it != model.end() && !it->second.live) << s;
        if (s.ok()) it->second.live = true;
        break;
      }
      case 2: {  // going
        absl::Status s = registry.ModuleGoing(name);
        const bool pinned = pin_count[name] > 0;
        ASSERT_EQ(s.ok(), it != model.end() && !pinned) << s;
        if (s.ok()) {
          gone_ids.push_back(it->second.id);
          model.erase(it);
          ++unloads;
          // The count kept per thread is summed a grace period after the
          // module goes: wait for that, so that the invariants below see it.
          rcu::Barrier();
        }
        break;
      }
      case 3: {  // get by id: a published one or a stale one
        if (!model.empty() && rng() % 2) {
          auto m = model.begin();
          std::advance(m, rng() % model.size());
          BtfRef ref = registry.GetById(m->second.id);
          ASSERT_TRUE(ref);
          ASSERT_EQ(ref.name(), m->first);
          held.emplace_back(ref, m->first);
        } else if (!gone_ids.empty()) {
          ASSERT_FALSE(registry.GetById(gone_ids[rng() % gone_ids.size()]));
        }
        break;
      }
      case 4:  // put
        if (!held.empty()) held.erase(held.begin() + rng() % held.size());
        break;
      case 5: {  // TryGetModule
        auto ref = registry.TryGetModule(name);
        ASSERT_EQ(ref.ok(), it != model.end() && it->second.live);
        break;
      }
      case 6: {  // pin
        auto pin = registry.TryPinModule(name);
        ASSERT_EQ(pin.ok(), it != model.end() && it->second.live);
        if (pin.ok()) {
          ++pin_count[name];
          pins.push_back(std::move(*pin));
        }
        break;
      }
      case 7:  // unpin
        if (!pins.empty()) {
          size_t i = rng() % pins.size();
          --pin_count[pins[i].ref().name()];
          pins.erase(pins.begin() + i);
        }
        break;
    }
    // Invariants.
    RegistryStats s = registry.Stats();
    ASSERT_EQ(s.live_objects, static_cast<int64_t>(model.size()) + 1);
    int64_t live = 0;
    for (const auto& [n, m] : model) live += m.live;
    ASSERT_EQ(s.modules_live, live);
    ASSERT_EQ(s.modules_coming, static_cast<int64_t>(model.size()) - live);
    ASSERT_EQ(s.loads, loads);
    ASSERT_EQ(s.unloads, unloads);
    // Going-but-referenced: distinct gone objects that we still hold.
    std::map<uint32_t, bool> gone_held;
    for (const auto& [ref, n] : held) {
      ASSERT_NE(ref->FindByName(n + "_obj0", BTF_KIND_STRUCT), 0u);
      if (ref.going()) gone_held[ref.id()] = true;
    }
    for (const ModulePin& p : pins) {
      if (p.ref().going()) gone_held[p.ref().id()] = true;
    }
    ASSERT_EQ(s.going_referenced, static_cast<int64_t>(gone_held.size()));
    // No id of a module that went finds anything (ids are not reused).
    for (uint32_t gone : gone_ids) {
      ASSERT_FALSE(registry.GetById(gone)) << "id " << gone << " was reused";
    }
    for (const auto& [n, m] : model) {
      BtfRef by_name = registry.GetByName(n);
      ASSERT_TRUE(by_name);
      ASSERT_EQ(by_name.id(), m.id);
    }
  }
  pins.clear();
  held.clear();
  rcu::Barrier();
  EXPECT_EQ(registry.Stats().going_referenced, 0);
  EXPECT_EQ(registry.Stats().awaiting_grace, 0);
}

}  // namespace
}  // namespace btfreg
