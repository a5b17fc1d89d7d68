#!/usr/bin/env bash
# btfreg as a project without Bazel uses it: tools/install.sh into a fresh
# prefix, then
#   - only public headers are installed, each compiles on its own, and none
#     brings liburcu's LGPL inline code into the includer (registry/rcu.h);
#   - examples/makefile_consumer builds with make + pkg-config and runs,
#     against libbtfreg.so and, linked by hand, libbtfreg.a.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d)
build=$(mktemp -d)
trap 'rm -rf "$prefix" "$build"' EXIT
bash tools/install.sh "$prefix"
inc="$prefix/include/btfreg"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"

fail=0
for internal in name_index.h fault.h testing.h synth.h validate.h json.h spelling.h \
                spelling_cost.h libbpf_status.h workload.h compare.h race.h \
                known_modules.h type_index.h kernel.h spec.h read_file.h; do
  if [ -n "$(find "$inc" -name "$internal")" ]; then
    echo "FAIL: internal header $internal was installed"; fail=1
  fi
done
for h in $(cd "$inc" && find . -name '*.h' | sort); do
  if ! echo "#include \"${h#./}\"" | g++ -std=c++17 -fsyntax-only -x c++ - -I"$inc"; then
    echo "FAIL: ${h#./} does not compile on its own from the installed tree"; fail=1
  fi
  if grep -qE '^#(include <urcu|define _LGPL_SOURCE)' "$inc/$h"; then
    echo "FAIL: ${h#./} brings liburcu's inline code into its includer"; fail=1
  fi
done
echo "installed headers: $(cd "$inc" && find . -name '*.h' | wc -l)"

cp examples/makefile_consumer/Makefile examples/makefile_consumer/consumer.cc "$build/"
make -s -C "$build"
LD_LIBRARY_PATH="$prefix/lib" "$build/consumer" "$PWD/tests/data/mini_vmlinux.btf"
g++ -std=c++17 "$build/consumer.cc" -o "$build/consumer_static" \
  $(pkg-config --cflags btfreg) "$prefix/lib/libbtfreg.a" \
  $(pkg-config --libs-only-l btfreg | sed 's/-lbtfreg//')
"$build/consumer_static" "$PWD/tests/data/mini_vmlinux.btf"
[ $fail -eq 0 ] && echo "install test passed"
