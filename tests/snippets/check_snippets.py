#!/usr/bin/env python3
"""Compiles every code example of the README and of the public headers, and
checks that examples/consumer holds the README's "Use btfreg" lines.

An example is the C++ a reader copies: the README's ```cpp blocks and each
header's opening example (the first run of lines indented `//   ` in its
file comment). Each becomes one translation unit: the example's includes,
then its statements in a function whose parameters declare the names the
example takes as given (the README says which in an HTML comment before the
block, `<!-- snippet: RET(PARAMS) -->`; for headers, HEADERS below). Each is
compiled with `g++ -std=c++17 -fsyntax-only` against this tree and the system
libraries, so an example that drifts from the API fails here.

  tests/snippets/check_snippets.py        # from the repository root
Prints one line per example and "N passed, N failed"; exit 1 on a failure.
"""
import os
import re
import subprocess
import sys
import tempfile

# header -> (return type, parameters, extra includes[, block]). The example
# is the header's first `//   ` run (or run number `block`, from 0).
HEADERS = {
    "btf/btf.h": ("absl::Status", "", []),
    "btf/layout.h": ("void", "const btfreg::Btf& btf, uint32_t id", []),
    "registry/btf_ref.h": ("void", "btfreg::Registry& registry", ["registry/registry.h"]),
    "registry/registry.h": ("void", "", []),
    "registry/kernel_mirror.h": ("void", "", ["registry/registry.h"]),
    "registry/watcher.h": ("void", "btfreg::Registry& registry", ["registry/kernel_mirror.h"]),
    "sync/mutex.h": (None, "", []),  # class members: compiled as a struct body
    "verifier_state/func_state.h": ("void", "", ["verifier_state/reg_state.h"]),
    "verifier_state/ops.h": ("void", "const btfreg::BtfRef& task_ref, uint32_t task_id, int32_t mm_offset",
                             ["verifier_state/resolvers.h"]),
    "verifier_state/used_btfs.h": ("void", "btfreg::Registry& registry, btfreg::RegState& reg, uint32_t type_id",
                                   ["verifier_state/ops.h", "verifier_state/resolvers.h"]),
    "harness/race.h": ("void", "", ["cstdio"]),
    "harness/workload.h": ("void", "", []),
    "verifier_state/reg_state.h": ("void", "const btfreg::BtfRef& task_ref, uint32_t task_struct_id",
                                   ["verifier_state/ops.h", "verifier_state/resolvers.h"], 1),
    "harness/compare.h": ("void", "benchmark::BenchmarkReporter* reporter", ["benchmark/benchmark.h"]),
    "core/btf_ext.h": ("void", "absl::Span<const uint8_t> bytes, const btfreg::Btf& btf", ["cstdio"]),
    "core/bpf_object.h": ("void", "", []),
    "core/relocate.h": ("void", "", ["cstdio"]),
    "btf/synth.h": ("void", "btfreg::Registry& registry, const std::vector<uint8_t>& vmlinux_bytes",
                    ["registry/registry.h"]),
}


def header_example(path, which=0):
    lines = open(path).read().splitlines()
    blocks, current = [], None
    for line in lines:
        if not line.startswith("//"):
            break  # the file comment ended
        if line.startswith("//   "):
            if current is None:
                current = []
                blocks.append(current)
            current.append(line[5:])
        else:
            current = None
    return "\n".join(blocks[which]) if which < len(blocks) else ""


def readme_examples(path):
    text = open(path).read()
    out = []
    for m in re.finditer(r"(?:<!-- snippet: (.*?) -->\n)?```cpp\n(.*?)```", text, re.S):
        sig, body = m.group(1), m.group(2)
        line = text.count("\n", 0, m.start(2)) + 1
        out.append((f"README.md:{line}", sig, body))
    return out


def unit(includes, ret, params, body):
    incs, stmts = [], []
    for line in body.splitlines():
        (incs if line.startswith("#include") else stmts).append(line)
    src = "\n".join(incs) + "\n"
    src += "".join(f'#include "{i}"\n' if "/" in i else f"#include <{i}>\n" for i in includes)
    src += "namespace btfreg {}\nusing namespace btfreg;\n"
    if ret is None:
        src += "struct Example {\n" + "\n".join(
            l for l in stmts if not l.strip().startswith("{")) + "\n  void Method();\n};\n"
        src += "void Example::Method() {\n" + "\n".join(
            l for l in stmts if l.strip().startswith("{")) + "\n}\n"
    else:
        src += f"{ret} Example({params}) {{\n" + "\n".join(stmts) + "\n"
        if ret != "void":
            src += f"  return {ret}();\n"
        src += "}\n"
    return src


def compile_unit(name, src, workdir):
    path = os.path.join(workdir, re.sub(r"[^A-Za-z0-9]", "_", name) + ".cc")
    with open(path, "w") as f:
        f.write(src)
    r = subprocess.run(["g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Wno-unused",
                        "-Wno-unused-result", "-I.", path],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    cases = []
    for header, spec in HEADERS.items():
        ret, params, extra = spec[:3]
        body = header_example(header, spec[3] if len(spec) > 3 else 0)
        if not body.strip():
            cases.append((header, None, f"{header}: no example found"))
            continue
        cases.append((header, unit([header] + extra, ret, params, body), None))
    for name, sig, body in readme_examples("README.md"):
        ret, params = "void", ""
        if sig:
            m = re.match(r"(.*?)\((.*)\)$", sig.strip())
            ret, params = m.group(1).strip(), m.group(2)
        cases.append((name, unit([], ret, params, body), None))
    # The README's "Use btfreg in your project" lines, as examples/consumer
    # holds them (with its path to btfreg).
    use = open("README.md").read()
    use = use[use.index("## Use btfreg in your project"):use.index("**Without Bazel**")]
    plain = re.findall(r"```\n(.*?)```", use, re.S)
    for block, path, subst in zip(plain, ["WORKSPACE", ".bazelrc", "BUILD.bazel"],
                                  ["../..", "%workspace%/../..", "../.."]):
        want = block.replace("/path/to/btfreg", subst)
        have = open(os.path.join("examples/consumer", path)).read()
        err = None if want in have else f"examples/consumer/{path} lacks the README's lines:\n{want}"
        cases.append((f"README.md use-btfreg {path}", None if err else "", err))
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for name, src, error in cases:
            if src == "":
                ok, err = True, None  # a text check that passed
            else:
                ok, err = (False, error) if src is None else compile_unit(name, src, work)
            if ok:
                passed += 1
                print(f"ok      {name}")
            else:
                failed += 1
                print(f"FAILED  {name}\n{err}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
