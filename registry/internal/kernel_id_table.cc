#include "registry/internal/kernel_id_table.h"

namespace btfreg {
namespace internal {

KernelIdTable::KernelIdTable(const Mutex& writer_mu) : writer_mu_(writer_mu) {}

KernelIdTable::~KernelIdTable() { delete snapshot_.load(std::memory_order_relaxed); }

void KernelIdTable::Insert(BtfObject* obj) {
  writer_mu_.AssertHeld();
  assert(obj->kernel_id() != 0 && !all_.contains(obj->kernel_id()) &&
         "KernelIdTable::Insert of an id it has, or of 0");
  all_[obj->kernel_id()] = obj;
  Republish();
}

void KernelIdTable::Remove(const BtfObject* obj) {
  writer_mu_.AssertHeld();
  auto it = all_.find(obj->kernel_id());
  if (it == all_.end() || it->second != obj) return;
  all_.erase(it);
  Republish();
}

bool KernelIdTable::Contains(uint32_t kernel_id) const {
  writer_mu_.AssertHeld();
  return all_.contains(kernel_id);
}

BtfObject* KernelIdTable::Find(uint32_t kernel_id) const {
  writer_mu_.AssertHeld();
  auto it = all_.find(kernel_id);
  return it == all_.end() ? nullptr : it->second;
}

void KernelIdTable::Clear() {
  writer_mu_.AssertHeld();
  all_.clear();
  Republish();
}

void KernelIdTable::Republish() {
  Snapshot* fresh = nullptr;
  if (!all_.empty()) {
    uint32_t size = 8;
    while (size < 2 * all_.size()) size *= 2;
    fresh = new Snapshot{size - 1, std::make_unique<Entry[]>(size), {}};
    for (uint32_t i = 0; i < size; ++i) fresh->entries[i] = Entry{0, nullptr};
    for (const auto& [kernel_id, obj] : all_) {
      uint32_t i = Hash(kernel_id) & fresh->mask;
      while (fresh->entries[i].kernel_id != 0) i = (i + 1) & fresh->mask;
      fresh->entries[i] = Entry{kernel_id, obj};
    }
  }
  // Release: a reader that sees the snapshot sees its entries.
  Snapshot* old = snapshot_.exchange(fresh, std::memory_order_acq_rel);
  if (old != nullptr) rcu::CallAfterGracePeriod(&old->rcu, FreeSnapshot, old);
}

void KernelIdTable::FreeSnapshot(void* snapshot) { delete static_cast<Snapshot*>(snapshot); }

}  // namespace internal
}  // namespace btfreg
