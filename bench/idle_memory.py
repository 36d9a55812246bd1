"""RSS per idle keep-alive connection: N clients each make one request, then stay connected.

usage: idle_memory.py PID PORT [N]   (PID: the server, already listening on 127.0.0.1:PORT)
Prints the server's RSS before and after, and the growth per connection."""
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    # Warm the server up (first connections allocate pools) so the baseline is fair.
    warm = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
    for s in warm:
        s.sendall(request)
        s.recv(65536)
    for s in warm:
        s.close()
    time.sleep(0.5)
    before = rss_kib(pid)
    conns = []
    deadline = time.monotonic() + 120
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        conns.append(s)
        if time.monotonic() > deadline:
            raise SystemExit("too slow")
    for s in conns:
        s.settimeout(10)
        if not s.recv(65536).startswith(b"HTTP/1.1 200"):
            raise SystemExit("bad response")
    time.sleep(1.0)
    after = rss_kib(pid)
    print(f"idle_memory connections={n} rss_before_kib={before} rss_after_kib={after} "
          f"per_connection_bytes={(after - before) * 1024 / n:.0f}")
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
