#include "registry/internal/handle_table.h"

#include <cassert>

namespace btfreg {
namespace internal {

HandleTable::HandleTable(const Mutex& writer_mu)
    : writer_mu_(writer_mu), slots_(new std::atomic<BtfObject*>[kSlots]), gens_(kSlots, 0) {
  free_.reserve(kSlots);
  for (uint32_t i = 0; i < kSlots; ++i) {
    slots_[i].store(nullptr, std::memory_order_relaxed);
    free_.push_back(static_cast<uint16_t>(kSlots - 1 - i));  // slot 0 first
  }
}

void HandleTable::Publish(BtfObject* obj) {
  writer_mu_.AssertHeld();
  assert(obj->handle_.gen == 0 && "HandleTable::Publish of an object with a handle");
  if (free_.empty()) return;  // no handle
  const uint16_t slot = free_.back();
  free_.pop_back();
  uint16_t gen = ++gens_[slot];
  if (gen == 0) gen = ++gens_[slot];  // 0 means "no handle"
  obj->handle_ = BtfHandle{slot, gen};
  slots_[slot].store(obj, std::memory_order_release);
}

void HandleTable::Unpublish(const BtfObject* obj) {
  writer_mu_.AssertHeld();
  const BtfHandle h = obj->handle();
  if (h.gen == 0) return;
  assert(slots_[h.slot].load(std::memory_order_relaxed) == obj &&
         "HandleTable::Unpublish of an object not published");
  slots_[h.slot].store(nullptr, std::memory_order_release);
  free_.push_back(h.slot);
}

}  // namespace internal
}  // namespace btfreg
