"""Medians and ratios of the TCP echo benchmark (lines of bench_tcp_echo.sh, several rounds).

The load generator saturates its own core near the C reference, so round trips per second
alone cannot rank fast servers: the figure that counts is the server's CPU time per round trip
(server CPU share / round trips per second)."""
import statistics
import sys
from collections import defaultdict

NAMES = {"custom": "wirekit", "c_epoll": "C epoll", "twisted": "Twisted", "asyncio": "asyncio"}

rows = defaultdict(list)
for line in open(sys.argv[1]):
    fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
    peer, mode = fields["peer"], fields["mode"]
    cpu = float(fields["server_cpu"].rstrip("%")) / 100
    if mode == "rr":
        rate = float(fields["round_trips_s"])
        rows[(peer, mode)].append((rate, cpu / rate * 1e6 if rate else float("inf")))
    else:
        rate = float(fields["echoed_MiB_s"])
        rows[(peer, mode)].append((rate, cpu / rate * 1e3 if rate else float("inf")))


def med(peer, mode, i):
    values = [r[i] for r in rows.get((peer, mode), [])]
    return statistics.median(values) if values else float("nan")


print(f"{'peer':10} {'rr round trips/s':>17} {'µs CPU/rt':>10} {'bulk MiB/s':>11} {'ms CPU/MiB':>11}  runs")
for peer in ("custom", "c_epoll", "twisted", "asyncio"):
    print(f"{NAMES[peer]:10} {med(peer, 'rr', 0):17.0f} {med(peer, 'rr', 1):10.2f} "
          f"{med(peer, 'bulk', 0):11.1f} {med(peer, 'bulk', 1):11.3f}  {len(rows[(peer, 'rr')])}")
print()
print(f"wirekit CPU per round trip / C epoll's: {med('custom', 'rr', 1) / med('c_epoll', 'rr', 1):.2f}x (target <= 1.1x)")
print(f"wirekit round trips/s / Twisted's:      {med('custom', 'rr', 0) / med('twisted', 'rr', 0):.2f}x (target >= 3x)")
print(f"wirekit bulk MiB/s / C epoll's:         {med('custom', 'bulk', 0) / med('c_epoll', 'bulk', 0):.2f}x (target >= 0.9x)")
print(f"wirekit CPU per MiB / C epoll's:        {med('custom', 'bulk', 1) / med('c_epoll', 'bulk', 1):.2f}x")
