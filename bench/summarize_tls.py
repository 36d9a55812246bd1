"""Medians and ratios of the HTTPS benchmark: keep-alive requests and full handshakes per
second, wirekit against nginx, and the server's CPU time per request (which is what counts when
wrk, doing its own half of every handshake, saturates its core first)."""
import sys

from benchlib import Medians, read_lines

path, clock_ticks = sys.argv[1], float(sys.argv[2])
m = Medians()
for f in read_lines(path, "tls"):
    if not f.get("req_s"):
        continue
    key = (f["mode"], f["peer"])
    rps = float(f["req_s"])
    m.add(key + ("rps",), rps)
    cpu_seconds = float(f["server_ticks"]) / clock_ticks
    m.add(key + ("cpu",), cpu_seconds / (rps * float(f["seconds"])) * 1e6)
for f in read_lines(path, "tls_cipher"):
    print(f"  {f['peer']:8} negotiates {f['version']} {f['cipher']}")

for mode, title, target in (("keepalive", "keep-alive requests (wrk -t1 -c64)", 1.2),
                            ("handshake", "full handshakes, one per request", 1.0)):
    print(title)
    print(f"  {'peer':8} {'req/s':>10} {'µs server CPU/req':>18}   runs")
    for peer in ("wirekit", "nginx"):
        k = (mode, peer)
        print(f"  {peer:8} {m.median(k + ('rps',)):10.0f} {m.median(k + ('cpu',)):18.1f}   "
              f"{m.count(k + ('rps',))}")
    ratio = m.median((mode, "wirekit", "rps")) / m.median((mode, "nginx", "rps"))
    cpu = m.median((mode, "nginx", "cpu")) / m.median((mode, "wirekit", "cpu"))
    print(f"  wirekit / nginx: {ratio:5.2f}x req/s, {cpu:5.2f}x less CPU per request "
          f"(target >= {target}x)")
