#!/usr/bin/env bash
# Sets up, then runs every test: the whole tree in the default build, then the
# sanitizer builds of the concurrent code. Ends with one line
# "N passed, N failed, N skipped" counted from the test cases themselves.
set -uo pipefail
cd "$(dirname "$0")"
bash ./setup.sh || exit 1

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
step=0
rc_all=0

# run NAME BAZEL-ARGS...: one bazel invocation whose results are counted.
run() {
  local name=$1; shift
  step=$((step + 1))
  echo "=== $name: bazel $*" >&2
  bazel "$@" --build_event_json_file="$out/$step.json" >&2
  local rc=$?
  echo "$rc" > "$out/$step.rc"
  [ $rc -eq 0 ] || rc_all=1
}

# run_command LABEL COMMAND...: a command that is a test of its own, counted
# as one passed or failed case by its exit code.
run_command() {
  local label=$1; shift
  step=$((step + 1))
  echo "=== $label: $*" >&2
  local log="$out/$step.log" status=PASSED
  "$@" > "$log" 2>&1 || status=FAILED
  tail -12 "$log" >&2
  [ $status = PASSED ] || rc_all=1
  printf '{"testResult":{"status":"%s"},"id":{"testResult":{"label":"%s"}}}\n' \
    "$status" "$label" > "$out/$step.json"
  echo 0 > "$out/$step.rc"
}

# run_consumer: builds and runs examples/consumer, a separate workspace.
run_consumer() {
  run_command "examples/consumer" bash -c \
    'cd examples/consumer && bazel run //:consumer -- "$PWD/../../tests/data/mini_vmlinux.btf" && echo "consumer built and ran"'
}

run "all tests" test //...
# The concurrent code and the untrusted-input paths under the sanitizers.
sanitized=(//btf:all //registry:all //verifier_state:all //harness:all //core:all //tests:registry_stress_test
           //tests:race_test //tests:race_fault_test //tests:get_by_id_window_test
           //tests:kernel_mirror_test //tests/fuzz:corpus_replay_test
           //tests/fuzz:core_corpus_replay_test)
run "ASan + UBSan + leaks" test --config=asan "${sanitized[@]}"
run "TSan" test --config=tsan "${sanitized[@]}"
# The race harness as users run it, for a bounded time, under both.
run_command "btfreg race (ASan)" bazel run --config=asan //tools:btfreg -- race --duration 5
run_command "btfreg race (TSan)" bazel run --config=tsan //tools:btfreg -- race --duration 5
# ... and with the verifier threads as QSBR readers (registry/rcu.h).
run_command "btfreg race --qsbr (ASan)" bazel run --config=asan //tools:btfreg -- race --qsbr --duration 5
run_command "btfreg race --qsbr (TSan)" bazel run --config=tsan //tools:btfreg -- race --qsbr --duration 5
# Hostile input: the libFuzzer target replays its corpus, then runs a fixed
# number of executions from a fixed seed (the same every time).
run_command "fuzz btf (corpus, then -seed=1)" bash tests/fuzz/run_fuzzer.sh --ci
run_command "fuzz core (corpus, then -seed=1)" env FUZZER=core bash tests/fuzz/run_fuzzer.sh --ci
# Every annotated lock, checked by clang's thread-safety analysis (an error).
run_command "thread-safety analysis (clang)" bazel build --config=clang --noshow_progress \
  //btf:all //registry:all //verifier_state:all //harness:all //core:all //tools:all //tests:all
# Library targets depend on nothing above them (bazel query).
run_command "dependency directions" bash tests/deps_test.sh
# Every code example of the README and the public headers compiles.
run_command "README and header examples compile" python3 tests/snippets/check_snippets.py
# The library as a project without Bazel links it: installed, then make +
# pkg-config (examples/makefile_consumer).
run_command "install + make/pkg-config consumer" bash tests/install_test.sh
# The library as a user links it: a separate workspace (examples/consumer).
run_consumer

python3 tools/test_summary.py "$out"
summary_rc=$?
[ $rc_all -eq 0 ] && [ $summary_rc -eq 0 ]
