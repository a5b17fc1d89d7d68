// Each lifetime rule the race harness checks is shown able to fail: this
// test is built with -DBTFREG_FAULT_INJECTION (see BUILD.bazel), injects one
// fault per run in a child process, and requires the child to report a
// violation (exit 1) or be stopped by a sanitizer.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "gtest/gtest.h"
#include "registry/fault.h"
#include "harness/race.h"

namespace btfreg {
namespace {

// Runs the harness with `f` injected in a child; returns its wait status.
int RunWithFault(fault::Fault f) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    fault::Set(f);
    RaceOptions o;
    o.base_path = "tests/data/mini_vmlinux.btf";
    o.duration_ms = 1500;
    o.threads = 2;
    o.modules = 3;
    auto report = RunRace(o);
    if (!report.ok()) _exit(4);
    printf("%s", report->Summary().c_str());
    fflush(stdout);
    _exit(report->violation_count > 0 ? 1 : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool Caught(int status) {
  if (WIFSIGNALED(status)) return true;                  // sanitizer abort
  return WIFEXITED(status) && WEXITSTATUS(status) != 0 &&  // reported
         WEXITSTATUS(status) != 4;
}

TEST(RaceFaultTest, NoFaultNoViolation) {
  int status = RunWithFault(fault::kNone);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(RaceFaultTest, MissingPinIsCaught) {
  EXPECT_TRUE(Caught(RunWithFault(fault::kMissingPin)));
}

TEST(RaceFaultTest, PrematurePutIsCaught) {
  EXPECT_TRUE(Caught(RunWithFault(fault::kPrematurePut)));
}

// A freed object that is read early is seen by ASan only, so this case
// exists in the ASan build alone (test.sh runs this target under
// --config=asan); a plain build has no case that could pass by not looking.
#if defined(__SANITIZE_ADDRESS__)
TEST(RaceFaultTest, SkippedGracePeriodIsCaughtUnderAsan) {
  EXPECT_TRUE(Caught(RunWithFault(fault::kSkipGracePeriod)));
}
#endif

}  // namespace
}  // namespace btfreg
