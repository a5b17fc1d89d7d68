// registry/internal/id_table.h: registry ids to objects, for lock-free
// readers. Private to registry/.
//
// Id `i` lives in slot `i & mask` of a power-of-two table that doubles when
// half full, so a lookup is one array index plus an id check. Ids are
// allocated cyclically from 1 upward, never 0, and not reused until the
// 31-bit id space wraps (the kernel's idr_alloc_cyclic for btf_idr): a
// stale id finds nothing rather than another object. A grown table replaces
// the old one, which is freed after a grace period, as readers may still be
// indexing it.
//
// Thread safety: Lookup is lock-free, inside an RCU read section. Every
// other method is a writer's: the caller holds `writer_mu`, the lock given
// to the constructor (checked in debug builds).

#ifndef BTFREG_REGISTRY_INTERNAL_ID_TABLE_H_
#define BTFREG_REGISTRY_INTERNAL_ID_TABLE_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "registry/btf_ref.h"
#include "registry/rcu.h"
#include "sync/mutex.h"

namespace btfreg {
namespace internal {

class IdTable {
 public:
  static constexpr uint32_t kMaxId = 0x7fffffff;  // as the kernel's INT_MAX

  explicit IdTable(const Mutex& writer_mu);
  // REQUIRES: no reader is left, nor any object (TakeAll took them).
  ~IdTable();
  IdTable(const IdTable&) = delete;
  IdTable& operator=(const IdTable&) = delete;

  // The object published under `id`, or nullptr. REQUIRES: inside a read
  // section, which keeps the object readable.
  BtfObject* Lookup(uint32_t id) const {
    assert(rcu::InReadSection() && "lock-free lookup outside a read section");
    const Table* t = table_.load(std::memory_order_acquire);
    BtfObject* obj = t->slots()[id & t->mask].load(std::memory_order_acquire);
    // A lookup that hits is the one to lay out straight.
    if (__builtin_expect(obj == nullptr || obj->id() != id, 0)) return nullptr;
    return obj;
  }

  // The id the next Publish takes: the first free one from the cursor on,
  // after growing the table if one more object would make it over half full.
  uint32_t AllocateId();
  // Publishes `obj` under obj->id(), which AllocateId just returned.
  void Publish(BtfObject* obj);
  // Unpublishes `obj`: a Lookup of its id finds nothing from here on.
  void Unpublish(const BtfObject* obj);
  // Unpublishes every object and returns them (the registry's shutdown).
  std::vector<BtfObject*> TakeAll();
  // The id AllocateId tries first. REQUIRES: 1 <= next <= kMaxId.
  void SetNextId(uint32_t next);

  size_t published() const;  // objects published now
  size_t capacity() const;   // slots of the current table

 private:
  // A table and its slots, in one allocation (New, FreeTable).
  struct Table {
    static Table* New(uint32_t size);  // every slot nullptr
    std::atomic<BtfObject*>* slots() {
      return reinterpret_cast<std::atomic<BtfObject*>*>(this + 1);
    }
    const std::atomic<BtfObject*>* slots() const {
      return reinterpret_cast<const std::atomic<BtfObject*>*>(this + 1);
    }
    uint32_t mask;
    rcu::Callback rcu;
  };
  static_assert(sizeof(Table) % alignof(std::atomic<BtfObject*>) == 0,
                "the slots follow the Table header, aligned");
  static void FreeTable(void* table);
  void Grow();

  const Mutex& writer_mu_;
  std::atomic<Table*> table_;  // replaced by writers, read lock-free
  size_t published_ = 0;       // writers only
  uint32_t next_id_ = 1;       // writers only
};

}  // namespace internal
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_INTERNAL_ID_TABLE_H_
