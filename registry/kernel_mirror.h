// registry/kernel_mirror.h: mirror the running kernel's BTF objects in a Registry.
//
// The kernel keeps its own BTF registry: vmlinux, one object per module with
// BTF (split on vmlinux), and the BTF that programs load. `bpftool btf list`
// shows it; the bpf syscall enumerates it (BPF_BTF_GET_NEXT_ID) and reads an
// object by id (BPF_BTF_GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD). A
// KernelMirror makes a Registry follow it:
//
//   btfreg::Registry registry;
//   btfreg::KernelMirror mirror(registry);
//   absl::StatusOr<btfreg::KernelSync> s = mirror.Sync();   // vmlinux + modules
//   btfreg::BtfRef mod = registry.GetByKernelId(42);         // or by name
//
// Each Sync lists the kernel's objects, registers the new ones (vmlinux as
// the base, modules as LIVE modules split on it, each with its kernel id) and
// retires the ones that disappeared since the last Sync with
// Registry::ModuleGone: their kernel id and name find nothing at once, while
// references taken before keep reading them. A module that unloads and loads
// again between two Syncs has a new kernel id, so it is retired and
// registered afresh (a new registry id; old references see the old object).
//
// Sources. The syscall needs CAP_SYS_ADMIN (or CAP_BPF); where it is refused,
// `/sys/kernel/btf/<name>` is the fallback (Options::sysfs_dir, injectable
// for tests): every file is vmlinux or a module, objects have no kernel id
// (0), and a file is judged changed when its inode, size or mtime is.
// KernelSync says which source was used and why the syscall was not.
//
// BTF from the kernel is parsed and validated as any input: an object that
// fails is reported in KernelSync::failed with the error and skipped; it is
// not parsed again until it changes (a new kernel id, or a changed file).
//
// Thread safety: Sync may be called from any thread; calls are serialized.
// Sync parses BTF holding only the mirror's own lock, never the registry's:
// lookups and other writers proceed meanwhile. The mirror must outlive any
// KernelWatcher that drives it, and the registry must outlive the mirror.

#ifndef BTFREG_REGISTRY_KERNEL_MIRROR_H_
#define BTFREG_REGISTRY_KERNEL_MIRROR_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "registry/registry.h"
#include "sync/mutex.h"

namespace btfreg {

// Where the kernel publishes vmlinux and module BTF as files.
inline constexpr char kSysfsBtfDir[] = "/sys/kernel/btf";

// One BTF object as the kernel lists it (`bpftool btf list`).
struct KernelBtfInfo {
  uint32_t id = 0;      // the kernel's BTF id (0 from sysfs, which has none)
  std::string name;     // "vmlinux", a module's name, or "" for program BTF
  uint32_t size = 0;    // bytes of raw BTF
  bool kernel = false;  // the kernel's own BTF: vmlinux or a module
};

// The kernel's BTF objects in id order, through the bpf syscall. Objects that
// go while being listed are left out. PermissionDenied (and the syscall's
// errno in the message) where the caller lacks the capability.
absl::StatusOr<std::vector<KernelBtfInfo>> ListKernelBtf();

// The raw BTF of kernel object `id` (a module's is split BTF), and its
// listing in `info` if non-null. NotFound if it has gone.
absl::StatusOr<std::vector<uint8_t>> ReadKernelBtf(uint32_t id,
                                                   KernelBtfInfo* info);

// The files of a /sys/kernel/btf-like directory, by name (size from stat).
absl::StatusOr<std::vector<KernelBtfInfo>> ListSysfsBtf(const std::string& dir);

// The kernel's BTF objects through the syscall or, where it is refused,
// `sysfs_dir`'s files (no kernel ids); `fallback_reason` says why the
// syscall was not used ("" if it was). An error only if neither works.
absl::StatusOr<std::vector<KernelBtfInfo>> ListBtfObjects(const std::string& sysfs_dir,
                                                          std::string* fallback_reason);

// What one KernelMirror::Sync did.
struct KernelSync {
  enum class Source { kSyscall, kSysfs } source = Source::kSyscall;
  std::string fallback_reason;  // why the syscall was not used; "" if it was
  int added = 0;                // registered (the base included)
  int known = 0;                // registered lazily, not parsed yet
  int retired = 0;              // gone from the kernel, retired
  int unchanged = 0;            // already mirrored (the base included)
  std::vector<std::string> failed;  // "name: error" for each new failure
};

class KernelMirror {
 public:
  struct Options {
    // kAuto: the syscall, else sysfs (with the reason in KernelSync).
    enum class Use { kAuto, kSyscall, kSysfs } use = Use::kAuto;
    std::string sysfs_dir = kSysfsBtfDir;
    // Also mirror BTF that programs loaded (standalone, anonymous objects),
    // as modules named "btf#<kernel id>". Off by default: tools want the
    // kernel's types; tests use such objects as stand-ins for modules.
    bool program_btf = false;
    // Register modules as known (Registry::ModuleKnown) and parse each the
    // first time it is asked for, instead of all of them at every Sync:
    // a tool that needs two modules of hundreds parses two. Failures are
    // then recorded by the registry (FailedModules), not in KernelSync.
    bool lazy = false;
  };

  explicit KernelMirror(Registry& registry) : KernelMirror(registry, Options()) {}
  KernelMirror(Registry& registry, Options options);
  KernelMirror(const KernelMirror&) = delete;
  KernelMirror& operator=(const KernelMirror&) = delete;

  // Brings the registry up to date with the kernel (see the file comment).
  // The base: if the registry has none, the kernel's vmlinux becomes it; if
  // it has one, modules are split on it (it must be the running kernel's).
  // Errors only when nothing can be listed or the base cannot be had;
  // single objects that fail are in KernelSync::failed.
  absl::StatusOr<KernelSync> Sync() ABSL_LOCKS_EXCLUDED(mu_);

  const Options& options() const { return options_; }

 private:
  // What the mirror registered (or failed to) under a name.
  struct Mirrored {
    uint32_t kernel_id = 0;
    // sysfs identity of the file
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool failed = false;  // parse failed; not registered
    bool same(const Mirrored& o) const {
      return kernel_id == o.kernel_id && ino == o.ino && size == o.size &&
             mtime_ns == o.mtime_ns;
    }
  };
  struct Seen {
    KernelBtfInfo info;
    Mirrored identity;
  };

  absl::StatusOr<std::vector<Seen>> List(KernelSync& sync);
  // Parses `seen` (outside any registry lock). Base: nullptr for vmlinux.
  absl::StatusOr<std::unique_ptr<Btf>> Parse(const Seen& seen,
                                             KernelSync::Source source,
                                             const Btf* base);
  // A loader that parses `seen` later; it does not refer to the mirror.
  ModuleLoader Loader(const Seen& seen, KernelSync::Source source) const;
  std::string RegistryName(const KernelBtfInfo& info) const;

  Registry& registry_;
  const Options options_;
  Mutex mu_;  // serializes Sync
  absl::flat_hash_map<std::string, Mirrored> mirrored_ ABSL_GUARDED_BY(mu_);
};

}  // namespace btfreg

#endif  // BTFREG_REGISTRY_KERNEL_MIRROR_H_
