// registry/internal/kernel_id_table.h: the kernel's BTF ids to objects, for
// lock-free readers. Private to registry/.
//
// Kernel ids come from outside (BPF_BTF_GET_NEXT_ID), so they cannot choose
// their slot as registry ids do: readers probe an open-addressing snapshot,
// at most half full, that writers replace whole on every change (a module
// with a kernel id coming or going: at the rate of module loads). A
// replaced snapshot is freed after a grace period, as readers may still be
// probing it.
//
// Thread safety: Lookup is lock-free, inside an RCU read section. Every
// other method is a writer's: the caller holds `writer_mu`, the lock given
// to the constructor (checked in debug builds).

#ifndef BTFREG_REGISTRY_INTERNAL_KERNEL_ID_TABLE_H_
#define BTFREG_REGISTRY_INTERNAL_KERNEL_ID_TABLE_H_

#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "registry/btf_ref.h"
#include "registry/rcu.h"
#include "sync/mutex.h"

namespace btfreg {
namespace internal {

class KernelIdTable {
 public:
  explicit KernelIdTable(const Mutex& writer_mu);
  // REQUIRES: no reader is left.
  ~KernelIdTable();
  KernelIdTable(const KernelIdTable&) = delete;
  KernelIdTable& operator=(const KernelIdTable&) = delete;

  // The object published with this kernel id, unless it is going; else
  // nullptr. REQUIRES: inside a read section, which keeps it readable.
  BtfObject* Lookup(uint32_t kernel_id) const {
    assert(rcu::InReadSection() && "lock-free lookup outside a read section");
    const Snapshot* s = snapshot_.load(std::memory_order_acquire);
    if (s == nullptr || kernel_id == 0) return nullptr;
    for (uint32_t i = Hash(kernel_id) & s->mask;; i = (i + 1) & s->mask) {
      const Entry& e = s->entries[i];
      if (e.kernel_id == 0) return nullptr;
      if (e.kernel_id == kernel_id) return e.obj->going() ? nullptr : e.obj;
    }
  }

  // REQUIRES: obj->kernel_id() != 0 and not in the table.
  void Insert(BtfObject* obj);
  // Removes obj, if it is there under its kernel id.
  void Remove(const BtfObject* obj);
  bool Contains(uint32_t kernel_id) const;
  // The object with this kernel id, going or not (writers), or nullptr.
  BtfObject* Find(uint32_t kernel_id) const;
  void Clear();

 private:
  struct Entry {
    uint32_t kernel_id;  // 0: empty
    BtfObject* obj;
  };
  struct Snapshot {
    uint32_t mask;
    std::unique_ptr<Entry[]> entries;
    rcu::Callback rcu;
  };
  static uint32_t Hash(uint32_t id) { return id * 0x9e3779b1u >> 7; }
  // Builds a snapshot of all_ and publishes it; the old one goes after a
  // grace period.
  void Republish();
  static void FreeSnapshot(void* snapshot);

  const Mutex& writer_mu_;
  absl::flat_hash_map<uint32_t, BtfObject*> all_;  // writers only
  std::atomic<Snapshot*> snapshot_{nullptr};
};

}  // namespace internal
}  // namespace btfreg

#endif  // BTFREG_REGISTRY_INTERNAL_KERNEL_ID_TABLE_H_
