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

run "all tests" test //...

python3 tools/test_summary.py "$out"
summary_rc=$?
[ $rc_all -eq 0 ] && [ $summary_rc -eq 0 ]
