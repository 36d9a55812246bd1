"""Medians and ratios of the connection listing: `wirekit conns` against ss (bench_conns.sh, run
once per mode and round; each run measures ss and wirekit against the same open sockets)."""
import re
import statistics
import sys

from benchlib import Medians

FIELD = re.compile(r'(\w+)=("[^"]*"|\S+)')
m = Medians()
ratios = Medians()
runs = {}
for line in open(sys.argv[1]):
    if not line.startswith("conns "):
        continue
    f = {k: v.strip('"') for k, v in FIELD.findall(line)}
    key = (f["round"], f["mode"])
    runs.setdefault(key, {})[f["peer"]] = int(f["ms"])
    m.add((f["mode"], f["peer"]), int(f["ms"]))
    m.add((f["mode"], "rows"), int(f["rows"]))

# (mode, wirekit's command, the peer it is compared with, target)
pairs = [("plain", "wirekit conns --tcp", "ss -tan", 1.0),
         ("pid", "wirekit conns --tcp --pid", "ss -tanp", 2.0)]
for (round_, mode), peers in runs.items():
    for pair_mode, ours, theirs, _ in pairs:
        if mode == pair_mode and ours in peers and theirs in peers and peers[ours] > 0:
            ratios.add(mode, peers[theirs] / peers[ours])

print(f"{'command':32} {'ms (median)':>12}")
for mode, ours, theirs, _ in pairs:
    for peer in (ours, theirs):
        print(f"{peer:32} {m.median((mode, peer)):12.0f}")
for peer in ("netstat -tan", "netstat -tanp", "psutil.net_connections"):
    print(f"{peer:32} {m.median(('pid', peer)):12.0f}")
print(f"rows listed (median): {m.median(('plain', 'rows')):.0f}")
print()
for mode, ours, theirs, target in pairs:
    print(f"{theirs} / {ours}: {ratios.median(mode):.2f}x median of {ratios.count(mode)} runs"
          f" (target >= {target:g}x)")
