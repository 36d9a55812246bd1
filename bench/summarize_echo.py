"""Medians and ratios of the TCP echo benchmark (lines of bench_tcp_echo.sh, several rounds).

The load generator saturates its own core near the C reference, so round trips per second
alone cannot rank fast servers: the figure that counts is the server's CPU time per round trip
(server CPU share / round trips per second)."""
import sys

from benchlib import Medians, percent, read_lines

NAMES = {"custom": "wirekit", "c_epoll": "C epoll", "twisted": "Twisted", "asyncio": "asyncio"}
m = Medians()
for f in read_lines(sys.argv[1], "tcp_echo"):
    peer, mode, cpu = f["peer"], f["mode"], percent(f["server_cpu"])
    rate = float(f["round_trips_s"] if mode == "rr" else f["echoed_MiB_s"])
    m.add((peer, mode, "rate"), rate)
    m.add((peer, mode, "cpu"), cpu / rate * (1e6 if mode == "rr" else 1e3) if rate else float("inf"))

print(f"{'peer':10} {'rr round trips/s':>17} {'µs CPU/rt':>10} {'bulk MiB/s':>11} {'ms CPU/MiB':>11}  runs")
for peer in NAMES:
    print(f"{NAMES[peer]:10} {m.median((peer, 'rr', 'rate')):17.0f} {m.median((peer, 'rr', 'cpu')):10.2f} "
          f"{m.median((peer, 'bulk', 'rate')):11.1f} {m.median((peer, 'bulk', 'cpu')):11.3f}  "
          f"{m.count((peer, 'rr', 'rate'))}")
print()
ratio = lambda a, b: a / b  # noqa: E731
print(f"wirekit CPU per round trip / C epoll's: {ratio(m.median(('custom', 'rr', 'cpu')), m.median(('c_epoll', 'rr', 'cpu'))):.2f}x (target <= 1.1x)")
print(f"wirekit round trips/s / Twisted's:      {ratio(m.median(('custom', 'rr', 'rate')), m.median(('twisted', 'rr', 'rate'))):.2f}x (target >= 3x)")
print(f"wirekit bulk MiB/s / C epoll's:         {ratio(m.median(('custom', 'bulk', 'rate')), m.median(('c_epoll', 'bulk', 'rate'))):.2f}x (target >= 0.9x)")
print(f"wirekit CPU per MiB / C epoll's:        {ratio(m.median(('custom', 'bulk', 'cpu')), m.median(('c_epoll', 'bulk', 'cpu'))):.2f}x")
