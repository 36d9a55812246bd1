#!/usr/bin/python3
"""The end of `make test`: how many tests ran, failed and were skipped, and why each skipped
one was, from the JUnit files of the last ctest run in each build directory given.

    scripts/test_summary.py build/dev build/asan

CTest counts a pytest file as one test; its own JUnit file (tests/CMakeLists.txt) says what
each test in it did, so a test skipped inside a file that passed is counted too. GoogleTest's
skips reach ctest as "notrun"; their reason is the line after "Skipped" in the output.
"""
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path


def gtest_reason(output):
    lines = output.splitlines()
    for line, following in zip(lines, lines[1:]):
        if line.endswith(": Skipped") and following.strip():
            return following.strip()
    return "no reason given"


def pytest_outcomes(path):
    """(test id, outcome, skip reason) for each test case of a pytest JUnit file."""
    for case in ET.parse(path).iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        skipped = case.find("skipped")
        if skipped is not None:
            yield name, "skipped", skipped.get("message", "no reason given")
        elif case.find("failure") is not None or case.find("error") is not None:
            yield name, "failed", None
        else:
            yield name, "passed", None


def outcomes(build):
    """(test id, outcome, skip reason) for each test of the build's last ctest run."""
    results = build / "ctest-results.xml"
    if not results.exists():
        return
    for case in ET.parse(results).iter("testcase"):
        name, status = case.get("name"), case.get("status")
        output = case.findtext("system-out") or ""
        pytest_file = build / "test-results" / f"{name}.xml"
        if status in ("run", "fail") and pytest_file.exists():
            cases = list(pytest_outcomes(pytest_file))
            yield from ((f"{name}: {case}", outcome, why) for case, outcome, why in cases)
            if status == "fail" and not any(outcome == "failed" for _, outcome, _ in cases):
                yield name, "failed", None  # pytest itself failed: a collection error, say
        elif status == "run":
            yield name, "passed", None
        elif status == "notrun":
            yield name, "skipped", gtest_reason(output)
        else:
            yield name, "failed", None


def main(builds):
    counts = Counter()
    reasons = Counter()
    for build in map(Path, builds):
        for name, outcome, why in outcomes(build):
            counts[outcome] += 1
            if outcome == "skipped":
                print(f"  skipped in {build.name}: {name}: {why}")
                reasons[why] += 1
    print(f"tests: {counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['skipped']} skipped")
    detail = "; ".join(f"{n}x {why}" if n > 1 else why for why, n in reasons.most_common())
    print(f"skipped: {counts['skipped']}" + (f" ({detail})" if detail else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
