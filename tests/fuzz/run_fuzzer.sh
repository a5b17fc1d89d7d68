#!/usr/bin/env bash
# Builds the libFuzzer target (clang, -fsanitize=fuzzer,address,undefined)
# and runs it for a bounded time on a seed corpus made from the fixtures and
# the malformed corpus. Crashes are written to out/fuzz/ and fail the run.
#   tests/fuzz/run_fuzzer.sh [SECONDS]     (default 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
out=out/fuzz
mkdir -p "$out/corpus" "$out/crashes"

absl=$(pkg-config --libs absl_flat_hash_set absl_hash absl_status absl_statusor \
  absl_str_format absl_strings absl_synchronization)
srcs=($(ls btf/*.cc | grep -v '_test\.cc$') tests/fuzz/btf_fuzzer.cc)
if [ ! -x "$out/btf_fuzzer" ] || [ -n "$(find "${srcs[@]}" btf/*.h -newer "$out/btf_fuzzer")" ]; then
  echo "building $out/btf_fuzzer" >&2
  clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I. "${srcs[@]}" -o "$out/btf_fuzzer" \
    -lbpf -lelf -lz $absl
fi

# Seeds: each file once as standalone BTF (first byte 0) and the module once
# as split BTF on the fixture base (first byte 1).
for f in tests/data/*.btf tests/data/*.o tests/data/bad/*.btf; do
  { printf '\x00'; cat "$f"; } > "$out/corpus/seed-$(basename "$f")"
done
{ printf '\x01'; cat tests/data/mini_module.btf; } > "$out/corpus/seed-split-module"

ASAN_OPTIONS=detect_leaks=1 "$out/btf_fuzzer" "$out/corpus" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$out/crashes/" -print_final_stats=1 2>&1 | tail -25
