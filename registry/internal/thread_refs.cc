#include "registry/internal/thread_refs.h"

#include <cassert>
#include <mutex>
#include <vector>

namespace btfreg {
namespace internal {

// A chunk of counters is one 4 KiB page of a thread's own, its two counters
// per slot side by side.
static_assert(sizeof(ThreadRefs::Counts) * ThreadRefs::kChunk == 4096,
              "ThreadRefs: a chunk of counters must be one 4 KiB page");

__thread ThreadRefs::Block* ThreadRefs::t_block = nullptr;
__thread bool ThreadRefs::t_exited = false;

// Slots and blocks, per process. A plain std::mutex: it is taken only to
// give out a slot, a block or a chunk, and to drain a slot, at the rate of
// module loads and thread starts, never on a lookup.
struct ThreadRefs::State {
  std::mutex mu;
  uint32_t next_slot = 0;            // slots below it were given out once
  std::vector<uint32_t> free_slots;  // drained; LIFO
  Block* all = nullptr;              // every block, newest first
  std::vector<Block*> idle;          // blocks of threads that exited
};

ThreadRefs::State& ThreadRefs::GetState() {
  static State* s = new State;  // never destroyed: threads may exit after main
  return *s;
}

// Its destructor runs before those of the thread's thread_locals that were
// constructed earlier; a BtfRef one of them drops then finds no block and
// counts in the atomic count.
struct ThreadRefs::BlockOwner {
  ~BlockOwner() {
    State& s = GetState();
    std::lock_guard<std::mutex> l(s.mu);
    s.idle.push_back(t_block);
    t_block = nullptr;
    t_exited = true;
  }
};

uint32_t ThreadRefs::AllocateSlot() {
  State& s = GetState();
  std::lock_guard<std::mutex> l(s.mu);
  if (!s.free_slots.empty()) {
    const uint32_t slot = s.free_slots.back();
    s.free_slots.pop_back();
    return slot;
  }
  return s.next_slot < kSlots ? s.next_slot++ : kNoSlot;
}

template <typename Fn>
void ThreadRefs::ForEachBlock(State& s, uint32_t slot, Fn fn) {
  for (Block* b = s.all; b != nullptr; b = b->next) {
    Counts* chunk = b->chunks[slot / kChunk].load(std::memory_order_acquire);
    if (chunk != nullptr) fn(chunk[slot % kChunk]);
  }
}

int64_t ThreadRefs::Drain(uint32_t slot) {
  assert(slot < kSlots && "Drain of no slot");
  State& s = GetState();
  std::lock_guard<std::mutex> l(s.mu);
  int64_t sum = 0;
  ForEachBlock(s, slot, [&](Counts& c) {
    sum += c.taken.exchange(0, std::memory_order_relaxed);
    sum -= c.dropped.exchange(0, std::memory_order_relaxed);
  });
  s.free_slots.push_back(slot);
  return sum;
}

int64_t ThreadRefs::Sum(uint32_t slot) {
  State& s = GetState();
  std::lock_guard<std::mutex> l(s.mu);
  int64_t sum = 0;
  ForEachBlock(s, slot, [&](Counts& c) {
    // Dropped first: a reference taken and dropped on this thread meanwhile
    // is then seen taken, never only dropped.
    const int64_t dropped = c.dropped.load(std::memory_order_acquire);
    sum += c.taken.load(std::memory_order_acquire) - dropped;
  });
  return sum;
}

ThreadRefs::Counts* ThreadRefs::CounterSlow(uint32_t slot) {
  assert(slot < kSlots && "Counter of no slot");
  if (t_exited) return nullptr;
  if (t_block == nullptr) {
    static thread_local BlockOwner owner;  // from here on, gives the block back at exit
    (void)owner;
    State& s = GetState();
    std::lock_guard<std::mutex> l(s.mu);
    if (!s.idle.empty()) {
      t_block = s.idle.back();
      s.idle.pop_back();
    } else {
      t_block = new Block;
      t_block->next = s.all;
      s.all = t_block;
    }
  }
  std::atomic<Counts*>& chunk = t_block->chunks[slot / kChunk];
  if (chunk.load(std::memory_order_relaxed) == nullptr) {
    auto* counts = new Counts[kChunk];
    for (uint32_t i = 0; i < kChunk; ++i) {
      counts[i].taken.store(0, std::memory_order_relaxed);
      counts[i].dropped.store(0, std::memory_order_relaxed);
    }
    chunk.store(counts, std::memory_order_release);  // Drain and Sum read it
  }
  return &chunk.load(std::memory_order_relaxed)[slot % kChunk];
}

}  // namespace internal
}  // namespace btfreg
