// KernelMirror against the running kernel: BTF objects this test loads into
// the kernel stand in for modules coming and going (this kernel has no
// module BTF). Skips, saying why, where the bpf syscall is refused; the same
// lifecycle on a fake /sys/kernel/btf always runs (registry/kernel_test.cc).

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "registry/kernel_mirror.h"
#include "registry/registry.h"
#include "registry/watcher.h"

namespace btfreg {
namespace {

// A small BTF object loaded into the kernel: `struct <name> { int x; }`.
class KernelBtf {
 public:
  explicit KernelBtf(const std::string& name) : btf_(btf__new_empty()) {
    int i = btf__add_int(btf_, "int", 4, BTF_INT_SIGNED);
    int s = btf__add_struct(btf_, name.c_str(), 4);
    btf__add_field(btf_, "x", i, 0, 0);
    (void)s;
    if (btf__load_into_kernel(btf_) != 0) {
      error_ = errno;
      return;
    }
    bpf_btf_info info = {};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(btf__fd(btf_), &info, &len) == 0) id_ = info.id;
  }
  ~KernelBtf() { Close(); }
  // Closes our only fd: the kernel frees the object.
  void Close() {
    btf__free(btf_);
    btf_ = nullptr;
  }
  int error() const { return error_; }
  uint32_t id() const { return id_; }

 private:
  struct btf* btf_;
  int error_ = 0;
  uint32_t id_ = 0;
};

std::string Unique(const char* what) {
  return absl::StrCat("btfreg_mirror_", what, "_", getpid());
}

// Until the kernel has dropped object `id` (its release may be deferred).
bool KernelDropped(uint32_t id) {
  for (int i = 0; i < 1000; ++i) {
    int fd = bpf_btf_get_fd_by_id(id);
    if (fd < 0 && errno == ENOENT) return true;
    if (fd >= 0) close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class KernelMirrorRealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::vector<KernelBtfInfo>> listed = ListKernelBtf();
    if (!listed.ok()) {
      GTEST_SKIP() << "the bpf syscall is refused here ("
                   << listed.status().message()
                   << "); the fake-sysfs tests cover the same lifecycle";
    }
  }
};

TEST_F(KernelMirrorRealTest, ListsVmlinuxAsBpftoolDoes) {
  absl::StatusOr<std::vector<KernelBtfInfo>> listed = ListKernelBtf();
  ASSERT_TRUE(listed.ok());
  ASSERT_FALSE(listed->empty());
  const KernelBtfInfo& first = listed->front();
  EXPECT_EQ(first.name, "vmlinux");
  EXPECT_TRUE(first.kernel);
  EXPECT_GT(first.size, 1000u);
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadKernelBtf(first.id, nullptr);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), first.size);
  EXPECT_EQ(ReadKernelBtf(0x7ffffff0, nullptr).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(KernelMirrorRealTest, ObjectsComeAndGoWithTheKernel) {
  const std::string a_name = Unique("a"), b_name = Unique("b");
  KernelBtf a(a_name), b(b_name);
  ASSERT_EQ(a.error(), 0) << strerror(a.error());
  ASSERT_EQ(b.error(), 0) << strerror(b.error());
  ASSERT_NE(a.id(), 0u);

  Registry registry;
  KernelMirror::Options o;
  o.use = KernelMirror::Options::Use::kSyscall;
  o.program_btf = true;  // our objects stand in for modules
  KernelMirror mirror(registry, o);
  absl::StatusOr<KernelSync> s = mirror.Sync();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->source, KernelSync::Source::kSyscall);
  BtfRef base = registry.base();
  ASSERT_TRUE(base);
  EXPECT_NE(base.kernel_id(), 0u);
  EXPECT_NE(base->FindByName("task_struct", BTF_KIND_STRUCT), 0u);

  BtfRef ra = registry.GetByKernelId(a.id());
  BtfRef rb = registry.GetByKernelId(b.id());
  ASSERT_TRUE(ra);
  ASSERT_TRUE(rb);
  EXPECT_EQ(ra.name(), absl::StrCat("btf#", a.id()));
  EXPECT_NE(ra->FindByName(a_name, BTF_KIND_STRUCT), 0u);
  EXPECT_NE(rb->FindByName(b_name, BTF_KIND_STRUCT), 0u);
  EXPECT_EQ(rb->FindByName(a_name, BTF_KIND_STRUCT), 0u);

  const uint32_t b_id = b.id();
  b.Close();
  ASSERT_TRUE(KernelDropped(b_id)) << "the kernel kept BTF " << b_id;
  s = mirror.Sync();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GE(s->retired, 1);
  EXPECT_FALSE(registry.GetByKernelId(b_id));
  EXPECT_FALSE(registry.GetByName(rb.name()));
  EXPECT_TRUE(rb.going());
  EXPECT_NE(rb->FindByName(b_name, BTF_KIND_STRUCT), 0u);  // still readable
  EXPECT_EQ(registry.GetByKernelId(a.id()), ra);            // untouched
}

TEST_F(KernelMirrorRealTest, WithoutProgramBtfOnlyTheKernelsOwnAreMirrored) {
  KernelBtf a(Unique("c"));
  ASSERT_EQ(a.error(), 0);
  Registry registry;
  KernelMirror mirror(registry);  // kAuto, kernel BTF only
  absl::StatusOr<KernelSync> s = mirror.Sync();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->source, KernelSync::Source::kSyscall);
  EXPECT_EQ(s->fallback_reason, "");
  EXPECT_FALSE(registry.GetByKernelId(a.id()));
  for (const BtfRef& ref : registry.Snapshot()) EXPECT_NE(ref.kernel_id(), 0u);
}

// The watcher hears the kernel's uevents and syncs only for modules. This
// kernel has no loadable modules (CONFIG_MODULES=n: no module uevents), so a
// synthetic "change" on a device shows that the socket receives and that
// other subsystems' events are ignored.
TEST_F(KernelMirrorRealTest, WatcherHearsUeventsAndIgnoresOtherSubsystems) {
  Registry registry;
  KernelMirror mirror(registry);
  KernelWatcher::Options o;
  o.inotify = false;
  o.poll_interval = std::chrono::hours(1);
  KernelWatcher watcher(mirror, o);
  ASSERT_TRUE(watcher.Start().ok());
  if (!watcher.stats().uevents_open) GTEST_SKIP() << "no uevent socket here";
  const char* kDevice = "/sys/devices/software/uevent";
  {
    std::ofstream trigger(kDevice);
    trigger << "change";
    if (!trigger.flush()) GTEST_SKIP() << "cannot write " << kDevice;
  }
  for (int i = 0; i < 300 && watcher.stats().uevents_seen == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  KernelWatcher::Stats st = watcher.stats();
  if (st.uevents_seen == 0) {
    GTEST_SKIP() << "no uevent reached this process (they go to the initial "
                    "network namespace only)";
  }
  EXPECT_EQ(st.by_uevent, 0);
  EXPECT_EQ(st.syncs, 1);  // the first, in Start
}

}  // namespace
}  // namespace btfreg
