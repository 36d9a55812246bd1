"""Harness for the interop tests: the real peers (the tutorial's Python programs, Twisted)
against the wirekit CLI and examples, all on loopback, every process stopped by its PID."""
import importlib.util
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("WIREKIT_BUILD_DIR", ROOT / "build" / "dev"))
WIREKIT = BUILD / "apps" / "wirekit" / "wirekit"
EXAMPLES = BUILD / "examples"
TUTORIAL = Path(__file__).resolve().parent / "tutorial"
PYTHON = "/usr/bin/python3"  # Debian's interpreter: it sees the python3-* packages
# A sanitizer build (the asan and tsan presets) pads every allocation: memory ceilings of the
# tests are this much higher there, where leaks are the sanitizer's to catch.
MEMORY_FACTOR = 8 if BUILD.name in ("asan", "tsan") else 1


def require_program(name, package):
    """The path of a peer program the tests need. Missing, it fails the test rather than skip
    it: scripts/deps.sh installs every peer, so a missing one is a broken setup."""
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None)
    if path is None:
        pytest.fail(f"required peer {name} is missing (Debian package {package}; "
                    "scripts/deps.sh installs it)", pytrace=False)
    return path


def require_module(name, package):
    """A Python module the tests need, imported; missing, it fails the test as
    require_program does."""
    if importlib.util.find_spec(name) is None:
        pytest.fail(f"required Python module {name} is missing (Debian package {package}; "
                    "scripts/deps.sh installs it)", pytrace=False)
    return importlib.import_module(name)


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid):
    """The resident set of a process, in bytes (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


def wait_tcp(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


class Process:
    """A background process whose stdout lines are collected as they arrive."""

    def __init__(self, argv, **kwargs):
        self.argv = [str(a) for a in argv]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1, **kwargs)
        self.lines = queue.Queue()
        self.stderr_text = ""
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self, timeout=10.0):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"{self.argv[0]} printed nothing within {timeout}s") from None

    def wait(self, timeout=10.0):
        """Waits for the process to exit by itself; returns its exit code."""
        code = self.proc.wait(timeout=timeout)
        self.stderr_text = self.proc.stderr.read()
        return code

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signals the process (by PID), waits, and returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.stderr_text = self.proc.stderr.read()
        return code


@pytest.fixture
def spawn():
    started = []

    def start(argv, **kwargs):
        p = Process(argv, **kwargs)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop(signal.SIGKILL if p.proc.poll() is None else signal.SIGTERM)


def run(argv, timeout=20, **kwargs):
    """Runs a command to completion; returns CompletedProcess with text output."""
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def tutorial(name):
    return [PYTHON, "-u", TUTORIAL / name]


# What `wirekit hello` and `wirekit http serve` print once listening (http or https).
RUNNING = re.compile(r"^======== Running on https?://127\.0\.0\.1:(\d+) ========$")
SERVING = re.compile(
    r"^Serving HTTPS? on 127\.0\.0\.1 port (\d+) \(https?://127\.0\.0\.1:(\d+)/\) \.\.\.$")


def start_hello(spawn, *flags):
    """`wirekit hello` on a free port of 127.0.0.1 with two loops; returns (process, port)."""
    server = spawn([WIREKIT, "hello", "--port", "0", "--host", "127.0.0.1", "--threads", "2",
                    *flags])
    line = server.line()
    match = RUNNING.match(line)
    assert match, line
    assert server.line() == "(Press CTRL+C to quit)"
    return server, int(match[1])


def start_static(spawn, root, *flags):
    """`wirekit http serve ROOT` on a free port of 127.0.0.1; returns (process, port)."""
    server = spawn([WIREKIT, "http", "serve", root, "--port", "0", "--bind", "127.0.0.1",
                    "--threads", "2", *flags])
    line = server.line()
    match = SERVING.match(line)
    assert match and match[1] == match[2], line
    return server, int(match[1])
