"""The normal client of the slow-client soak (bench/slow_clients.py): while an attack runs, one
client fetches a small page over a new connection each time (a visitor arriving, not a kept-alive
one: the attacks aim at the server's connection slots) and reports its success and latency.

  /usr/bin/python3 bench/slow_probe.py URL SECONDS [--rate N] [--timeout S]

Requests are sequential, paced at --rate per second at most; each has --timeout seconds for the
connect, the TLS handshake and the whole answer. A success is a 200 with the whole body.
Prints one JSON object: attempts, ok, failures by cause, latency percentiles in ms (successes).
"""
import argparse
import json
import math
import socket
import ssl
import statistics
import time
import urllib.parse


def fetch(url, timeout, tls_context):
    """One request on a new connection; returns None on success, else the cause of the failure."""
    host, port = url.hostname, url.port or (443 if url.scheme == "https" else 80)
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        return "connect:" + type(e).__name__
    try:
        if tls_context:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            sock = tls_context.wrap_socket(sock, server_hostname="localhost")
        request = f"GET {url.path or '/'} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        answer = bytearray()
        while True:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        head, _, body = bytes(answer).partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            return "status:" + head[9:12].decode(errors="replace")
        length = [int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")]
        if length and len(body) != length[0]:
            return "short-body"
        return None
    except socket.timeout:
        return "timeout"
    except (OSError, ssl.SSLError) as e:
        return "io:" + type(e).__name__
    finally:
        sock.close()


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values), max(1, math.ceil(p / 100 * len(sorted_values)))) - 1  # nearest rank
    return sorted_values[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("seconds", type=float)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--timeout", type=float, default=5)
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    tls_context = None
    if url.scheme == "https":
        tls_context = ssl.create_default_context()
        tls_context.check_hostname = False
        tls_context.verify_mode = ssl.CERT_NONE
    latencies, failures = [], {}
    attempts = 0
    interval = 1 / args.rate
    start = time.monotonic()
    end = start + args.seconds
    next_start = start
    while time.monotonic() < end:
        now = time.monotonic()
        if now < next_start:
            time.sleep(next_start - now)
        began = time.monotonic()
        next_start = began + interval
        cause = fetch(url, args.timeout, tls_context)
        attempts += 1
        if cause is None:
            latencies.append((time.monotonic() - began) * 1000)
        else:
            failures[cause] = failures.get(cause, 0) + 1
    latencies.sort()
    print(json.dumps({
        "attempts": attempts, "ok": len(latencies), "failures": failures,
        "p50_ms": round(percentile(latencies, 50), 3), "p99_ms": round(percentile(latencies, 99), 3),
        "max_ms": round(latencies[-1], 3) if latencies else float("nan"),
        "mean_ms": round(statistics.fmean(latencies), 3) if latencies else float("nan"),
    }))


if __name__ == "__main__":
    main()
