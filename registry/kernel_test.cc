// KernelMirror and KernelWatcher on a fake /sys/kernel/btf: a directory
// holding the fixture vmlinux and generated module BTF. Runs everywhere; the
// real kernel is tested in tests/kernel_mirror_test.cc.

#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "registry/kernel_mirror.h"
#include "registry/testing.h"
#include "registry/watcher.h"

namespace btfreg {
namespace {

using testing_util::kBasePath;
using testing_util::ModuleBytes;
using testing_util::ReadAll;

// A fresh fake /sys/kernel/btf with vmlinux in it.
class FakeSysfs {
 public:
  FakeSysfs() {
    static int n = 0;
    const char* tmp = getenv("TEST_TMPDIR");
    dir_ = absl::StrCat(tmp ? tmp : "/tmp", "/sysfs_btf_", getpid(), "_", n++);
    EXPECT_EQ(system(absl::StrCat("rm -rf ", dir_, " && mkdir -p ", dir_).c_str()), 0);
    Put("vmlinux", ReadAll(kBasePath));
  }
  ~FakeSysfs() { EXPECT_EQ(system(absl::StrCat("rm -rf ", dir_).c_str()), 0); }

  // Appears whole (written aside, then renamed in), as the kernel's do.
  void Put(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string aside = absl::StrCat(dir_, "/../", name, ".tmp", getpid());
    std::ofstream(aside, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    ASSERT_EQ(rename(aside.c_str(), Path(name).c_str()), 0);
  }
  void Remove(const std::string& name) { ASSERT_EQ(unlink(Path(name).c_str()), 0); }
  std::string Path(const std::string& name) const { return absl::StrCat(dir_, "/", name); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

KernelMirror::Options SysfsOptions(const FakeSysfs& fs) {
  KernelMirror::Options o;
  o.use = KernelMirror::Options::Use::kSysfs;
  o.sysfs_dir = fs.dir();
  return o;
}

// Polls `pred` for up to 10 s.
template <typename Pred>
bool Eventually(Pred pred) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

TEST(KernelMirrorTest, SysfsSyncRegistersBaseAndModules) {
  FakeSysfs fs;
  fs.Put("alpha", ModuleBytes("alpha", 2));
  fs.Put("beta", ModuleBytes("beta", 4));
  Registry registry;
  KernelMirror mirror(registry, SysfsOptions(fs));
  absl::StatusOr<KernelSync> s = mirror.Sync();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->source, KernelSync::Source::kSysfs);
  EXPECT_EQ(s->fallback_reason, "");  // asked for sysfs: nothing fell back
  EXPECT_EQ(s->added, 3);
  EXPECT_TRUE(s->failed.empty());
  ASSERT_TRUE(registry.base());
  EXPECT_NE(registry.base()->FindByName("task_struct", BTF_KIND_STRUCT), 0u);
  absl::StatusOr<BtfRef> beta = registry.TryGetModule("beta");  // LIVE
  ASSERT_TRUE(beta.ok()) << beta.status();
  EXPECT_NE((*beta)->FindByName("beta_obj3", BTF_KIND_STRUCT), 0u);
  EXPECT_EQ(beta->kernel_id(), 0u);  // sysfs has no kernel ids

  s = mirror.Sync();  // nothing changed: the base and both modules
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->added, 0);
  EXPECT_EQ(s->retired, 0);
  EXPECT_EQ(s->unchanged, 3);
}

TEST(KernelMirrorTest, SysfsRemovalRetiresButReferencesStayReadable) {
  FakeSysfs fs;
  fs.Put("alpha", ModuleBytes("alpha", 2));
  Registry registry;
  KernelMirror mirror(registry, SysfsOptions(fs));
  ASSERT_TRUE(mirror.Sync().ok());
  BtfRef alpha = registry.GetByName("alpha");
  ASSERT_TRUE(alpha);
  auto pin = registry.TryPinModule("alpha");  // cannot hold back the kernel
  ASSERT_TRUE(pin.ok());
  const uint32_t id = alpha.id();

  fs.Remove("alpha");
  absl::StatusOr<KernelSync> s = mirror.Sync();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->retired, 1);
  EXPECT_FALSE(registry.GetById(id));
  EXPECT_FALSE(registry.GetByName("alpha"));
  EXPECT_TRUE(alpha.going());
  EXPECT_NE(alpha->FindByName("alpha_obj1", BTF_KIND_STRUCT), 0u);
  EXPECT_EQ(registry.Stats().going_referenced, 1);
}

TEST(KernelMirrorTest, SysfsReloadIsANewObject) {
  FakeSysfs fs;
  fs.Put("alpha", ModuleBytes("alpha", 2));
  Registry registry;
  KernelMirror mirror(registry, SysfsOptions(fs));
  ASSERT_TRUE(mirror.Sync().ok());
  BtfRef old = registry.GetByName("alpha");
  fs.Put("alpha", ModuleBytes("alpha", 5));  // unloaded and loaded again
  absl::StatusOr<KernelSync> s = mirror.Sync();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->retired, 1);
  EXPECT_EQ(s->added, 1);
  BtfRef now = registry.GetByName("alpha");
  ASSERT_TRUE(now);
  EXPECT_NE(now.id(), old.id());
  EXPECT_NE(now->FindByName("alpha_obj4", BTF_KIND_STRUCT), 0u);
  EXPECT_EQ(old->FindByName("alpha_obj4", BTF_KIND_STRUCT), 0u);  // the old one
}

TEST(KernelMirrorTest, BadModuleIsReportedOnceAndOthersWork) {
  FakeSysfs fs;
  fs.Put("good", ModuleBytes("good", 2));
  std::vector<uint8_t> bad = ModuleBytes("bad", 2);
  bad.resize(bad.size() / 2);  // truncated
  fs.Put("bad", bad);
  Registry registry;
  KernelMirror mirror(registry, SysfsOptions(fs));
  absl::StatusOr<KernelSync> s = mirror.Sync();
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->failed.size(), 1u);
  EXPECT_NE(s->failed[0].find("bad: "), std::string::npos) << s->failed[0];
  EXPECT_NE(s->failed[0].find(fs.Path("bad")), std::string::npos) << s->failed[0];
  EXPECT_TRUE(registry.TryGetModule("good").ok());
  EXPECT_FALSE(registry.GetByName("bad"));

  s = mirror.Sync();  // not parsed again while unchanged
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->failed.empty());
  fs.Put("bad", ModuleBytes("bad", 2));  // fixed
  s = mirror.Sync();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->added, 1);
  EXPECT_TRUE(registry.TryGetModule("bad").ok());
}

TEST(KernelMirrorTest, LazyMirrorParsesOnFirstUseAndIsolatesFailures) {
  FakeSysfs fs;
  fs.Put("alpha", ModuleBytes("alpha", 2));
  std::vector<uint8_t> bad = ModuleBytes("bad", 2);
  bad.resize(bad.size() / 2);
  fs.Put("bad", bad);
  Registry registry;
  KernelMirror::Options o = SysfsOptions(fs);
  o.lazy = true;
  KernelMirror mirror(registry, o);
  absl::StatusOr<KernelSync> s = mirror.Sync();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->added, 1);  // the base
  EXPECT_EQ(s->known, 2);  // parsed by nobody yet
  EXPECT_TRUE(s->failed.empty());
  EXPECT_EQ(registry.Stats().modules_known, 2);

  EXPECT_TRUE(registry.TryGetModule("alpha").ok());
  absl::StatusOr<BtfRef> b = registry.TryGetModule("bad");
  EXPECT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find(fs.Path("bad")), std::string::npos) << b.status();
  ASSERT_EQ(registry.FailedModules().size(), 1u);
  EXPECT_EQ(registry.Stats().modules_failed, 1);

  fs.Remove("bad");
  fs.Remove("alpha");
  s = mirror.Sync();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->retired, 2);
  RegistryStats st = registry.Stats();
  EXPECT_EQ(st.modules_failed, 0);
  EXPECT_EQ(st.modules_live, 0);
}

TEST(KernelMirrorTest, MissingDirectoryIsAnError) {
  Registry registry;
  KernelMirror::Options o;
  o.use = KernelMirror::Options::Use::kSysfs;
  o.sysfs_dir = "/nonexistent/btf";
  absl::StatusOr<KernelSync> s = KernelMirror(registry, o).Sync();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/nonexistent/btf"), std::string::npos);
}

// Without CAP_SYS_ADMIN and CAP_BPF the syscall is refused: kAuto falls back
// to sysfs and says why. Run in a child, which drops its capabilities.
TEST(KernelMirrorTest, AutoFallsBackToSysfsWhereTheSyscallIsRefused) {
  FakeSysfs fs;
  fs.Put("alpha", ModuleBytes("alpha", 2));
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capset, &hdr, data) != 0) _exit(3);
    Registry registry;
    KernelMirror::Options o = SysfsOptions(fs);
    o.use = KernelMirror::Options::Use::kAuto;
    absl::StatusOr<KernelSync> s = KernelMirror(registry, o).Sync();
    std::string out = s.ok() ? absl::StrCat(s->source == KernelSync::Source::kSysfs
                                                ? "sysfs "
                                                : "syscall ",
                                            s->added, " ", s->fallback_reason)
                             : s.status().ToString();
    if (write(pipefd[1], out.data(), out.size()) < 0) _exit(4);
    _exit(0);
  }
  close(pipefd[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof(buf))) > 0;) got.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(got.rfind("sysfs 2 bpf syscall: BPF_BTF_GET_NEXT_ID", 0), 0u) << got;
}

TEST(KernelWatcherTest, ModuleUeventsAreRecognized) {
  using namespace std::string_literals;
  EXPECT_TRUE(IsModuleUevent("add@/module/nf_tables\0ACTION=add\0DEVPATH=/module/nf_tables\0SUBSYSTEM=module\0SEQNUM=9\0"s));
  EXPECT_TRUE(IsModuleUevent("remove@/module/x\0ACTION=remove\0SUBSYSTEM=module"s));
  EXPECT_FALSE(IsModuleUevent("change@/module/x\0ACTION=change\0SUBSYSTEM=module\0"s));
  EXPECT_FALSE(IsModuleUevent("add@/devices/x\0ACTION=add\0SUBSYSTEM=pci\0"s));
  EXPECT_FALSE(IsModuleUevent("SUBSYSTEM=modulex\0ACTION=add\0"s));
  EXPECT_FALSE(IsModuleUevent(""));
}

TEST(KernelWatcherTest, InotifyPicksUpModulesComingAndGoing) {
  FakeSysfs fs;
  Registry registry;
  KernelMirror mirror(registry, SysfsOptions(fs));
  KernelWatcher::Options o;
  o.uevents = false;
  o.poll_interval = std::chrono::hours(1);  // only inotify can wake it
  KernelWatcher watcher(mirror, o);
  ASSERT_TRUE(watcher.Start().ok());
  ASSERT_TRUE(watcher.stats().inotify_open);
  EXPECT_TRUE(registry.base());  // the first Sync ran in Start

  fs.Put("gamma", ModuleBytes("gamma", 3));
  EXPECT_TRUE(Eventually([&] { return registry.TryGetModule("gamma").ok(); }));
  BtfRef gamma = registry.GetByName("gamma");
  fs.Remove("gamma");
  EXPECT_TRUE(Eventually([&] { return !registry.GetByName("gamma"); }));
  ASSERT_TRUE(gamma);
  EXPECT_NE(gamma->FindByName("gamma_obj2", BTF_KIND_STRUCT), 0u);
  watcher.Stop();
  KernelWatcher::Stats st = watcher.stats();
  EXPECT_GE(st.by_inotify, 2);
  EXPECT_EQ(st.by_poll, 0);
  EXPECT_EQ(st.errors, 0);
}

TEST(KernelWatcherTest, PollingAloneFollowsTheDirectory) {
  FakeSysfs fs;
  Registry registry;
  KernelMirror mirror(registry, SysfsOptions(fs));
  KernelWatcher::Options o;
  o.uevents = false;
  o.inotify = false;
  o.poll_interval = std::chrono::milliseconds(10);
  int synced = 0;
  std::mutex mu;
  o.on_sync = [&](const absl::StatusOr<KernelSync>& s) {
    std::lock_guard<std::mutex> l(mu);
    if (s.ok()) ++synced;
  };
  KernelWatcher watcher(mirror, o);
  ASSERT_TRUE(watcher.Start().ok());
  fs.Put("delta", ModuleBytes("delta", 1));
  EXPECT_TRUE(Eventually([&] { return registry.TryGetModule("delta").ok(); }));
  fs.Remove("delta");
  EXPECT_TRUE(Eventually([&] { return !registry.GetByName("delta"); }));
  watcher.Stop();
  watcher.Stop();  // idempotent
  EXPECT_GE(watcher.stats().by_poll, 2);
  std::lock_guard<std::mutex> l(mu);
  EXPECT_GE(synced, 2);
}

TEST(KernelWatcherTest, StartTwiceIsRefusedAndRestartWorks) {
  FakeSysfs fs;
  Registry registry;
  KernelMirror mirror(registry, SysfsOptions(fs));
  KernelWatcher::Options o;
  o.uevents = false;
  KernelWatcher watcher(mirror, o);
  ASSERT_TRUE(watcher.Start().ok());
  EXPECT_EQ(watcher.Start().code(), absl::StatusCode::kFailedPrecondition);
  watcher.Stop();
  ASSERT_TRUE(watcher.Start().ok());
  fs.Put("eps", ModuleBytes("eps", 1));
  EXPECT_TRUE(Eventually([&] { return registry.TryGetModule("eps").ok(); }));
  // The destructor stops it.
}

TEST(KernelWatcherTest, StartReportsAFailedFirstSyncAndKeepsWatching) {
  FakeSysfs fs;
  fs.Remove("vmlinux");  // no base yet: the first Sync fails
  Registry registry;
  KernelMirror mirror(registry, SysfsOptions(fs));
  KernelWatcher::Options o;
  o.uevents = false;
  KernelWatcher watcher(mirror, o);
  absl::Status first = watcher.Start();
  EXPECT_EQ(first.code(), absl::StatusCode::kNotFound) << first;
  fs.Put("vmlinux", ReadAll(kBasePath));
  EXPECT_TRUE(Eventually([&] { return static_cast<bool>(registry.base()); }));
  EXPECT_EQ(watcher.stats().errors, 1);
}

}  // namespace
}  // namespace btfreg
