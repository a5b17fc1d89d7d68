#!/usr/bin/env bash
# Builds the libFuzzer target (clang, -fsanitize=fuzzer,address,undefined)
# and runs it on the checked-in corpus (tests/fuzz/corpus/: every input that
# ever found something) plus seeds made from the fixtures and the malformed
# corpus.
#
#   tests/fuzz/run_fuzzer.sh --ci        what CI runs: the corpus replayed,
#                                        then RUNS (default 150000) executions
#                                        from the fixed seed 1, in a fresh
#                                        working corpus: the same every time
#   FUZZER=core tests/fuzz/run_fuzzer.sh ...
#                                        the same for the CO-RE target
#                                        (core_fuzzer.cc: .BTF.ext and BPF
#                                        objects relocated against the
#                                        fixtures), seeded from
#                                        tests/fuzz/core_corpus/
#   tests/fuzz/run_fuzzer.sh [SECONDS]   a long run with a random seed
#                                        (default 600); new inputs are kept in
#                                        out/fuzz/corpus, findings in
#                                        out/fuzz/crashes (copy each into
#                                        tests/fuzz/corpus/ with its fix)
#
# Every query in the target is bounded at 1 s (BTFREG_FUZZ_SLOW_MS); the
# libFuzzer timeout (25 s) is far above it, so a slow query is reported by
# the target, naming itself, and not as a load-dependent timeout.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=long
seconds=600
if [ "${1:-}" = "--ci" ]; then
  mode=ci
elif [ -n "${1:-}" ]; then
  seconds=$1
fi
runs=${RUNS:-150000}
fuzzer=${FUZZER:-btf}
out=out/fuzz
[ "$fuzzer" = core ] && out=out/fuzz-core
mkdir -p "$out/corpus" "$out/crashes"

absl=$(pkg-config --libs absl_flat_hash_set absl_hash absl_status absl_statusor \
  absl_str_format absl_strings absl_synchronization)
srcs=($(ls btf/*.cc | grep -v '_test\.cc$') tests/fuzz/btf_fuzzer.cc)
libs=(-lbpf -lelf -lz)
if [ "$fuzzer" = core ]; then
  srcs=($(ls btf/*.cc core/*.cc registry/*.cc registry/internal/*.cc | grep -v '_test\.cc$')
        tests/fuzz/core_fuzzer.cc)
  libs+=(-lurcu-memb -lurcu-qsbr -lurcu-common -lpthread)
fi
binary="$out/${fuzzer}_fuzzer"
if [ ! -x "$binary" ] || [ -n "$(find "${srcs[@]}" btf/*.h core/*.h registry -newer "$binary")" ]; then
  echo "building $binary" >&2
  clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I. "${srcs[@]}" -o "$binary" \
    "${libs[@]}" $absl
fi

# Seeds: each file once as standalone BTF (first byte 0) and the module once
# as split BTF on the fixture base (first byte 1); the CO-RE target's from
# tests/fuzz/core_corpus/.
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
if [ "$fuzzer" = core ]; then
  cp tests/fuzz/core_corpus/* "$seeds/"
else
  for f in tests/data/*.btf tests/data/*.o tests/data/bad/*.btf; do
    { printf '\x00'; cat "$f"; } > "$seeds/seed-$(basename "$f")"
  done
  { printf '\x01'; cat tests/data/mini_module.btf; } > "$seeds/seed-split-module"
  cp tests/fuzz/corpus/* "$seeds/"
fi

common=(-timeout=25 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1)
export ASAN_OPTIONS=detect_leaks=1
if [ $mode = ci ]; then
  echo "replaying $(ls "$seeds" | wc -l) corpus and seed inputs" >&2
  "$binary" "${common[@]}" -artifact_prefix="$out/crashes/" "$seeds"/* 2>&1 | tail -3
  work=$(mktemp -d)
  trap 'rm -rf "$seeds" "$work"' EXIT
  echo "fuzzing: $runs executions from -seed=1" >&2
  setarch "$(uname -m)" -R "$binary" "$work" "$seeds" "${common[@]}" -seed=1 -runs="$runs" -reload=0 \
    -artifact_prefix="$out/crashes/" 2>&1 | tail -12
else
  seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  echo "fuzzing for $seconds s from -seed=$seed (replay: add -seed=$seed)" >&2
  "$binary" "$out/corpus" "$seeds" "${common[@]}" -seed="$seed" \
    -max_total_time="$seconds" -artifact_prefix="$out/crashes/" 2>&1 | tail -25
fi
