"""The CPU time of a server that a harness starts and stops itself, for the last burst of work.

bench_ws_broadcast.sh starts the server (CUSTOM_CMD), runs a warm-up load, then the measured
load, then stops it; it reports deliveries/s but not the server's CPU. Run as the server's
command, this wrapper starts the real server, samples its CPU time (the sum of
/proc/PID/task/*/schedstat, in ns) every 10 ms from the load CPU, and writes the samples when it
is stopped. `--burst` then finds the measured run in them: the last stretch of activity, which
the load client's 300 ms pause after its handshakes separates from what came before.

usage: cpu_trace.py TRACE -- CMD...       (as CUSTOM_CMD; SIGTERM/SIGINT stop CMD, then write TRACE)
       cpu_trace.py --burst TRACE         prints burst_cpu_s=… burst_s=… burst_server_cpu=…%
"""
import os
import signal
import subprocess
import sys
import time

INTERVAL = 0.01
IDLE_GAP = 0.2  # stretches of activity closer than this are one burst
BUSY = 0.05  # a sample interval is active when the server used more than 5% of a core in it


def cpu_ns(pid):
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return None
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass
    return total


def trace(path, argv):
    child = subprocess.Popen(argv)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    load_cpu = int(os.environ.get("LOAD_CPU", "1"))
    try:  # sample from the load generator's CPU, not the server's
        os.sched_setaffinity(0, {load_cpu})
    except OSError:
        pass
    samples = []
    while not stop and child.poll() is None:
        c = cpu_ns(child.pid)
        if c is not None:
            samples.append((time.monotonic_ns(), c))
        time.sleep(INTERVAL)
    with open(path, "w") as f:
        f.writelines(f"{t} {c}\n" for t, c in samples)
    if child.poll() is None:  # the harness signals the server too; give it a moment
        try:
            child.wait(timeout=2)
        except subprocess.TimeoutExpired:
            child.terminate()
    try:
        return child.wait(timeout=3)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()


def burst(path):
    samples = [tuple(map(int, line.split())) for line in open(path) if line.strip()]
    if len(samples) < 3:
        raise SystemExit(f"cpu_trace: too few samples in {path}")
    active = []  # (start index, end index) of busy sample intervals, merged across short gaps
    for i in range(1, len(samples)):
        (t0, c0), (t1, c1) = samples[i - 1], samples[i]
        if c1 - c0 > BUSY * (t1 - t0):
            if active and (t0 - samples[active[-1][1]][0]) < IDLE_GAP * 1e9:
                active[-1] = (active[-1][0], i)
            else:
                active.append((i - 1, i))
    if not active:
        raise SystemExit(f"cpu_trace: no activity in {path}")
    a, b = active[-1]
    cpu = (samples[b][1] - samples[a][1]) / 1e9
    wall = (samples[b][0] - samples[a][0]) / 1e9
    return f"burst_cpu_s={cpu:.4f} burst_s={wall:.4f} burst_server_cpu={cpu / wall * 100:.0f}%"


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--burst":
        print(burst(sys.argv[2]))
        return 0
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    return trace(sys.argv[1], sys.argv[3:])


if __name__ == "__main__":
    sys.exit(main())
