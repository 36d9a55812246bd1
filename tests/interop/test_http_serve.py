"""`wirekit serve` with only an [http] section: /hello, /hello/{name}, /healthz, the files of
`root`, and one JSON access-log line per request on stdout."""
import http.client
import json
import os
import select
import socket
import signal
import textwrap
import time

import pytest
import requests

from conftest import WIREKIT, free_port

INDEX = "<!DOCTYPE html><title>wirekit</title><h1>It works</h1>\n"
NOTES = "".join(f"note {i}: keep the tutorial close.\n" for i in range(100))


@pytest.fixture
def web(spawn, tmp_path):
    root = tmp_path / "public"
    (root / "docs").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "docs" / "notes.txt").write_text(NOTES)
    port = free_port()
    config = tmp_path / "wirekit.toml"
    config.write_text(textwrap.dedent(f"""
        [server]
        threads = 2
        shutdown_grace = "2s"
        [http]
        host = "127.0.0.1"
        port = {port}
        root = "{root}"
        access_log = "json"
        """))
    server = spawn([WIREKIT, "serve", "-c", config])
    assert server.line() == f"http: listening on 127.0.0.1:{port}"
    return server, port


def log_entry(server):
    line = server.line()
    entry = json.loads(line)
    assert entry["remote"] == "127.0.0.1"
    assert isinstance(entry["duration_ms"], (int, float)) and entry["duration_ms"] >= 0
    assert isinstance(entry["time"], int)
    return entry


def test_routes_and_their_access_log_lines(web):
    server, port = web
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    expected = [
        ("GET", "/hello", 200, b"Hello, Anonymous!", "text/plain; charset=utf-8"),
        ("GET", "/hello/World", 200, b"Hello, World!", "text/plain; charset=utf-8"),
        ("GET", "/hello/J%C3%BCrgen", 200, "Hello, Jürgen!".encode(), "text/plain; charset=utf-8"),
        ("GET", "/healthz", 200, b"ok\n", "text/plain; charset=utf-8"),
        ("GET", "/", 200, INDEX.encode(), "text/html; charset=utf-8"),
        ("GET", "/docs/notes.txt", 200, NOTES.encode(), "text/plain; charset=utf-8"),
        ("GET", "/docs/missing.txt", 404, None, None),
        ("HEAD", "/docs/notes.txt", 200, b"", "text/plain; charset=utf-8"),
        ("GET", "/docs/notes.txt?v=2", 200, NOTES.encode(), "text/plain; charset=utf-8"),
    ]
    for method, target, status, body, ctype in expected:
        conn.request(method, target, headers={"User-Agent": "interop-test/1"})
        r = conn.getresponse()
        got = r.read()
        assert r.status == status, target
        if body is not None:
            assert got == body, target
            assert r.getheader("Content-Type") == ctype, target
        entry = log_entry(server)
        assert (entry["method"], entry["target"], entry["status"]) == (method, target, status)
        assert entry["user_agent"] == "interop-test/1"
        assert entry["referer"] == "-"
        if method == "HEAD":
            assert entry["bytes"] == 0
        elif body is not None:
            assert entry["bytes"] == len(body), target
        else:
            assert entry["bytes"] == int(r.getheader("Content-Length"))
    conn.close()
    assert server.stop(signal.SIGTERM) == 0


def test_compressed_responses_log_the_bytes_sent(web):
    server, port = web
    r = requests.get(f"http://127.0.0.1:{port}/docs/notes.txt",
                     headers={"Accept-Encoding": "gzip", "Referer": "http://example.com/"},
                     timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.text == NOTES
    entry = log_entry(server)
    assert entry["target"] == "/docs/notes.txt"
    assert entry["referer"] == "http://example.com/"
    assert entry["bytes"] == int(r.headers["Content-Length"]) < len(NOTES)


def test_json_log_lines_stay_valid_json_whatever_the_client_sends(web):
    server, port = web
    target = '/hello/"q"?x=\\&y={}'
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n".encode()
                  + b'User-Agent: agent \xff\xfe "quoted" \\ end\r\n\r\n')
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert reply.endswith(b'Hello, "q"!')
    entry = log_entry(server)  # json.loads of the line
    assert entry["target"] == target
    assert entry["status"] == 200
    assert entry["user_agent"].startswith("agent ")
    assert entry["user_agent"].endswith(' "quoted" \\ end')


def test_hello_routes_take_only_get(web):
    server, port = web
    r = requests.post(f"http://127.0.0.1:{port}/hello/World", data="x", timeout=5)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "HEAD"}
    entry = log_entry(server)
    assert (entry["method"], entry["target"], entry["status"]) == ("POST", "/hello/World", 405)


def test_directory_redirect_and_listing(web):
    server, port = web
    r = requests.get(f"http://127.0.0.1:{port}/docs", allow_redirects=False, timeout=5)
    assert r.status_code == 301
    assert r.headers["Location"] == "/docs/"
    assert log_entry(server)["status"] == 301
    r = requests.get(f"http://127.0.0.1:{port}/docs", timeout=5)  # follows it
    assert r.status_code == 200
    assert "notes.txt" in r.text
    assert [log_entry(server)["target"] for _ in range(2)] == ["/docs", "/docs/"]


def test_healthz_and_hello_beat_the_static_root(spawn, tmp_path):
    """Literal routes win over the files at /, whatever files the root holds."""
    root = tmp_path / "public"
    root.mkdir()
    (root / "healthz").write_text("a file named healthz\n")
    (root / "hello").write_text("a file named hello\n")
    port = free_port()
    config = tmp_path / "wirekit.toml"
    config.write_text(f'[http]\nhost = "127.0.0.1"\nport = {port}\nroot = "{root}"\n')
    server = spawn([WIREKIT, "serve", "-c", config])
    assert server.line() == f"http: listening on 127.0.0.1:{port}"
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).text == "ok\n"
    assert requests.get(f"http://127.0.0.1:{port}/hello", timeout=5).text == "Hello, Anonymous!"
    assert server.stop(signal.SIGINT) == 0


# ---- [http] timeouts and limits --------------------------------------------------------------------

@pytest.fixture
def strict(spawn, tmp_path):
    """A server with short timeouts and small limits, set in [http]."""
    port = free_port()
    config = tmp_path / "wirekit.toml"
    config.write_text(textwrap.dedent(f"""
        [http]
        host = "127.0.0.1"
        port = {port}
        header_timeout = "1s"
        keepalive_timeout = "500ms"
        keepalive_requests = 3
        max_body = 10
        """))
    server = spawn([WIREKIT, "serve", "-c", config])
    assert server.line() == f"http: listening on 127.0.0.1:{port}"
    return server, port


def read_head(sock_file):
    status = sock_file.readline()
    fields = {}
    while (line := sock_file.readline()) not in (b"\r\n", b""):
        name, value = line.decode("latin-1").split(":", 1)
        fields[name.lower()] = value.strip()
    return status, fields


def test_incomplete_head_gets_408_after_header_timeout(strict):
    _, port = strict
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: a\r\n")  # no blank line: never complete
        start = time.monotonic()
        f = s.makefile("rb")
        status, fields = read_head(f)
        assert status.startswith(b"HTTP/1.1 408 ")
        assert fields["connection"] == "close"
        f.read(int(fields["content-length"]))
        assert f.read() == b""
        assert time.monotonic() - start < 4


def test_header_timeout_bounds_the_whole_head_not_each_read(strict):
    """Slowloris: a head trickled in three bytes every 250 ms, four seconds in all. As nginx's
    client_header_timeout, header_timeout is the time the whole head may take: 408 after ~1 s."""
    _, port = strict
    head = b"GET /hello HTTP/1.1\r\nHost: a\r\nX-Pad: " + b"p" * 8 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        start = time.monotonic()
        answered_at = None
        for i in range(0, len(head), 3):
            try:
                s.sendall(head[i:i + 3])
            except OSError:
                break  # closed on us: what we want; the answer is read below
            if select.select([s], [], [], 0.25)[0]:
                answered_at = time.monotonic() - start
                break
        f = s.makefile("rb")
        status, _ = read_head(f)
        if answered_at is None:
            answered_at = time.monotonic() - start
    assert status.startswith(b"HTTP/1.1 408 "), (status, f"after {answered_at:.1f}s")
    assert answered_at < 3


def test_idle_keep_alive_connection_closes_after_keepalive_timeout(strict):
    _, port = strict
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        f = s.makefile("rb")
        status, fields = read_head(f)
        assert status.startswith(b"HTTP/1.1 200 ")
        assert "connection" not in fields  # kept alive...
        assert f.read(int(fields["content-length"])) == b"ok\n"
        start = time.monotonic()
        assert f.read() == b""  # ...until it has been idle for 500 ms
        assert time.monotonic() - start < 4


def test_keepalive_requests_ends_the_connection_after_that_many(strict):
    _, port = strict
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /hello/1 HTTP/1.1\r\nHost: a\r\n\r\n"
                  + b"GET /hello/2 HTTP/1.1\r\nHost: a\r\n\r\n"
                  + b"GET /hello/3 HTTP/1.1\r\nHost: a\r\n\r\n"
                  + b"GET /hello/4 HTTP/1.1\r\nHost: a\r\n\r\n")
        f = s.makefile("rb")
        for n in (1, 2, 3):
            status, fields = read_head(f)
            assert status.startswith(b"HTTP/1.1 200 ")
            assert f.read(int(fields["content-length"])) == f"Hello, {n}!".encode()
            assert ("connection" in fields) == (n == 3)
        assert fields["connection"] == "close"
        assert f.read() == b""  # the fourth request is never answered on this connection


def test_max_body_from_the_config(strict):
    _, port = strict
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /hello/small HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789")
        f = s.makefile("rb")
        status, fields = read_head(f)
        assert status.startswith(b"HTTP/1.1 200 ")
        assert f.read(int(fields["content-length"])) == b"Hello, small!"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n")
        f = s.makefile("rb")
        status, fields = read_head(f)
        assert status.startswith(b"HTTP/1.1 413 ")
        f.read(int(fields["content-length"]))
        assert f.read() == b""


# ---- graceful shutdown with a download in flight ---------------------------------------------------

@pytest.fixture
def downloads(spawn, tmp_path):
    root = tmp_path / "public"
    root.mkdir()
    payload = os.urandom(1 << 20) * 24  # 24 MiB: far more than the socket buffers hold
    (root / "huge.bin").write_bytes(payload)
    port = free_port()
    config = tmp_path / "wirekit.toml"
    config.write_text(textwrap.dedent(f"""
        [server]
        shutdown_grace = "1s"
        [http]
        host = "127.0.0.1"
        port = {port}
        root = "{root}"
        """))
    server = spawn([WIREKIT, "serve", "-c", config])
    assert server.line() == f"http: listening on 127.0.0.1:{port}"
    return server, port, payload


def test_download_in_flight_finishes_during_the_grace(downloads):
    server, port, payload = downloads
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /huge.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        f = s.makefile("rb")
        status, fields = read_head(f)
        assert status.startswith(b"HTTP/1.1 200 ")
        first = f.read(65536)  # the server is now blocked sending the rest
        server.proc.send_signal(signal.SIGTERM)
        rest = f.read(int(fields["content-length"]) - len(first))
        assert first + rest == payload
        assert f.read() == b""  # and then the connection closes
    assert server.wait(timeout=5) == 0


def test_stalled_download_is_cut_at_the_end_of_the_grace(downloads):
    server, port, payload = downloads
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /huge.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200 ")
        time.sleep(0.2)  # never read more: the server's send blocks
        start = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        assert server.wait(timeout=5) == 0
        assert time.monotonic() - start < 4  # ~1 s of grace, not forever
        received = 0
        try:
            while chunk := s.recv(1 << 20):
                received += len(chunk)
        except ConnectionResetError:
            pass  # closed with data unsent: a reset is a close too
        assert received < len(payload)  # cut short
    assert "cancelling 1 connections still open after 1s" in server.stderr_text
