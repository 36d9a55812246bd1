"""The examples that need no peer: they run and print what docs/ says they print."""
from conftest import EXAMPLES, run


def test_runtime_tour():
    result = run([EXAMPLES / "runtime_tour"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "when_all: 1 + 2 = 3 (2 running at once)",
        "when_any: alternative 1 won with 7",
        "with_timeout: slow value: timed out after 20ms",
        "task group: 3 workers done",
        "blocking: ran on another thread: yes",
    ]
