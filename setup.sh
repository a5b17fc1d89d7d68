#!/usr/bin/env bash
# Installs the Debian 12 packages btfreg builds and tests with, if missing.
# Idempotent and silent when everything is present. Needs root (or sudo) only
# when something is missing.
set -euo pipefail

packages=(
  bazel-bootstrap bazel-platforms bazel-rules-java   # Bazel 4.2, offline
  g++ clang llvm libclang-rt-14-dev                  # compilers, sanitizers, libFuzzer
  libabsl-dev libbpf-dev libelf-dev zlib1g-dev liburcu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dwarves bpftool                                    # pahole -J, fixtures
  python3 gnuplot-nox                                # test summary, charts
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "btfreg setup: these Debian packages are missing: ${missing[*]}" >&2
  echo "Install them as root, then run this again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "btfreg setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
