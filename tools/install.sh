#!/usr/bin/env bash
# Installs btfreg for builds without Bazel (make, CMake, meson):
#   PREFIX/include/btfreg/...       the public headers (what README.md documents)
#   PREFIX/lib/libbtfreg.a          every library, static
#   PREFIX/lib/libbtfreg.so         the same, shared (records its system libraries)
#   PREFIX/lib/pkgconfig/btfreg.pc  Requires: libbpf, liburcu-memb, liburcu-qsbr, Abseil's
# Then: g++ -std=c++17 app.cc $(pkg-config --cflags --libs btfreg)
# (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig where PREFIX is not a system one).
#
#   tools/install.sh PREFIX        (default /usr/local)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(realpath -m "${1:-/usr/local}")
bash ./setup.sh

# The headers a user includes (what README.md documents), and the three of
# registry/internal/ that registry.h includes for its inline lookups (not for
# users, as Abseil's internal/); each includes only others of this list.
headers=(
  btf/btf.h btf/layout.h
  core/bpf_object.h core/btf_ext.h core/relocate.h
  registry/btf_ref.h registry/kernel_mirror.h registry/rcu.h registry/registry.h registry/watcher.h
  registry/internal/handle_table.h registry/internal/id_table.h registry/internal/kernel_id_table.h registry/internal/thread_refs.h
  sync/mutex.h
  verifier_state/func_state.h verifier_state/ops.h verifier_state/reg_state.h
  verifier_state/resolvers.h verifier_state/used_btfs.h
)
libs=(//btf //btf:libbpf_status //btf:read_file //core //registry //registry:kernel_mirror //verifier_state)
bazel build -c opt --noshow_progress --ui_event_filters=-info "${libs[@]}" //:libbtfreg.so
bin=$(bazel info -c opt bazel-bin 2>/dev/null)

mkdir -p "$prefix/include/btfreg" "$prefix/lib/pkgconfig"
for h in "${headers[@]}"; do install -D -m 644 "$h" "$prefix/include/btfreg/$h"; done

# One static archive from the libraries' (alwayslink, hence .lo) archives.
rm -f "$prefix/lib/libbtfreg.a"
{
  echo "CREATE $prefix/lib/libbtfreg.a"
  for a in btf/libbtf.lo btf/liblibbpf_status.lo btf/libread_file.lo core/libcore.lo registry/libregistry.lo \
           registry/libkernel_mirror.lo verifier_state/libverifier_state.lo; do
    echo "ADDLIB $bin/$a"
  done
  echo "SAVE"
  echo "END"
} | ar -M
install -m 755 "$bin/libbtfreg.so" "$prefix/lib/libbtfreg.so"

cat > "$prefix/lib/pkgconfig/btfreg.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: btfreg
Description: refcounted registry of BTF objects with stable Btf* handles
Version: 0.1.0
Requires: libbpf libelf liburcu-memb liburcu-qsbr absl_flat_hash_map absl_flat_hash_set absl_inlined_vector absl_status absl_statusor absl_str_format absl_strings absl_synchronization
Libs: -L\${libdir} -lbtfreg
Cflags: -I\${includedir}/btfreg
PC
echo "btfreg installed in $prefix (${#headers[@]} headers, libbtfreg.a, libbtfreg.so, btfreg.pc)"
