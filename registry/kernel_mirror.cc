#include "registry/kernel_mirror.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace btfreg {
namespace {

absl::Status SyscallError(absl::string_view what, int err) {
  return absl::ErrnoToStatus(err, absl::StrCat("bpf syscall: ", what));
}

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The BTF info of an open object; `data` (if non-null) receives its bytes.
absl::Status GetInfo(int fd, uint32_t id, KernelBtfInfo& out,
                     std::vector<uint8_t>* data) {
  char name[64] = {};
  bpf_btf_info info = {};
  info.name = reinterpret_cast<uintptr_t>(name);
  info.name_len = sizeof(name);
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
    return SyscallError(absl::StrCat("BPF_OBJ_GET_INFO_BY_FD of BTF ", id), errno);
  }
  out.id = info.id;
  out.name.assign(name, strnlen(name, sizeof(name)));
  out.size = info.btf_size;
  out.kernel = info.kernel_btf != 0;
  if (data == nullptr) return absl::OkStatus();
  // A second call with a buffer of the size the first reported; BTF objects
  // are immutable, so the size cannot change in between.
  data->assign(info.btf_size, 0);
  bpf_btf_info again = {};
  again.btf = reinterpret_cast<uintptr_t>(data->data());
  again.btf_size = static_cast<uint32_t>(data->size());
  len = sizeof(again);
  if (bpf_obj_get_info_by_fd(fd, &again, &len) != 0) {
    return SyscallError(absl::StrCat("BPF_OBJ_GET_INFO_BY_FD of BTF ", id), errno);
  }
  return absl::OkStatus();
}

int64_t MtimeNs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

absl::StatusOr<std::vector<KernelBtfInfo>> ListKernelBtf() {
  std::vector<KernelBtfInfo> out;
  uint32_t id = 0;
  for (;;) {
    if (bpf_btf_get_next_id(id, &id) != 0) {
      if (errno == ENOENT) break;  // the end of the list
      return SyscallError("BPF_BTF_GET_NEXT_ID", errno);
    }
    const int fd = bpf_btf_get_fd_by_id(id);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // went while we listed
      return SyscallError(absl::StrCat("BPF_BTF_GET_FD_BY_ID ", id), errno);
    }
    Fd closer(fd);
    KernelBtfInfo info;
    absl::Status s = GetInfo(fd, id, info, nullptr);
    if (!s.ok()) return s;
    out.push_back(std::move(info));
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> ReadKernelBtf(uint32_t id,
                                                   KernelBtfInfo* info) {
  const int fd = bpf_btf_get_fd_by_id(id);
  if (fd < 0) {
    return SyscallError(absl::StrCat("BPF_BTF_GET_FD_BY_ID ", id), errno);
  }
  Fd closer(fd);
  KernelBtfInfo listed;
  std::vector<uint8_t> data;
  absl::Status s = GetInfo(fd, id, listed, &data);
  if (!s.ok()) return s;
  if (info != nullptr) *info = std::move(listed);
  return data;
}

absl::StatusOr<std::vector<KernelBtfInfo>> ListSysfsBtf(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return absl::ErrnoToStatus(errno, absl::StrCat("opendir ", dir));
  std::vector<KernelBtfInfo> out;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    struct stat st;
    if (stat(absl::StrCat(dir, "/", e->d_name).c_str(), &st) != 0 ||
        !S_ISREG(st.st_mode)) {
      continue;  // gone meanwhile, or not a BTF file
    }
    KernelBtfInfo info;
    info.name = e->d_name;
    info.size = static_cast<uint32_t>(std::min<off_t>(st.st_size, UINT32_MAX));
    info.kernel = true;
    out.push_back(std::move(info));
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const KernelBtfInfo& a, const KernelBtfInfo& b) {
    return (a.name == "vmlinux") != (b.name == "vmlinux") ? a.name == "vmlinux"
                                                           : a.name < b.name;
  });
  return out;
}

KernelMirror::KernelMirror(Registry& registry, Options options)
    : registry_(registry), options_(std::move(options)) {}

std::string KernelMirror::RegistryName(const KernelBtfInfo& info) const {
  if (info.kernel) return info.name;
  return absl::StrCat("btf#", info.id);
}

absl::StatusOr<std::vector<KernelBtfInfo>> ListBtfObjects(const std::string& sysfs_dir,
                                                          std::string* fallback_reason) {
  fallback_reason->clear();
  absl::StatusOr<std::vector<KernelBtfInfo>> listed = ListKernelBtf();
  if (listed.ok()) return listed;
  *fallback_reason = std::string(listed.status().message());
  absl::StatusOr<std::vector<KernelBtfInfo>> files = ListSysfsBtf(sysfs_dir);
  if (files.ok()) return files;
  return absl::Status(files.status().code(), absl::StrCat(*fallback_reason, "; and ",
                                                          files.status().message()));
}

absl::StatusOr<std::vector<KernelMirror::Seen>> KernelMirror::List(
    KernelSync& sync) {
  absl::StatusOr<std::vector<KernelBtfInfo>> listed;
  switch (options_.use) {
    case Options::Use::kAuto:
      listed = ListBtfObjects(options_.sysfs_dir, &sync.fallback_reason);
      break;
    case Options::Use::kSyscall:
      listed = ListKernelBtf();
      break;
    case Options::Use::kSysfs:
      listed = ListSysfsBtf(options_.sysfs_dir);
      break;
  }
  if (!listed.ok()) return listed.status();
  const bool syscall = options_.use == Options::Use::kSyscall ||
                       (options_.use == Options::Use::kAuto && sync.fallback_reason.empty());
  sync.source = syscall ? KernelSync::Source::kSyscall : KernelSync::Source::kSysfs;
  std::vector<Seen> seen;
  if (syscall) {
    for (KernelBtfInfo& info : *listed) {
      if (!info.kernel && !options_.program_btf) continue;
      Seen s;
      s.identity.kernel_id = info.id;
      s.info = std::move(info);
      seen.push_back(std::move(s));
    }
    return seen;
  }
  for (KernelBtfInfo& info : *listed) {
    Seen s;
    struct stat st;
    if (stat(absl::StrCat(options_.sysfs_dir, "/", info.name).c_str(), &st) != 0) {
      continue;
    }
    s.identity.ino = st.st_ino;
    s.identity.size = st.st_size;
    s.identity.mtime_ns = MtimeNs(st);
    s.info = std::move(info);
    seen.push_back(std::move(s));
  }
  return seen;
}

namespace {

// Where one object's BTF is read from, and how it is parsed.
struct Origin {
  KernelSync::Source source;
  std::string path;   // sysfs
  uint32_t id = 0;    // syscall
  bool split = true;  // on the base (vmlinux itself and program BTF: no)
  std::string label;

  absl::StatusOr<std::unique_ptr<Btf>> Parse(const Btf* base) const {
    if (source == KernelSync::Source::kSysfs) {
      if (base == nullptr) return Btf::LoadVmlinux(path);
      return Btf::LoadSplitFile(path, *base);
    }
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadKernelBtf(id, nullptr);
    if (!bytes.ok()) return bytes.status();
    if (base == nullptr || !split) return Btf::LoadBytes(*bytes, label);
    return Btf::LoadSplitBytes(*bytes, label, *base);
  }
};

Origin OriginOf(const KernelBtfInfo& info, KernelSync::Source source,
                const std::string& dir, const std::string& registry_name) {
  return Origin{source, absl::StrCat(dir, "/", info.name), info.id, info.kernel,
                absl::StrCat("kernel BTF ", info.id, " (", registry_name, ")")};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Btf>> KernelMirror::Parse(
    const Seen& seen, KernelSync::Source source, const Btf* base) {
  return OriginOf(seen.info, source, options_.sysfs_dir, RegistryName(seen.info)).Parse(base);
}

ModuleLoader KernelMirror::Loader(const Seen& seen, KernelSync::Source source) const {
  Origin origin = OriginOf(seen.info, source, options_.sysfs_dir, RegistryName(seen.info));
  return [origin](const Btf& base) -> absl::StatusOr<std::unique_ptr<const Btf>> {
    absl::StatusOr<std::unique_ptr<Btf>> btf = origin.Parse(&base);
    if (!btf.ok()) return btf.status();
    return std::unique_ptr<const Btf>(std::move(*btf));
  };
}

absl::StatusOr<KernelSync> KernelMirror::Sync() {
  MutexLock l(mu_);
  KernelSync sync;
  absl::StatusOr<std::vector<Seen>> listed = List(sync);
  if (!listed.ok()) return listed.status();

  // The base first: modules are split on it.
  BtfRef base = registry_.base();
  if (!base) {
    auto it = std::find_if(listed->begin(), listed->end(), [](const Seen& s) {
      return s.info.kernel && s.info.name == "vmlinux";
    });
    if (it == listed->end()) {
      return absl::NotFoundError(
          "the kernel lists no vmlinux BTF to use as the base");
    }
    absl::StatusOr<std::unique_ptr<Btf>> btf = Parse(*it, sync.source, nullptr);
    if (!btf.ok()) return btf.status();
    absl::StatusOr<BtfRef> ref = registry_.RegisterBase(std::move(*btf), it->info.id);
    if (!ref.ok()) return ref.status();
    base = std::move(*ref);
    ++sync.added;
  } else {
    ++sync.unchanged;  // the base, mirrored before (or registered by hand)
  }

  // Retire what went (or changed: a reload is a retire and an add).
  absl::flat_hash_map<std::string, const Seen*> now;
  for (const Seen& s : *listed) {
    if (!(s.info.kernel && s.info.name == "vmlinux")) now[RegistryName(s.info)] = &s;
  }
  for (auto it = mirrored_.begin(); it != mirrored_.end();) {
    auto found = now.find(it->first);
    if (found != now.end() && found->second->identity.same(it->second)) {
      ++it;
      continue;
    }
    if (!it->second.failed && registry_.ModuleGone(it->first).ok()) ++sync.retired;
    mirrored_.erase(it++);
  }

  // Register what came.
  for (const auto& [name, s] : now) {
    if (mirrored_.contains(name)) {
      if (!mirrored_[name].failed) ++sync.unchanged;
      continue;
    }
    Mirrored m = s->identity;
    if (options_.lazy) {
      absl::Status known = registry_.ModuleKnown(name, Loader(*s, sync.source), s->info.id);
      m.failed = !known.ok();
      mirrored_[name] = m;
      if (known.ok()) {
        ++sync.known;
      } else {
        sync.failed.push_back(absl::StrCat(name, ": ", known.message()));
      }
      continue;
    }
    absl::StatusOr<std::unique_ptr<Btf>> btf = Parse(*s, sync.source, base.get());
    absl::Status st = btf.status();
    if (btf.ok()) {
      absl::StatusOr<BtfRef> ref =
          registry_.ModuleComingParsed(name, std::move(*btf), s->info.id);
      st = ref.ok() ? registry_.ModuleLive(name) : ref.status();
    }
    if (absl::IsNotFound(st) && sync.source == KernelSync::Source::kSyscall) {
      continue;  // went between the listing and the read: not ours to keep
    }
    m.failed = !st.ok();
    mirrored_[name] = m;
    if (m.failed) {
      sync.failed.push_back(absl::StrCat(name, ": ", st.message()));
    } else {
      ++sync.added;
    }
  }
  return sync;
}

}  // namespace btfreg
