"""Shared by the summaries: the harness lines (key=value fields) and medians."""
import statistics
from collections import defaultdict


def read_lines(path, kind):
    """Yields the fields of each line of `kind` ("tcp_echo", "http_hello", "static")."""
    for line in open(path):
        if not line.startswith(kind + " ") or "FAILED" in line:
            continue
        yield dict(f.split("=", 1) for f in line.split() if "=" in f and not f.startswith("runs"))


def percent(v):
    return float(v.rstrip("%")) / 100


class Medians:
    """Values grouped by a key; median() of each group."""

    def __init__(self):
        self.groups = defaultdict(list)

    def add(self, key, value):
        self.groups[key].append(value)

    def median(self, key):
        values = self.groups.get(key, [])
        return statistics.median(values) if values else float("nan")

    def count(self, key):
        return len(self.groups.get(key, []))
