#!/usr/bin/env bash
# Includes run one way: btf <- registry <- verifier_state <- harness <-
# {benchmarks, tools}, and core (CO-RE) <- {btf, registry}. Checks, with `bazel query`, that no library target
# depends on what sits above it, nor on the harness, the CLI, the
# benchmarks, Google Benchmark, GoogleTest or test-only code.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0

# check TARGET FORBIDDEN...: deps(TARGET) holds none of the FORBIDDEN
# patterns (package prefixes or labels).
check() {
  local target=$1; shift
  local deps
  deps=$(bazel query --noshow_progress "deps($target)" 2>/dev/null) || {
    echo "FAIL: bazel query deps($target)"; fail=1; return; }
  for forbidden in "$@"; do
    local hits
    hits=$(grep -E "^${forbidden}([:/]|$)" <<<"$deps" || true)
    if [ -n "$hits" ]; then
      echo "FAIL: $target depends on $forbidden:"; sed 's/^/  /' <<<"$hits"; fail=1
    else
      echo "ok: $target does not depend on $forbidden"
    fi
  done
}

above_all=(//harness //tools //benchmarks //third_party:benchmark //third_party:benchmark_main
           //third_party:gtest //btf:synth //registry:testing)
check //btf //registry //verifier_state //core "${above_all[@]}"
check //registry //verifier_state //core "${above_all[@]}"
check //registry:kernel_mirror //verifier_state "${above_all[@]}"
check //verifier_state //core "${above_all[@]}"
check //core //verifier_state "${above_all[@]}"
check //:libbtfreg.so "${above_all[@]}"
# The harness is below the CLI and the benchmarks.
check //harness:workload //tools //benchmarks //third_party:benchmark
check //harness:race //tools //benchmarks //third_party:benchmark

[ $fail -eq 0 ] && echo "dependency directions hold"
exit $fail
