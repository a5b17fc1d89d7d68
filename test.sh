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

# run_consumer: builds and runs examples/consumer, counted as one test.
run_consumer() {
  step=$((step + 1))
  echo "=== consumer: examples/consumer (a separate Bazel workspace)" >&2
  local log="$out/consumer.log" rc
  (cd examples/consumer && bazel run //:consumer -- "$PWD/../../tests/data/mini_vmlinux.btf") \
    > "$log" 2>&1
  rc=$?
  tail -5 "$log" >&2
  if [ $rc -eq 0 ] && grep -q "^consumer: ok" "$log"; then
    echo '{"testResult":{"status":"PASSED"},"id":{"testResult":{"label":"examples/consumer"}}}' > "$out/$step.json"
  else
    echo '{"testResult":{"status":"FAILED"},"id":{"testResult":{"label":"examples/consumer"}}}' > "$out/$step.json"
    rc_all=1
  fi
  echo 0 > "$out/$step.rc"
}

run "all tests" test //...
# The concurrent code and the untrusted-input paths under the sanitizers.
sanitized=(//btf:all //registry:all //verifier_state:all //tests:registry_stress_test)
run "ASan + UBSan + leaks" test --config=asan "${sanitized[@]}"
run "TSan" test --config=tsan "${sanitized[@]}"
# The library as a user links it: a separate workspace (examples/consumer).
run_consumer

python3 tools/test_summary.py "$out"
summary_rc=$?
[ $rc_all -eq 0 ] && [ $summary_rc -eq 0 ]
