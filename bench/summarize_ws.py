"""Medians and ratios of the WebSocket benchmark (bench/run.sh ws, several rounds).

broadcast: deliveries per second of the chat room (100 clients, 2,000 messages) and the server's
CPU time per delivery in the measured run (cpu_trace.py's last burst: the sync message, the
2,000 broadcasts and the 100 closes). echo: messages per second over 500 connections, and echoes
per CPU-second of the server, which is the figure that ranks servers when the load client's
core is the limit (the server must be near 100% for msgs/s to mean anything). memory: RSS growth
per idle connection."""
import sys

from benchlib import Medians, percent

BROADCAST = {"wirekit": "wirekit", "websockets": "websockets 10.4", "uws": "uWebSockets"}
ECHO = {"wirekit": "wirekit", "lws": "libwebsockets", "beast": "Boost.Beast"}
MEMORY = {"wirekit": "wirekit", "websockets": "websockets 10.4"}

m = Medians()
shape, connections = (100, 2000), 500  # what the lines say, when there are any
problems = []  # lines of failed runs: reported, left out of the medians
for line in open(sys.argv[1]):
    if "FAILED" in line or "PROBLEMS" in line or "INCOMPLETE" in line:
        problems.append(line.strip())


def read_lines(path, kind):
    """The fields of each line of `kind` whose run succeeded."""
    for line in open(path):
        if line.startswith(kind + " ") and line.strip() not in problems:
            yield dict(f.split("=", 1) for f in line.split() if "=" in f and not f.startswith("runs"))


for f in read_lines(sys.argv[1], "ws_broadcast"):
    peer = f["peer"]
    rate = float(f["deliveries_s"])
    m.add((peer, "rate"), rate)
    if "burst_cpu_s" in f:
        deliveries = int(f["clients"]) * int(f["messages"])
        m.add((peer, "cpu"), float(f["burst_cpu_s"]) / deliveries * 1e6)
        m.add((peer, "share"), percent(f["burst_server_cpu"]))
    m.add((peer, "load"), percent(f["load_cpu"]))
    shape = (int(f["clients"]), int(f["messages"]))

for f in read_lines(sys.argv[1], "ws_echo"):
    connections = int(f["connections"])
    key = (f["peer"], int(f["size"]))
    m.add(key + ("rate",), float(f["msgs_s"]))
    if "echoes_per_cpu_s" in f:
        m.add(key + ("per_cpu",), float(f["echoes_per_cpu_s"]))
        m.add(key + ("share",), percent(f["server_cpu"]))
    m.add(key + ("client",), percent(f["client_cpu"]))

memory = {}
for f in read_lines(sys.argv[1], "ws_idle_memory"):
    memory[(f["peer"], f["compression"])] = (int(f["per_connection_bytes"]), int(f["connections"]))


def ratio(a, b):
    return a / b if b and b == b else float("nan")


print(f"broadcast: {shape[0]:,} clients, {shape[1]:,} messages, each delivered to every client "
      "(ws_load.c)")
print(f"  {'peer':16} {'deliveries/s':>13} {'µs server CPU/delivery':>23} {'server CPU':>11} "
      f"{'load CPU':>9}  runs")
for peer, name in BROADCAST.items():
    if not m.count((peer, "rate")):
        continue
    print(f"  {name:16} {m.median((peer, 'rate')):13.0f} {m.median((peer, 'cpu')):23.3f} "
          f"{m.median((peer, 'share')) * 100:10.0f}% {m.median((peer, 'load')) * 100:8.0f}%  "
          f"{m.count((peer, 'rate'))}")
for peer in ("websockets", "uws"):
    if m.count((peer, "rate")):
        print(f"  wirekit / {BROADCAST[peer]}: "
              f"{ratio(m.median(('wirekit', 'rate')), m.median((peer, 'rate'))):5.2f}x deliveries/s, "
              f"{ratio(m.median((peer, 'cpu')), m.median(('wirekit', 'cpu'))):5.2f}x less CPU per delivery")

print(f"echo: {connections:,} connections, one message in flight on each, no compression "
      "(bench/ws_load)")
print(f"  {'peer':16} {'size':>6} {'msgs/s':>10} {'echoes/CPU-s':>13} {'server CPU':>11} "
      f"{'load CPU':>9}  runs")
sizes = sorted({k[1] for k in m.groups if len(k) == 3 and isinstance(k[1], int)})
for size in sizes:
    for peer, name in ECHO.items():
        k = (peer, size)
        if not m.count(k + ("rate",)):
            continue
        print(f"  {name:16} {size:6} {m.median(k + ('rate',)):10.0f} {m.median(k + ('per_cpu',)):13.0f} "
              f"{m.median(k + ('share',)) * 100:10.0f}% {m.median(k + ('client',)) * 100:8.0f}%  "
              f"{m.count(k + ('rate',))}")
for size in sizes:
    for peer in ("lws", "beast"):
        if not m.count((peer, size, "rate")):
            continue
        print(f"  {size:5} B wirekit / {ECHO[peer]}: "
              f"{ratio(m.median(('wirekit', size, 'rate')), m.median((peer, size, 'rate'))):5.2f}x msgs/s, "
              f"{ratio(m.median(('wirekit', size, 'per_cpu')), m.median((peer, size, 'per_cpu'))):5.2f}x "
              f"echoes per CPU-second")

if memory:
    n = next(iter(memory.values()))[1]
    print(f"memory: RSS per idle connection, {n:,} open, one message echoed on each")
    print(f"  {'peer':16} {'compression':>11} {'bytes/conn':>11}")
    for peer, name in MEMORY.items():
        for mode in ("off", "on"):
            if (peer, mode) in memory:
                print(f"  {name:16} {mode:>11} {memory[(peer, mode)][0]:11}")
    for mode in ("off", "on"):
        if ("wirekit", mode) in memory and ("websockets", mode) in memory:
            print(f"  compression {mode}: wirekit / websockets 10.4 bytes per connection: "
                  f"{ratio(memory[('wirekit', mode)][0], memory[('websockets', mode)][0]):5.2f}x")

for p in problems:
    print(f"  problem: {p}")
