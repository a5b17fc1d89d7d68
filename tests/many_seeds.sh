#!/usr/bin/env bash
# The randomized tests with many seeds: CI runs each with its fixed seed
# (1); this runs them with N fresh ones and names every seed that fails, to
# replay with BTFREG_SEED=<seed>. Not part of CI (its verdict would depend on
# the day's seeds); run it before resolving work on the registry or btf/.
#   bash tests/many_seeds.sh [N]      (default 50)
set -uo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
targets=(//registry:random_test //tests:kernel_diff_test //btf:identifiers_test)
bazel build "${targets[@]}" >/dev/null 2>&1 || { bazel build "${targets[@]}"; exit 1; }
failed=()
for ((i = 0; i < n; i++)); do
  seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  for t in "${targets[@]}"; do
    if ! bazel test "$t" --test_env=BTFREG_SEED="$seed" --nocache_test_results \
         --noshow_progress --ui_event_filters=-info >/dev/null 2>&1; then
      echo "FAILED: $t with BTFREG_SEED=$seed"
      failed+=("$t:$seed")
    fi
  done
done
echo "$((n * ${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed ($n seeds x ${#targets[@]} tests)"
[ ${#failed[@]} -eq 0 ]
