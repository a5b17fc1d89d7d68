#!/usr/bin/env bash
# The btfreg CLI as a user runs it: argument handling, the table's columns,
# the JSON, and errors for unknown flags. Runs on the bundled fixture so that
# it needs nothing from the machine.
set -uo pipefail
btfreg="$1"
fixture=tests/data/mini_vmlinux.btf
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "PASS: $name"; else echo "FAIL: $name"; failures=$((failures + 1)); fi
}

"$btfreg" > "$tmp/none.out" 2>&1; rc=$?
check "no command: exit 2 and usage" test $rc -eq 2 -a -n "$(grep -l 'usage: btfreg COMMAND' "$tmp/none.out")"
"$btfreg" frobnicate > "$tmp/unknown.out" 2>&1; rc=$?
check "unknown command: exit 2" test $rc -eq 2
check "unknown command: named" grep -q "unknown command 'frobnicate'" "$tmp/unknown.out"

"$btfreg" compare --bogus > "$tmp/bogus.out" 2>&1; rc=$?
check "unknown flag: exit 2" test $rc -eq 2
check "unknown flag: named" grep -q "unknown argument '--bogus'" "$tmp/bogus.out"
check "unknown flag: usage follows" grep -q "usage: btfreg compare" "$tmp/bogus.out"
"$btfreg" compare --quick --full > "$tmp/both.out" 2>&1; rc=$?
check "--quick with --full: exit 2" test $rc -eq 2
"$btfreg" compare --btf /nonexistent.btf --quick > "$tmp/missing.out" 2>&1; rc=$?
check "missing BTF: exit 1, named" test $rc -eq 1 -a -n "$(grep -l nonexistent "$tmp/missing.out")"
"$btfreg" compare --help > "$tmp/help.out" 2>&1; rc=$?
check "--help: exit 0" test $rc -eq 0

"$btfreg" compare --quick --btf "$fixture" --json "$tmp/out.json" \
  > "$tmp/table.out" 2> "$tmp/progress.err"; rc=$?
check "compare --quick: exit 0" test $rc -eq 0
for column in variant ns/op ratio lookups/op B/reg B/state "stale hits" "on unload"; do
  check "table column '$column'" grep -q -- "$column" "$tmp/table.out"
done
for variant in "pointer + id" "id, lock-free lookup" "id, mutex+map+refcount" "handle {slot, gen}"; do
  check "table row '$variant'" grep -q -- "$variant" "$tmp/table.out"
done

# core: a BPF object's CO-RE relocations against the fixture and its module.
obj=tests/data/core/core_fixture.bpf.o
"$btfreg" core "$obj" --btf "$fixture" --module nf_mini=tests/data/mini_module.btf \
  > "$tmp/core.out" 2>&1; rc=$?
check "core: exit 0" test $rc -eq 0
check "core: counts the relocations" grep -q "core_fixture.bpf.o: 101 CO-RE relocations" "$tmp/core.out"
check "core: task_struct.pid moved to 56" grep -qE "fixture_task +2 byte_off +0 -> 56 +vmlinux" "$tmp/core.out"
check "core: a module's type" grep -qE "fixture_module +2 byte_off +16 -> 24 +nf_mini" "$tmp/core.out"
check "core: a poisoned read" grep -qE "byte_off +72 -> poisoned +\(no match\)" "$tmp/core.out"
"$btfreg" core "$obj" --btf "$fixture" --json > "$tmp/core.json" 2>&1
check "core --json" python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
assert len(d)==101, len(d)
pid=[r for r in d if r['program']=='fixture_task' and r['relo']==0][0]
assert pid['new']==56 and pid['target']=='vmlinux' and pid['target_registry_id']>0, pid
assert any(r['poison'] for r in d)" "$tmp/core.json"
head -c 2000 "$obj" > "$tmp/cut.o"
"$btfreg" core "$tmp/cut.o" --btf "$fixture" > "$tmp/core_bad.out" 2>&1; rc=$?
check "core of a cut object: exit 1, named" test $rc -eq 1 -a -n "$(grep -l cut.o "$tmp/core_bad.out")"
"$btfreg" core > "$tmp/core_none.out" 2>&1; rc=$?
check "core without an object: exit 2" test $rc -eq 2
"$btfreg" core "$obj" --btf "$fixture" --apply -o "$tmp/applied.o" > /dev/null 2> "$tmp/apply.err"; rc=$?
check "core --apply: exit 0, written" test $rc -eq 0 -a -s "$tmp/applied.o"
"$btfreg" core "$tmp/applied.o" --btf "$fixture" > "$tmp/applied.out" 2>&1
check "core of the applied object: nothing left" grep -q "applied.o: 0 CO-RE relocations" "$tmp/applied.out"
"$btfreg" core "$obj" --btf "$fixture" --apply > /dev/null 2>&1; rc=$?
check "core --apply without -o: exit 2" test $rc -eq 2

# walk: the verifier's view of one load, on the fixture.
"$btfreg" walk task_struct 40 8 --btf "$fixture" > "$tmp/walk.out" 2>&1; rc=$?
check "walk to a pointer: exit 0" test $rc -eq 0
check "walk: names the member" grep -q "^task_struct +40 (8 bytes): mm" "$tmp/walk.out"
check "walk: the pointee" grep -q "pointer to struct mm_struct" "$tmp/walk.out"
"$btfreg" walk task_struct 44 4 --btf "$fixture" > "$tmp/walk_half.out" 2>&1; rc=$?
check "walk half a pointer: exit 1, refused" test $rc -eq 1 -a -n "$(grep -l refused "$tmp/walk_half.out")"
"$btfreg" walk task_struct 40 8 --btf "$fixture" --json > "$tmp/walk.json" 2>&1
check "walk --json" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['kind']=='pointer' and d['pointee']=='mm_struct'" "$tmp/walk.json"
"$btfreg" walk task_struct 40 3 --btf "$fixture" > /dev/null 2>&1; rc=$?
check "walk size 3: exit 2" test $rc -eq 2
"$btfreg" walk task_struct 40 8 --mode loose --btf "$fixture" > /dev/null 2>&1; rc=$?
check "walk unknown mode: exit 2" test $rc -eq 2

# The chart: a PNG (or SVG), one panel per scenario, where gnuplot is there.
if command -v gnuplot > /dev/null 2>&1; then
  "$btfreg" compare --quick --btf "$fixture" --chart "$tmp/chart.svg" > /dev/null 2>&1; rc=$?
  check "compare --chart: exit 0" test $rc -eq 0
  check "chart: an SVG" grep -q "<svg" "$tmp/chart.svg"
  check "chart: a panel titled by scenario" grep -q "resolve step: 10 modules, 1 thread" "$tmp/chart.svg"
  check "chart: ratios to the pointer variant on the bars" grep -q "1.0x" "$tmp/chart.svg"
else
  echo "SKIP: compare --chart: gnuplot is not installed (apt-get install gnuplot-nox)"
fi
check "pointer row is the 1.00x reference" grep -qE "pointer \+ id .* 1\.00x" "$tmp/table.out"
check "unload outcome: pinned" grep -q "stays valid (pinned)" "$tmp/table.out"
check "unload outcome: detected" grep -q "detected" "$tmp/table.out"
check "says which BTF" grep -q "BTF: $fixture" "$tmp/table.out"
check "progress on stderr" grep -q "\[12/12\]" "$tmp/progress.err"
check "JSON parses as Google Benchmark output" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert "context" in d and len(d["benchmarks"]) == 12, len(d["benchmarks"])
b = d["benchmarks"][0]
for k in ("name", "iterations", "real_time", "cpu_time", "time_unit", "ns_per_op"):
    assert k in b, k
' "$tmp/out.json"

"$btfreg" info --btf "$fixture" --json > "$tmp/info.json"; rc=$?
check "info --json: exit 0 and parses" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["types"] > 50 and d["kinds"]["STRUCT"] > 10
' "$tmp/info.json"

# layout and dump on the fixture (the seed's bpf_reg_state).
"$btfreg" layout bpf_reg_state --btf "$fixture" > "$tmp/layout.out"; rc=$?
check "layout: exit 0" test $rc -eq 0
check "layout: pahole's summary" grep -q "/\* size: 120, cachelines: 2, members: 19 \*/" "$tmp/layout.out"
check "layout: nested union expanded" grep -qE "^	union \{$" "$tmp/layout.out"
check "layout: member offsets" grep -qE "	u32 +id; +/\* +24 +4 \*/" "$tmp/layout.out"
"$btfreg" layout bpf_reg_state --btf "$fixture" --json > "$tmp/layout.json"; rc=$?
check "layout --json: parses, numbers there" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["size"] == 120 and d["summary"]["padding"] == 3, d["summary"]
assert [m["offset"] for m in d["members"]][:3] == [0, 4, 8]
' "$tmp/layout.json"
"$btfreg" layout no_such_struct --btf "$fixture" > "$tmp/nostruct.out" 2>&1; rc=$?
check "layout of an unknown struct: exit 1, named" test $rc -eq 1 -a -n "$(grep -l no_such_struct "$tmp/nostruct.out")"
"$btfreg" layout --btf "$fixture" > "$tmp/notype.out" 2>&1; rc=$?
check "layout without a type: exit 2 and usage" test $rc -eq 2 -a -n "$(grep -l "usage: btfreg layout" "$tmp/notype.out")"
"$btfreg" dump task_struct --btf "$fixture" > "$tmp/dump.out"; rc=$?
check "dump: exit 0, a C declaration" test $rc -eq 0 -a "$(head -1 "$tmp/dump.out")" = "struct task_struct {"
"$btfreg" dump task_struct --btf "$fixture" --deps > "$tmp/deps.out"; rc=$?
check "dump --deps: dependencies first" test "$(grep -n "^struct task_struct {" "$tmp/deps.out" | cut -d: -f1)" -gt 1
"$btfreg" dump "struct task_struct" --btf "$fixture" --json > "$tmp/dump.json"; rc=$?
check "dump --json: parses" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "STRUCT" and d["name"] == "task_struct" and d["c"].startswith("struct task_struct {")
' "$tmp/dump.json"
"$btfreg" dump 0 --btf "$fixture" > "$tmp/dump0.out" 2>&1; rc=$?
check "dump of type 0: exit 1" test $rc -eq 1

# A directory of BTF files with one bad module: it is listed as failed, and
# the others are parsed.
mkdir -p "$tmp/sysfs"
cp "$fixture" "$tmp/sysfs/vmlinux"
cp tests/data/mini_module.btf "$tmp/sysfs/good"
head -c 100 tests/data/mini_module.btf > "$tmp/sysfs/bad"
"$btfreg" info --kernel --sysfs "$tmp/sysfs" --check > "$tmp/check.out" 2>&1; rc=$?
check "info --check: exit 3 when a module fails" test $rc -eq 3
check "info --check: the bad one named with its error" grep -qE "failed: bad: .*$tmp/sysfs/bad" "$tmp/check.out"
check "info --check: the good one parsed" grep -q "checked: 1 module(s) parsed, 1 failed" "$tmp/check.out"
"$btfreg" info --kernel --sysfs "$tmp/sysfs" --check --json > "$tmp/check.json"; rc=$?
check "info --check --json: parses" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [f["name"] for f in d["failed"]] == ["bad"] and d["modules_live"] == 1, d
assert sorted(o["name"] for o in d["objects"]) == ["bad", "good", "vmlinux"]
' "$tmp/check.json"

# The kernel's BTF objects: through the syscall, or sysfs where it is refused.
if [ -r /sys/kernel/btf/vmlinux ]; then
  "$btfreg" info --kernel > "$tmp/kernel.out" 2> "$tmp/kernel.err"; rc=$?
  check "info --kernel: exit 0" test $rc -eq 0
  check "info --kernel: vmlinux as bpftool lists it" \
    grep -qE '^([0-9]+|-): name \[vmlinux\]  size [0-9]+B$' "$tmp/kernel.out"
  "$btfreg" info --kernel --json > "$tmp/kernel.json"; rc=$?
  check "info --kernel --json: bpftool's fields" python3 -c '
import json, sys
objs = json.load(open(sys.argv[1]))
v = [o for o in objs if o["name"] == "vmlinux"]
assert len(v) == 1 and v[0]["kernel"] is True and v[0]["size"] > 0, objs
assert set(v[0]) >= {"id", "size", "kernel", "name"}
' "$tmp/kernel.json"
else
  echo "SKIP: info --kernel (no /sys/kernel/btf/vmlinux on this machine)"
fi

echo "$failures failure(s)"
[ $failures -eq 0 ]
