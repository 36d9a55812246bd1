"""Medians and ratios of the HTTP client benchmark: wall time to fetch the tutorial's 300 URLs
(wirekit fetch, the §11.1 aiohttp program, curl --parallel) and the keep-alive request rate of
one wirekit Session against wrk's, on the same nginx."""
import sys

from benchlib import Medians, read_lines

m = Medians()
for f in read_lines(sys.argv[1], "client_fetch"):
    if f.get("seconds"):
        m.add(("fetch", f["peer"]), float(f["seconds"]))
for f in read_lines(sys.argv[1], "client_rate"):
    m.add(("rate", f["peer"]), float(f["requests_s"]))

print("300 URLs (3 paths x 100), 20 connections: median wall time")
for peer in ("wirekit", "aiohttp", "curl"):
    print(f"  {peer:8} {m.median(('fetch', peer)) * 1000:8.1f} ms   ({m.count(('fetch', peer))} runs)")
print("keep-alive request rate, 64 connections, 5 s")
for peer in ("wirekit", "wrk"):
    print(f"  {peer:8} {m.median(('rate', peer)):10.0f} req/s")
print()
w = m.median(("fetch", "wirekit"))
print(f"fetch: aiohttp time / wirekit time:  {m.median(('fetch', 'aiohttp')) / w:5.1f}x (target >= 5x)")
print(f"fetch: curl time / wirekit time:     {m.median(('fetch', 'curl')) / w:5.1f}x (target >= 1.5x)")
print(f"rate: wirekit Session / wrk:         {m.median(('rate', 'wirekit')) / m.median(('rate', 'wrk')):5.2f}x (target >= 0.8x)")
