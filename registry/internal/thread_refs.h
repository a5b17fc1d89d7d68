// registry/internal/thread_refs.h: reference counts kept per thread, so
// that lookups which take a reference write no cache line another thread
// writes. The kernel's percpu_ref, with threads for CPUs. Private to
// registry/.
//
// A published object gets a counter slot (AllocateSlot). While it is live,
// a reference that a lock-free lookup takes, or that any put drops, is
// counted in the calling thread's counters for the slot: a load and a store
// to this thread's own block. References taken and references dropped have
// a counter each, so that a put right after a get does not wait for the
// get's store to reach its load (store-to-load forwarding; a small gain
// here: GetById + put as a QSBR reader, 6.0 ns with one counter for both,
// 5.85 with two, one registry_benchmark run each). The object's atomic count carries a
// bias meanwhile (kBias), so it cannot reach zero, and references taken the
// ordinary way (copies, lookups under the registry lock) still go there:
// only the sum of the atomic count and every thread's counter means
// anything. When the object goes, the registry stops the per-thread
// counting (the object's `percpu` flag, tested inside a read section), and
// after a grace period, when no read section can still be adding to a
// counter of the slot, Drain sums and zeroes the slot's counters: the sum
// replaces the bias, the atomic count is exact from then on, and its last
// put frees the object as before (percpu_ref_kill, then the switch to
// atomic mode).
//
// A reference taken on one thread may be dropped on another: only the sums
// of all threads' counters mean anything. A thread's block outlives the thread: when the thread exits, its
// block goes, counts and all, to the next thread that needs one; only the
// sums matter. A thread without a block (exiting, or none to be had) counts
// in the atomic count instead.
//
// Thread safety: Counter is the owner's, lock-free; the rest take a global
// mutex (slots and blocks are per process, shared by every registry).

#ifndef BTFREG_REGISTRY_INTERNAL_THREAD_REFS_H_
#define BTFREG_REGISTRY_INTERNAL_THREAD_REFS_H_

#include <atomic>
#include <cstdint>

namespace btfreg {
namespace internal {

class ThreadRefs {
 public:
  static constexpr uint32_t kChunk = 256;     // slots per chunk (4 KiB)
  static constexpr uint32_t kChunks = 64;  // allocated as a thread first counts in one
  // Objects counted per thread, as many as the registry has handles; one
  // published beyond them counts in its atomic count alone.
  static constexpr uint32_t kSlots = kChunk * kChunks;
  static constexpr uint32_t kNoSlot = ~0u;
  // What an object's atomic count carries while its references are counted
  // per thread: far more than it could ever lose to puts counted there.
  static constexpr int64_t kBias = int64_t{1} << 48;

  // A slot whose counters are all zero, or kNoSlot when every slot is in
  // use (the object then counts in its atomic count alone).
  static uint32_t AllocateSlot();
  // References taken less references dropped, over every thread, for the
  // slot; zeroes its counters and frees the slot. REQUIRES: no thread can
  // still count in them (a grace period has passed since the object stopped
  // counting per thread).
  static int64_t Drain(uint32_t slot);
  // The same sum, as it is, without zeroing (for use_count: racy).
  static int64_t Sum(uint32_t slot);

  // One thread's counters for one slot. Only that thread writes them.
  struct Counts {
    std::atomic<int64_t> taken;
    std::atomic<int64_t> dropped;
  };
  // The calling thread's counters for `slot`, or nullptr if it has no block
  // (it is exiting). REQUIRES: slot < kSlots.
  static Counts* Counter(uint32_t slot) {
    Block* b = t_block;
    if (__builtin_expect(b != nullptr, 1)) {
      Counts* chunk = b->chunks[slot / kChunk].load(std::memory_order_relaxed);
      if (__builtin_expect(chunk != nullptr, 1)) return &chunk[slot % kChunk];
    }
    return CounterSlow(slot);
  }
  // Whether the calling thread has a block (it has counted before and is
  // not exiting).
  static bool HasBlock() { return t_block != nullptr; }
  // Counts a reference taken, or dropped, in the calling thread's own
  // counters (from Counter).
  static void Took(Counts* c) { Bump(c->taken); }
  static void Dropped(Counts* c) { Bump(c->dropped); }

 private:
  struct Block {
    // Allocated by the owner on first use (release), read by Drain and Sum
    // (acquire). Never freed: a block passes from thread to thread.
    std::atomic<Counts*> chunks[kChunks] = {};
    Block* next = nullptr;  // every block ever made (immutable once linked)
  };
  struct State;
  struct BlockOwner;  // gives a thread's block back when it exits
  static State& GetState();
  // Calls fn(Counts&) with the slot's counters in every block that has
  // them. REQUIRES: s.mu held.
  template <typename Fn>
  static void ForEachBlock(State& s, uint32_t slot, Fn fn);
  static Counts* CounterSlow(uint32_t slot);
  static void Bump(std::atomic<int64_t>& n) {
    n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  static __thread Block* t_block;
  static __thread bool t_exited;  // the block was given back: none again
};

}  // namespace internal
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_INTERNAL_THREAD_REFS_H_
