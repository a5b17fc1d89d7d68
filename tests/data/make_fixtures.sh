#!/usr/bin/env bash
# Regenerates the checked-in BTF fixtures from the C files beside this script.
#   mini_vmlinux.btf   raw BTF made by pahole -J from mini_vmlinux.c (a base)
#   mini_module.btf    split BTF on mini_vmlinux.btf, from mini_module.c
#   mini_prog.bpf.o    an ELF object with .BTF, from clang -target bpf -g
#   layout_shapes.btf  raw BTF of layout_shapes.c, and layout_shapes.pahole,
#                      pahole's text of each of its structs
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

gcc -g -fno-eliminate-unused-debug-types -c "$here/layout_shapes.c" -o "$tmp/shapes.o"
pahole -J "$tmp/shapes.o"
llvm-objcopy --dump-section ".BTF=$here/layout_shapes.btf" "$tmp/shapes.o"
# pahole's text from the ELF (where it knows the pointer size; from raw BTF
# without a `long` it reports pointers as 0 bytes).
pahole "$tmp/shapes.o" > "$here/layout_shapes.pahole"

clang -target bpf -g -O2 -c "$here/mini_prog.bpf.c" -o "$here/mini_prog.bpf.o"
echo "fixtures written to $here"
