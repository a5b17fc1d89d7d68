#include "harness/race.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "btf/synth.h"
#include "registry/registry.h"
#include "sync/mutex.h"
#include "verifier_state/ops.h"
#include "verifier_state/resolvers.h"
#include "verifier_state/used_btfs.h"

namespace btfreg {
namespace {

// A module's state as the churn thread publishes it, in one word so that
// readers see a consistent pair: the registry id (high 32 bits), a
// generation (bits 3..31) and the phase (bits 0..2).
enum Phase : uint64_t { kComing = 0, kGoingLive, kLive, kGoing, kGone };
uint64_t Pack(uint32_t id, uint64_t gen, Phase p) {
  return (uint64_t{id} << 32) | ((gen & 0x1fffffff) << 3) | p;
}
uint32_t IdOf(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
Phase PhaseOf(uint64_t v) { return static_cast<Phase>(v & 7); }

struct Slot {
  std::string name;
  std::vector<uint8_t> bytes;
  int structs = 0;
  std::atomic<uint64_t> state{Pack(0, 0, kGone)};
  std::atomic<uint32_t> handle{0};  // slot << 16 | gen, of the live object
  // ModuleGoing calls on this module that have returned (done or refused).
  std::atomic<uint64_t> unload_attempts{0};
};

// Counters shared by the threads; copied into a RaceReport at the end.
struct AtomicVariant {
  std::atomic<int64_t> chains{0}, stale_hits{0}, aba_detected{0};
  RaceVariantStats Get() const {
    return {chains.load(), stale_hits.load(), aba_detected.load()};
  }
};

class Harness {
 public:
  Harness(const RaceOptions& o) : o_(o) {}

  absl::Status Setup() {
    auto base = registry_.RegisterBase(o_.base_path);
    if (!base.ok()) return base.status();
    auto synth = ModuleSynth::CreateFromFile(o_.base_path);
    if (!synth.ok()) return synth.status();
    slots_ = std::vector<Slot>(o_.modules);
    for (int i = 0; i < o_.modules; ++i) {
      Slot& s = slots_[i];
      s.name = absl::StrCat("race", i);
      s.structs = 1 + static_cast<int>((o_.seed + 7 * i) % 12);  // varied sizes
      auto bytes = (*synth)->Make(s.name, s.structs);
      if (!bytes.ok()) return bytes.status();
      s.bytes = std::move(*bytes);
    }
    return absl::OkStatus();
  }

  void Violation(const std::string& what) {
    violation_count_++;
    MutexLock l(mu_);
    if (violations_.size() < 10) violations_.push_back(what);
  }

  void Churn(std::chrono::steady_clock::time_point deadline) {
    uint64_t gen = 0;
    for (size_t i = 0; std::chrono::steady_clock::now() < deadline;
         i = (i + 1) % slots_.size()) {
      Slot& s = slots_[i];
      const uint64_t cur = s.state.load();
      if (PhaseOf(cur) == kLive) {
        s.state.store(Pack(IdOf(cur), gen, kGoing));
        const bool gone = registry_.ModuleGoing(s.name).ok();
        s.unload_attempts++;
        if (!gone) {  // pinned: refused
          s.state.store(Pack(IdOf(cur), gen, kLive));
          unload_refused_++;
          std::this_thread::yield();
          continue;
        }
        s.state.store(Pack(IdOf(cur), gen, kGone));
      }
      ++gen;
      s.state.store(Pack(0, gen, kComing));
      auto ref = registry_.ModuleComing(s.name, s.bytes);
      if (!ref.ok()) {
        Violation(absl::StrCat("ModuleComing(", s.name, ") failed: ", ref.status().ToString()));
        continue;
      }
      const uint32_t id = ref->id();
      s.handle.store(uint32_t{ref->handle().slot} << 16 | ref->handle().gen);
      ref->reset();
      s.state.store(Pack(id, gen, kGoingLive));
      if (!registry_.ModuleLive(s.name).ok()) Violation("ModuleLive failed");
      s.state.store(Pack(id, gen, kLive));
      cycles_++;
    }
  }

  // A chain obj0 -> next -> obj1 -> ... through module `s`'s structs, with
  // resolver `r`; returns false when the object was found gone.
  template <typename R>
  bool Chain(const R& r, const BtfRef& mod, const Slot& s, AtomicVariant& st,
             bool must_succeed) {
    typename R::Reg reg{};
    const uint32_t first = mod->FindByName(absl::StrCat(s.name, "_obj0"), BTF_KIND_STRUCT);
    if (first == 0) {
      Violation(absl::StrCat(s.name, ": its BTF has no ", s.name, "_obj0"));
      return false;
    }
    MarkBtfId(r, reg, mod, first);
    for (int i = 0; i < s.structs; ++i) {
      // Each struct must be the one this module defines.
      auto name = TypeName(r, reg);
      ops_++;
      if (!name.ok()) {
        if (must_succeed) Violation(absl::StrCat("pinned ", s.name, ": ", name.status().ToString()));
        return false;
      }
      const std::string want = absl::StrCat("struct ", s.name, "_obj", i, " *");
      if (*name != want) {
        Violation(absl::StrCat("a lookup found another object: ", *name, " where ", want));
        return true;
      }
      typename R::Reg next{};
      absl::Status a = StructAccess(r, reg, 16, 8, next);  // ->next
      ops_++;
      if (!a.ok()) {
        if (must_succeed || a.code() != absl::StatusCode::kFailedPrecondition) {
          Violation(absl::StrCat(s.name, " access: ", a.ToString()));
        }
        return false;
      }
      reg = next;
    }
    st.chains++;
    return true;
  }

  void Verifier(int t, std::chrono::steady_clock::time_point deadline) {
    std::mt19937_64 rng(o_.seed * 1000003 + t);
    PointerResolver pointer;
    RcuIdResolver<IdRegState> id(registry_);
    HandleResolver handle(registry_);
    if (o_.qsbr) rcu::QsbrOnline();
    for (uint64_t n = 0; std::chrono::steady_clock::now() < deadline; ++n) {
      if (o_.qsbr && n % 16 == 0) rcu::QuiescentState();  // between operations
      Slot& s = slots_[rng() % slots_.size()];
      switch (n % 3) {
        case 0: {  // pointer: pin by name, use, unpin
          const uint64_t v0 = s.state.load();
          UsedBtfs used(registry_);
          auto mod = used.Add(s.name);
          const uint64_t v1 = s.state.load();
          ops_++;
          if (!mod.ok()) break;
          if (v0 == v1 && (PhaseOf(v0) == kComing || PhaseOf(v0) == kGone)) {
            Violation(absl::StrCat("TryPinModule(", s.name, ") pinned a module that was not live"));
          }
          Chain(pointer, *mod, s, pointer_, /*must_succeed=*/true);
          // Now and then hold the pin until an unload of this module has
          // been tried: it must have been refused. Without this wait a pin
          // that does not hold is seen only when an unload happens to fall
          // inside the short chain above.
          if (rng() % 8 == 0 && HoldAcrossUnloadAttempt(s)) pins_held_across_unload_++;
          if (mod->going()) Violation(absl::StrCat(s.name, " went while pinned"));
          break;
        }
        case 1: {  // id: look up by id, keep only the id
          const uint64_t v0 = s.state.load();
          BtfRef mod = registry_.GetById(IdOf(v0));
          ops_++;
          if (!mod) {
            id_.stale_hits++;
            break;
          }
          if (PhaseOf(v0) == kGone) {
            Violation(absl::StrCat("GetById(", IdOf(v0), ") found ", s.name, " after it went"));
          }
          // While the module stays live the registry holds a reference and
          // so do we: fewer means GetById handed out one it did not take.
          if (mod.use_count() < 2 && PhaseOf(v0) == kLive && s.state.load() == v0) {
            Violation(absl::StrCat("GetById(", IdOf(v0), ") returned a reference it did not take"));
          }
          if (mod.name() != s.name) {
            Violation(absl::StrCat("GetById(", IdOf(v0), ") found ", mod.name(), ", not ", s.name));
            break;
          }
          BtfRef held = mod;
          mod.reset();
          held.reset();  // registers keep only the id from here on
          BtfRef again = registry_.GetById(IdOf(v0));
          if (!again) {
            id_.stale_hits++;
            break;
          }
          if (!Chain(id, again, s, id_, false)) id_.stale_hits++;
          break;
        }
        case 2: {  // handle: TryGetModule by name, keep only the handle
          const uint64_t v0 = s.state.load();
          auto mod = registry_.TryGetModule(s.name);
          const uint64_t v1 = s.state.load();
          ops_++;
          if (!mod.ok()) break;
          if (v0 == v1 && (PhaseOf(v0) == kComing || PhaseOf(v0) == kGone)) {
            Violation(absl::StrCat("TryGetModule(", s.name, ") returned a module that was not live"));
          }
          const BtfHandle h = mod->handle();
          BtfRef keep = *mod;
          mod->reset();
          if (!Chain(handle, keep, s, handle_, false)) handle_.stale_hits++;
          keep.reset();
          // If the module has gone, its handle must not resolve any more;
          // a slot reused since must be caught by the generation.
          bool resolved_to_another = false;
          {
            rcu::ReadSection rs;
            const Btf* found = registry_.BorrowByHandle(h, rs);
            // Now and then linger as a slow reader would, until the module
            // goes (or 2 ms pass): the object must outlive this read section
            // however its references fall. A free that skips the grace
            // period is read here after it happened (ASan reports it).
            if (found != nullptr && rng() % 8 == 0 && LingerUntilGone(s, h)) {
              readers_outlived_unload_++;
            }
            const uint32_t now = s.handle.load();
            if (found == nullptr && (now >> 16) == h.slot && (now & 0xffff) != h.gen) {
              handle_.aba_detected++;
            }
            resolved_to_another =
                found != nullptr &&
                found->FindByName(absl::StrCat(s.name, "_obj0"), BTF_KIND_STRUCT) == 0;
          }
          // Reported once the read section is over: Violation takes a lock.
          if (resolved_to_another) Violation("a stale handle resolved to another object");
          break;
        }
      }
    }
    if (o_.qsbr) rcu::QsbrOffline();
  }

  // Yields until `done()` holds (true) or `limit` passes (false).
  template <typename Pred>
  static bool YieldUntil(std::chrono::milliseconds limit, Pred done) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::yield();
    }
    return false;
  }

  // Waits until a ModuleGoing(s) that began after this call has returned
  // (true) or 20 ms pass (false).
  static bool HoldAcrossUnloadAttempt(const Slot& s) {
    // An attempt in flight now may have begun before the pin: wait for the
    // one after it.
    const uint64_t start = s.unload_attempts.load();
    return YieldUntil(std::chrono::milliseconds(20),
                      [&] { return s.unload_attempts.load() >= start + 2; });
  }

  // Waits inside the caller's read section until handle `h` is no longer
  // the live object of `s` (true) or 2 ms pass (false).
  static bool LingerUntilGone(const Slot& s, BtfHandle h) {
    const uint32_t mine = uint32_t{h.slot} << 16 | h.gen;
    return YieldUntil(std::chrono::milliseconds(2), [&] {
      const Phase p = PhaseOf(s.state.load());
      return s.handle.load() != mine || p == kGoing || p == kGone;
    });
  }

  absl::StatusOr<RaceReport> Run() {
    absl::Status s = Setup();
    if (!s.ok()) return s;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(o_.duration_ms);
    std::vector<std::thread> threads;
    for (int t = 0; t < o_.threads; ++t) {
      threads.emplace_back([this, t, deadline] { Verifier(t, deadline); });
    }
    Churn(deadline);
    for (auto& th : threads) th.join();
    CheckBaseline();
    return Finish();
  }

  void CheckBaseline() {
    rcu::Barrier();
    RegistryStats st = registry_.Stats();
    if (st.underflows != 0) {
      Violation(absl::StrCat(st.underflows, " reference(s) dropped that were never taken"));
    }
    if (st.going_referenced != 0 || st.awaiting_grace != 0) {
      Violation(absl::StrCat("after the run: ", st.going_referenced,
                             " gone modules still referenced, ", st.awaiting_grace,
                             " objects awaiting a grace period"));
    }
    // Baseline: the registry's reference (+1 for the snapshot's); the base
    // also has one from each loaded module.
    std::vector<BtfRef> snap = registry_.Snapshot();
    const int32_t modules = static_cast<int32_t>(snap.size()) - 1;
    for (const BtfRef& ref : snap) {
      const int32_t want = ref.is_module() ? 2 : 2 + modules;
      if (ref.use_count() != want) {
        Violation(absl::StrCat(ref.name(), " has ", ref.use_count(),
                               " references after the run, expected ", want));
      }
    }
  }

  absl::StatusOr<RaceReport> Finish() {
    // Unload everything: all but the base must be freed.
    for (Slot& s : slots_) {
      if (PhaseOf(s.state.load()) != kGone && !registry_.ModuleGoing(s.name).ok()) {
        Violation(absl::StrCat("final ModuleGoing(", s.name, ") failed"));
      }
    }
    rcu::Barrier();
    RegistryStats st = registry_.Stats();
    if (st.freed != st.loads - 1 || st.live_objects != 1) {
      Violation(absl::StrCat("leak: ", st.loads, " objects loaded, ", st.freed,
                             " freed, ", st.live_objects, " still published"));
    }
    RaceReport r;
    r.ops = ops_.load();
    r.cycles = cycles_.load();
    r.unload_refused = unload_refused_.load();
    r.readers_outlived_unload = readers_outlived_unload_.load();
    r.pins_held_across_unload = pins_held_across_unload_.load();
    r.pointer = pointer_.Get();
    r.id = id_.Get();
    r.handle = handle_.Get();
    r.violation_count = violation_count_.load();
    MutexLock l(mu_);
    r.violations = violations_;
    return r;
  }

 private:
  const RaceOptions o_;
  Registry registry_;
  std::vector<Slot> slots_;
  Mutex mu_;
  std::vector<std::string> violations_ ABSL_GUARDED_BY(mu_);  // the first ten
  std::atomic<int64_t> ops_{0}, cycles_{0}, unload_refused_{0};
  std::atomic<int64_t> readers_outlived_unload_{0}, pins_held_across_unload_{0};
  std::atomic<int64_t> violation_count_{0};
  AtomicVariant pointer_, id_, handle_;
};

}  // namespace

std::string RaceReport::Summary() const {
  std::string out = absl::StrFormat(
      "operations           %lld\n"
      "load/unload cycles   %lld (unloads refused while pinned: %lld)\n"
      "read sections that outlived their module's unload: %lld\n"
      "pins held across an unload attempt: %lld\n"
      "%-20s %10s %12s %14s\n",
      static_cast<long long>(ops), static_cast<long long>(cycles),
      static_cast<long long>(unload_refused),
      static_cast<long long>(readers_outlived_unload),
      static_cast<long long>(pins_held_across_unload), "variant", "chains", "stale hits",
      "ABA detected");
  auto row = [&](const char* name, const RaceVariantStats& s) {
    absl::StrAppendFormat(&out, "%-20s %10lld %12lld %14lld\n", name,
                          static_cast<long long>(s.chains),
                          static_cast<long long>(s.stale_hits),
                          static_cast<long long>(s.aba_detected));
  };
  row("pointer (pinned)", pointer);
  row("id", id);
  row("handle", handle);
  absl::StrAppendFormat(&out, "violations           %lld\n",
                        static_cast<long long>(violation_count));
  for (const std::string& v : violations) absl::StrAppend(&out, "  ", v, "\n");
  return out;
}

absl::StatusOr<RaceReport> RunRace(const RaceOptions& options) {
  if (options.threads < 1 || options.modules < 1 || options.duration_ms < 0) {
    return absl::InvalidArgumentError("race: threads and modules must be at least 1");
  }
  Harness h(options);
  return h.Run();
}

}  // namespace btfreg
