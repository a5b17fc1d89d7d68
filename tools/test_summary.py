#!/usr/bin/env python3
"""Counts test cases from Bazel build-event JSON files and prints one line,
"N passed, N failed, N skipped". Reads each test target's test.xml (gtest's
report); a target that failed without a failing case in its report (a crash,
a timeout, a failed build) counts as one failed case. Exit 1 on any failure.

usage: test_summary.py DIR   (DIR holds N.json and N.rc from test.sh)
"""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET


SKIPS = []  # (invocation, test case, reason)


def count_xml(path, invocation=""):
    passed = failed = skipped = 0
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError):
        return None
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("result") == "skipped" or case.find("skipped") is not None:
            skipped += 1
            why = case.find("skipped")
            reason = why.get("message", "") if why is not None else ""
            SKIPS.append((invocation, "%s.%s" % (case.get("classname"), case.get("name")),
                          reason.split("\n")[-1]))
        else:
            passed += 1
    return passed, failed, skipped


def main(directory):
    totals = [0, 0, 0]
    failed_targets = []
    for bep in sorted(glob.glob(os.path.join(directory, "*.json"))):
        rc_path = bep[:-5] + ".rc"
        rc = int(open(rc_path).read().strip() or 1) if os.path.exists(rc_path) else 1
        invocation_failed = 0
        with open(bep) as f:
            for line in f:
                event = json.loads(line)
                result = event.get("testResult")
                if result is None:
                    continue
                label = event["id"]["testResult"]["label"]
                status = result.get("status", "NO_STATUS")
                xml = [o["uri"][len("file://"):] for o in
                       result.get("testActionOutput", [])
                       if o.get("name") == "test.xml" and
                       o.get("uri", "").startswith("file://")]
                counts = count_xml(xml[0], os.path.basename(bep)[:-5]) if xml else None
                if counts is None:
                    counts = (1, 0, 0) if status == "PASSED" else (0, 1, 0)
                if status not in ("PASSED", "FLAKY") and counts[1] == 0:
                    counts = (counts[0], 1, counts[2])
                if counts[1]:
                    failed_targets.append(label)
                invocation_failed += counts[1]
                for i in range(3):
                    totals[i] += counts[i]
        if rc != 0 and invocation_failed == 0:
            # Built nothing, or failed to build: no test reported it.
            totals[1] += 1
            failed_targets.append("(bazel invocation %s exited %d)" %
                                  (os.path.basename(bep)[:-5], rc))
    for invocation, case, reason in SKIPS:
        print("skipped (step %s): %s: %s" % (invocation, case, reason))
    for t in failed_targets:
        print("FAILED: %s" % t, file=sys.stderr)
    print("%d passed, %d failed, %d skipped" % tuple(totals))
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
