"""Defects found by outside test suites and abusive clients (issue 12), each pinned by a test
that failed before its fix."""
import socket
import subprocess
import threading
import time

import requests

from conftest import MEMORY_FACTOR, rss_bytes, start_static

BIG = 20 * 1024 * 1024


def big_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "big.bin").write_bytes(b"\x5a" * BIG)
    (root / "small.txt").write_text("still here\n")
    return root


def assert_still_serving(server, port):
    assert server.proc.poll() is None, f"the server died (exit {server.proc.returncode})"
    r = requests.get(f"http://127.0.0.1:{port}/small.txt", timeout=5)
    assert r.status_code == 200 and r.text == "still here\n"


def test_a_client_that_hangs_up_mid_file_does_not_kill_the_server(spawn, tmp_path):
    # `curl -s URL | head -c 1000`: head exits after 1000 bytes, curl closes, and the server's
    # sendfile() meets a closed socket (SIGPIPE, exit 141, before the fix).
    server, port = start_static(spawn, big_root(tmp_path))
    for _ in range(3):
        out = subprocess.run(
            f"curl -s http://127.0.0.1:{port}/big.bin | head -c 1000", shell=True,
            capture_output=True, timeout=20)
        assert out.stdout == b"\x5a" * 1000
        time.sleep(0.2)
    assert_still_serving(server, port)


def test_a_slow_reader_that_gives_up_does_not_kill_the_server(spawn, tmp_path):
    server, port = start_static(spawn, big_root(tmp_path))
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            got = 0
            while got < 64 * 1024:  # read a little, slowly
                chunk = s.recv(4096)
                assert chunk
                got += len(chunk)
                time.sleep(0.01)
            # Say goodbye (FIN) while the server is still sending, then close with its bytes
            # unread: the reset meets a connection in CLOSE_WAIT, whose next write is EPIPE.
            s.shutdown(socket.SHUT_WR)
            time.sleep(0.3)
        time.sleep(0.2)
    assert_still_serving(server, port)


def test_a_body_for_a_route_that_does_not_take_it_is_refused_before_it_is_sent(spawn, tmp_path):
    # POST to a GET-only route announcing a megabyte: 405 at once, from the head, and the
    # connection closes; the server never waits for (nor buffers) the body.
    server, port = start_static(spawn, big_root(tmp_path))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
        start = time.monotonic()
        head = s.recv(4096)
        assert time.monotonic() - start < 2
        assert head.startswith(b"HTTP/1.1 405 "), head
        assert b"Connection: close" in head
    assert_still_serving(server, port)


def test_300_clients_posting_a_megabyte_each_to_a_get_route_add_no_memory(spawn, tmp_path):
    # Before the fix each refused body was read into memory first: 300 clients sending 1 MiB
    # each added about 400 MiB of RSS (nginx answers 405 at once and adds nothing).
    server, port = start_static(spawn, big_root(tmp_path))
    before = rss_bytes(server.proc.pid)
    peak = [before]
    answers = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_bytes(server.proc.pid))
            time.sleep(0.02)

    def client():
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"POST /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
            try:
                s.sendall(b"\x00" * 1048576)  # the server may close before all of it arrives
            except OSError:
                pass
            try:
                answers.append(s.recv(64)[:12])
            except OSError as e:
                answers.append(repr(e).encode())

    sampler = threading.Thread(target=sample)
    sampler.start()
    clients = [threading.Thread(target=client) for _ in range(300)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(30)
    stop.set()
    sampler.join()
    assert answers.count(b"HTTP/1.1 405") == 300, set(answers)
    grown = peak[0] - before
    assert grown < 32 * 1024 * 1024 * MEMORY_FACTOR, f"RSS grew by {grown / 2**20:.1f} MiB"
    assert_still_serving(server, port)
