// registry/internal/handle_table.h: compact handles {slot, generation} to
// objects, for lock-free readers. Private to registry/.
//
// A fixed table of kSlots slots. Publishing an object gives it a free slot
// (last freed, first reused) and the slot's next generation, never 0; an
// object published while every slot is taken gets no handle (gen 0). A
// lookup checks that the slot still holds an object with that very handle,
// so a stale handle finds nothing, until one slot's 16-bit generation wraps.
//
// Thread safety: Lookup is lock-free, inside an RCU read section. Publish
// and Unpublish are writers': the caller holds `writer_mu`, the lock given
// to the constructor (checked in debug builds).

#ifndef BTFREG_REGISTRY_INTERNAL_HANDLE_TABLE_H_
#define BTFREG_REGISTRY_INTERNAL_HANDLE_TABLE_H_

#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

#include "registry/btf_ref.h"
#include "registry/rcu.h"
#include "sync/mutex.h"

namespace btfreg {
namespace internal {

class HandleTable {
 public:
  static constexpr uint32_t kSlots = 1 << 14;

  explicit HandleTable(const Mutex& writer_mu);
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  // The object holding `handle`, or nullptr. (The registry unpublishes an
  // object's handle as it marks it going.) REQUIRES: inside a read section,
  // which keeps the object readable.
  BtfObject* Lookup(BtfHandle handle) const {
    assert(rcu::InReadSection() && "lock-free lookup outside a read section");
    if (handle.gen == 0 || handle.slot >= kSlots) return nullptr;
    BtfObject* obj = slots_[handle.slot].load(std::memory_order_acquire);
    if (obj == nullptr || !(obj->handle() == handle)) return nullptr;
    return obj;
  }

  // Gives `obj` a handle (or none, gen 0, when the table is full) and
  // publishes it there. REQUIRES: obj has no handle yet.
  void Publish(BtfObject* obj);
  // Frees obj's slot, if it has one: a Lookup of its handle finds nothing.
  void Unpublish(const BtfObject* obj);

 private:
  const Mutex& writer_mu_;
  const std::unique_ptr<std::atomic<BtfObject*>[]> slots_;  // read lock-free
  std::vector<uint16_t> free_;  // writers only; LIFO
  std::vector<uint16_t> gens_;  // writers only; the slot's last generation
};

}  // namespace internal
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_INTERNAL_HANDLE_TABLE_H_
