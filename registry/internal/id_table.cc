#include "registry/internal/id_table.h"

#include <cassert>
#include <new>

namespace btfreg {
namespace internal {

IdTable::Table* IdTable::Table::New(uint32_t size) {
  void* mem = ::operator new(sizeof(Table) + size * sizeof(std::atomic<BtfObject*>));
  Table* t = new (mem) Table;
  t->mask = size - 1;
  for (uint32_t i = 0; i < size; ++i) {
    new (&t->slots()[i]) std::atomic<BtfObject*>(nullptr);
  }
  return t;
}

void IdTable::FreeTable(void* table) {
  // The slots are trivially destructible atomics, the header trivial too.
  ::operator delete(table);
}

IdTable::IdTable(const Mutex& writer_mu) : writer_mu_(writer_mu), table_(Table::New(16)) {}

IdTable::~IdTable() {
  assert(published_ == 0 && "IdTable destroyed with objects published");
  FreeTable(table_.load(std::memory_order_relaxed));
}

uint32_t IdTable::AllocateId() {
  writer_mu_.AssertHeld();
  if ((published_ + 1) * 2 > capacity()) Grow();
  const Table* t = table_.load(std::memory_order_relaxed);
  // The table is at most half full, so a free slot is near.
  for (;;) {
    const uint32_t id = next_id_;
    next_id_ = id == kMaxId ? 1 : id + 1;
    if (t->slots()[id & t->mask].load(std::memory_order_relaxed) == nullptr) return id;
  }
}

void IdTable::Publish(BtfObject* obj) {
  writer_mu_.AssertHeld();
  Table* t = table_.load(std::memory_order_relaxed);
  std::atomic<BtfObject*>& slot = t->slots()[obj->id() & t->mask];
  assert(obj->id() != 0 && slot.load(std::memory_order_relaxed) == nullptr &&
         "Publish of an id AllocateId did not just return");
  // Release: a reader that sees the pointer sees the initialized object.
  slot.store(obj, std::memory_order_release);
  ++published_;
}

void IdTable::Unpublish(const BtfObject* obj) {
  writer_mu_.AssertHeld();
  Table* t = table_.load(std::memory_order_relaxed);
  std::atomic<BtfObject*>& slot = t->slots()[obj->id() & t->mask];
  assert(slot.load(std::memory_order_relaxed) == obj && "Unpublish of an object not published");
  slot.store(nullptr, std::memory_order_release);
  --published_;
}

std::vector<BtfObject*> IdTable::TakeAll() {
  writer_mu_.AssertHeld();
  std::vector<BtfObject*> out;
  Table* t = table_.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i <= t->mask; ++i) {
    BtfObject* obj = t->slots()[i].exchange(nullptr, std::memory_order_acq_rel);
    if (obj != nullptr) out.push_back(obj);
  }
  published_ = 0;
  return out;
}

void IdTable::SetNextId(uint32_t next) {
  writer_mu_.AssertHeld();
  assert(next >= 1 && next <= kMaxId && "SetNextId out of the id space");
  next_id_ = next;
}

size_t IdTable::published() const { return published_; }

size_t IdTable::capacity() const { return table_.load(std::memory_order_relaxed)->mask + 1; }

void IdTable::Grow() {
  Table* old = table_.load(std::memory_order_relaxed);
  Table* grown = Table::New((old->mask + 1) * 2);
  // Distinct slots modulo the old size stay distinct modulo the new one.
  for (uint32_t i = 0; i <= old->mask; ++i) {
    BtfObject* obj = old->slots()[i].load(std::memory_order_relaxed);
    if (obj != nullptr) grown->slots()[obj->id() & grown->mask].store(obj, std::memory_order_relaxed);
  }
  table_.store(grown, std::memory_order_release);
  rcu::CallAfterGracePeriod(&old->rcu, FreeTable, old);
}


}  // namespace internal
}  // namespace btfreg
