#!/usr/bin/env bash
# Builds the CO-RE corpus beside this script (checked in, so that machines
# without clang or /sys/kernel/btf test the same objects):
#   core_kernel.bpf.o   core_kernel.bpf.c against a vmlinux.h that bpftool
#                       dumps from this machine's /sys/kernel/btf/vmlinux
#   core_fixture.bpf.o  core_fixture.bpf.c, self-contained, against the
#                       fixtures (mini_vmlinux.btf, mini_module.btf)
#   core_fixture_shifted.bpf.o
#                       the same with one more program first, so that its
#                       types have other ids (a second object, same types)
# with clang -target bpf -g -O2 and libbpf's bpf_core_read.h. clang 15 or
# later also emits bpf_core_type_matches (TYPE_MATCHES), which clang 14
# lacks; the newest clang found is used, and the script installs clang-15
# (Debian 12) when there is none.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

clang=""
for c in clang-19 clang-16 clang-15; do
  if command -v "$c" >/dev/null; then clang=$c; break; fi
done
if [ -z "$clang" ]; then
  echo "installing clang-15 (for bpf_core_type_matches)" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -q clang-15 >&2
  clang=clang-15
fi
command -v bpftool >/dev/null || { echo "needs bpftool" >&2; exit 1; }

bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$tmp/vmlinux.h"
flags=(-target bpf -D__TARGET_ARCH_x86 -DBTFREG_HAVE_TYPE_MATCHES -g -O2)
"$clang" "${flags[@]}" -I"$tmp" -c "$here/core_kernel.bpf.c" -o "$here/core_kernel.bpf.o"
"$clang" "${flags[@]}" -c "$here/core_fixture.bpf.c" -o "$here/core_fixture.bpf.o"
"$clang" "${flags[@]}" -DBTFREG_SHIFT_IDS -c "$here/core_fixture.bpf.c" \
  -o "$here/core_fixture_shifted.bpf.o"
# DWARF is not needed (.BTF and .BTF.ext are what CO-RE reads).
for o in core_kernel core_fixture core_fixture_shifted; do llvm-objcopy --strip-debug "$here/$o.bpf.o"; done
echo "corpus written to $here with $clang ($(uname -r) vmlinux.h)"
