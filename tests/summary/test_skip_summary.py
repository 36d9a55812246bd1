"""scripts/test_summary.py, the end of `make test`, on the JUnit files of a made-up run: a
GoogleTest skip that ctest saw as "notrun", and pytest skips inside a file ctest saw pass."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CTEST = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="wirekit" tests="4" failures="1" disabled="0" skipped="1">
  <testcase name="Udp.Multicast" classname="Udp.Multicast" status="notrun">
    <skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>
    <system-out>[ RUN      ] Udp.Multicast
udp_test.cpp:91: Skipped
no multicast route on lo here
[  SKIPPED ] Udp.Multicast (0 ms)
</system-out>
  </testcase>
  <testcase name="Tcp.Echo" classname="Tcp.Echo" status="run"/>
  <testcase name="Tcp.Broken" classname="Tcp.Broken" status="fail"><failure message=""/></testcase>
  <testcase name="interop.test_tls" classname="interop.test_tls" status="run"/>
</testsuite>
"""

PYTEST = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="2" tests="3">
  <testcase classname="test_tls" name="test_a"/>
  <testcase classname="test_tls" name="test_b">
    <skipped type="pytest.skip" message="no CAP_NET_RAW">test_tls.py:9: no CAP_NET_RAW</skipped>
  </testcase>
  <testcase classname="test_tls" name="test_c">
    <skipped type="pytest.skip" message="no CAP_NET_RAW">test_tls.py:12: no CAP_NET_RAW</skipped>
  </testcase>
</testsuite></testsuites>
"""


def test_counts_every_test_and_says_why_each_skipped_one_was(tmp_path):
    build = tmp_path / "dev"
    (build / "test-results").mkdir(parents=True)
    (build / "ctest-results.xml").write_text(CTEST)
    (build / "test-results" / "interop.test_tls.xml").write_text(PYTEST)
    result = subprocess.run(["/usr/bin/python3", ROOT / "scripts" / "test_summary.py", build],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "  skipped in dev: Udp.Multicast: no multicast route on lo here",
        "  skipped in dev: interop.test_tls: test_tls::test_b: no CAP_NET_RAW",
        "  skipped in dev: interop.test_tls: test_tls::test_c: no CAP_NET_RAW",
        "tests: 2 passed, 1 failed, 3 skipped",
        "skipped: 3 (2x no CAP_NET_RAW; no multicast route on lo here)",
    ]


def test_a_build_directory_without_results_counts_nothing(tmp_path):
    result = subprocess.run(["/usr/bin/python3", ROOT / "scripts" / "test_summary.py", tmp_path],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines() == ["tests: 0 passed, 0 failed, 0 skipped", "skipped: 0"]
