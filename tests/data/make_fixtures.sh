#!/usr/bin/env bash
# Regenerates the checked-in BTF fixtures from the C files beside this script.
#   mini_vmlinux.btf   raw BTF made by pahole -J from mini_vmlinux.c (a base)
#   mini_module.btf    split BTF on mini_vmlinux.btf, from mini_module.c
#   mini_prog.bpf.o    an ELF object with .BTF, from clang -target bpf -g
# Needs gcc, clang, pahole (dwarves) and llvm-objcopy (llvm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gcc -g -fno-eliminate-unused-debug-types -c "$here/mini_vmlinux.c" -o "$tmp/vmlinux.o"
pahole -J "$tmp/vmlinux.o"
llvm-objcopy --dump-section ".BTF=$here/mini_vmlinux.btf" "$tmp/vmlinux.o"

gcc -g -fno-eliminate-unused-debug-types -c "$here/mini_module.c" -o "$tmp/module.o"
pahole -J --btf_base "$here/mini_vmlinux.btf" "$tmp/module.o"
llvm-objcopy --dump-section ".BTF=$here/mini_module.btf" "$tmp/module.o"

clang -target bpf -g -O2 -c "$here/mini_prog.bpf.c" -o "$here/mini_prog.bpf.o"
echo "fixtures written to $here"
