"""Medians and ratios of the HTTP benchmarks: hello (keep-alive and pipelined) and static files.

wrk saturates its own core near nginx's rate, so for keep-alive runs the figure that counts is
the server's CPU time per request (server CPU share / requests per second)."""
import sys

from benchlib import Medians, percent, read_lines

path = sys.argv[1]
m = Medians()
for f in read_lines(path, "http_hello"):
    key = (f["peer"], int(f["pipeline"]))
    rps = float(f["req_s"])
    m.add(key + ("rps",), rps)
    m.add(key + ("cpu",), percent(f["server_cpu"]) / rps * 1e6)
    m.add(key + ("p99",), float(f["p99_ms"]))
for f in read_lines(path, "static"):
    key = (f["peer"], f["file"])
    rps = float(f["req_s"])
    size = 1024 if f["file"] == "1k.bin" else 1048576
    m.add(key + ("rps",), rps)
    m.add(key + ("cpu_req",), percent(f["server_cpu"]) / rps * 1e6)
    m.add(key + ("cpu_mib",), percent(f["server_cpu"]) / (rps * size / 1048576) * 1e3)

print("hello, keep-alive (wrk -t1 -c64)")
print(f"  {'peer':10} {'req/s':>10} {'µs CPU/req':>11} {'p99 ms':>7}")
for peer in ("custom", "nginx", "aiohttp"):
    k = (peer, 0)
    print(f"  {peer.replace('custom', 'wirekit'):10} {m.median(k + ('rps',)):10.0f} {m.median(k + ('cpu',)):11.2f} {m.median(k + ('p99',)):7.3f}")
print("hello, pipelined 16 deep")
for peer in ("custom", "nginx"):
    k = (peer, 16)
    print(f"  {peer.replace('custom', 'wirekit'):10} {m.median(k + ('rps',)):10.0f} {m.median(k + ('cpu',)):11.2f}")
print("static files (wrk -t1 -c16)")
for file in ("1k.bin", "1m.bin"):
    for peer in ("custom", "nginx"):
        k = (peer, file)
        print(f"  {file} {peer.replace('custom', 'wirekit'):8} {m.median(k + ('rps',)):10.0f} req/s "
              f"{m.median(k + ('cpu_req',)):8.2f} µs CPU/req {m.median(k + ('cpu_mib',)):8.3f} ms CPU/MiB")
print()
r = lambda a, b: m.median(a) / m.median(b)  # noqa: E731
print(f"hello CPU per request, wirekit / nginx:   {r(('custom', 0, 'cpu'), ('nginx', 0, 'cpu')):.2f}x (target <= 0.75x)")
print(f"hello p99, wirekit / nginx:               {r(('custom', 0, 'p99'), ('nginx', 0, 'p99')):.2f}x (target <= 1x)")
print(f"hello req/s, wirekit / aiohttp:           {r(('custom', 0, 'rps'), ('aiohttp', 0, 'rps')):.1f}x (target >= 10x)")
print(f"pipelined req/s, wirekit / nginx:         {r(('custom', 16, 'rps'), ('nginx', 16, 'rps')):.2f}x (target >= 1.3x)")
print(f"static 1 KiB CPU per request / nginx:     {r(('custom', '1k.bin', 'cpu_req'), ('nginx', '1k.bin', 'cpu_req')):.2f}x (target <= 0.8x)")
print(f"static 1 MiB CPU per byte / nginx:        {r(('custom', '1m.bin', 'cpu_mib'), ('nginx', '1m.bin', 'cpu_mib')):.2f}x (target <= 1.0x)")
