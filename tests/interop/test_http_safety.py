"""What a hostile or clumsy client gets from wirekit's HTTP server: no byte outside the static
root, the RFC 9112 rejections that stop request smuggling (each answered, then the connection
closed), body limits, rate limiting, CORS, 405, and a graceful shutdown."""
import gzip
import signal
import socket
import time

import pytest

from conftest import start_hello, start_static

SECRET = b"TOP-SECRET-7f3a9c: never serve me"


class RawResponse:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


def read_response(f, method="GET"):
    """Reads one response (status line, fields, Content-Length body) from a socket file."""
    line = f.readline(65536)
    if not line:
        raise EOFError("connection closed before a response")
    assert line.startswith(b"HTTP/1.1 ") and line.endswith(b"\r\n"), line
    status = int(line.split(b" ")[1])
    headers = {}
    while True:
        field = f.readline(65536)
        assert field.endswith(b"\r\n"), field
        if field == b"\r\n":
            break
        name, value = field[:-2].decode("latin-1").split(":", 1)
        headers[name.lower()] = value.strip()
    if method == "HEAD" or status < 200 or status in (204, 304):
        body = b""
    else:
        body = f.read(int(headers.get("content-length", "0")))
    return RawResponse(status, headers, body)


def at_eof(f):
    """True when the peer has closed the connection (FIN or reset)."""
    try:
        return f.read() == b""
    except ConnectionResetError:
        return True


def exchange(port, data, method="GET"):
    """Sends `data` on a fresh connection; returns (response, closed afterwards)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        f = s.makefile("rb")
        r = read_response(f, method)
        return r, at_eof(f)


def get(port, target, host="localhost"):
    """A GET on a fresh connection that the server may keep open."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        return read_response(s.makefile("rb"))


# ---- path traversal -----------------------------------------------------------------------------

@pytest.fixture
def jail(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "public.txt").write_text("public\n")
    (root / "sub" / "inner.txt").write_text("inner\n")
    (tmp_path / "secret.txt").write_bytes(SECRET)  # next to the root, outside it
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (root / "link-to-secret").symlink_to(tmp_path / "secret.txt")
    (root / "link-to-outside-dir").symlink_to(outside)
    (root / "sub" / "relative-link").symlink_to("../../secret.txt")
    return root


TRAVERSALS = [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/sub/..%2f..%2fsecret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "/..%5csecret.txt",
    "/sub/..%5c..%5csecret.txt",
    "/%00secret",
    "/secret.txt%00.txt",
    "/link-to-secret",
    "/link-to-outside-dir/secret.txt",
    "/link-to-outside-dir/",
    "/sub/relative-link",
    "//etc/passwd",
    "/sub/../../secret.txt",
    "/./../secret.txt",
    "/sub/./../../secret.txt",
    "/%252e%252e/secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_nothing_outside_the_root_is_served(spawn, jail, target):
    _, port = start_static(spawn, jail)
    r = get(port, target)
    assert 400 <= r.status < 500, (target, r.status)
    assert SECRET not in r.body
    assert b"TOP-SECRET" not in r.body
    assert b"root:x:0:0" not in r.body


def test_files_inside_the_root_are_still_served(spawn, jail):
    _, port = start_static(spawn, jail)
    assert get(port, "/public.txt").body == b"public\n"
    assert get(port, "/sub/inner.txt").body == b"inner\n"
    assert get(port, "/sub/%69nner.txt").body == b"inner\n"  # %69 is 'i'


# ---- malformed and ambiguous requests ------------------------------------------------------------

MALFORMED = {
    "content-length-and-transfer-encoding": (
        b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n", 400),
    "two-different-content-lengths": (
        b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
    "content-length-list-that-differs": (
        b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello", 400),
    "negative-content-length": (
        b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", 400),
    "obs-fold": (b"GET /x HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n  two\r\n\r\n", 400),
    "nul-in-a-header": (b"GET /x HTTP/1.1\r\nHost: a\r\nX-A: a\x00b\r\n\r\n", 400),
    "space-before-colon": (b"GET /x HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    "invalid-chunk-size": (
        b"GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        400),
    "chunk-longer-than-its-size": (
        b"GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
        400),
    "chunked-not-last": (
        b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    "unknown-transfer-coding": (
        b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    "http-2-version": (b"GET /x HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    "garbage-version": (b"GET /x HTTP/1.1x\r\nHost: a\r\n\r\n", 400),
    "missing-host": (b"GET /x HTTP/1.1\r\n\r\n", 400),
    "two-hosts": (b"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "bare-lf": (b"GET /x HTTP/1.1\nHost: a\n\n", 400),
    "request-line-over-8-KiB": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    "200-header-fields": (
        b"GET /x HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-F%d: v\r\n" % i for i in range(200))
        + b"\r\n", 431),
    "header-fields-over-16-KiB": (
        b"GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", 431),
    "body-over-the-1-MiB-limit": (
        b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n", 413),
    "unsupported-expectation": (b"GET /x HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", 417),
    "unsupported-content-encoding": (
        b"GET /x HTTP/1.1\r\nHost: a\r\nContent-Encoding: bogus\r\nContent-Length: 5\r\n\r\nhello",
        415),
    "corrupt-gzip-body": (
        b"GET /x HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\n"
        b"not gzip!", 400),
}


# Bodies go to GET /x, a route `wirekit hello` has: a body for a route that does not exist is
# refused from the head (405, test_http_hardening.py) before its framing is even looked at.
@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_request_is_refused_and_the_connection_closed(spawn, name):
    data, status = MALFORMED[name]
    _, port = start_hello(spawn)
    r, closed = exchange(port, data)
    assert r.status == status, name
    assert r.headers.get("connection") == "close"
    assert r.body.startswith(str(status).encode())
    assert closed
    # The server shrugs it off.
    assert get(port, "/after").body == b"Hello, after!"


def test_smuggled_request_after_a_conflicting_length_is_never_answered(spawn):
    """The classic CL.TE: a front end reading Content-Length would see a second request."""
    _, port = start_hello(spawn)
    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
    body = b"0\r\n\r\n" + smuggled
    data = (b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        f = s.makefile("rb")
        assert read_response(f).status == 400
        assert at_eof(f)  # no second response: "Hello, smuggled!" never comes


def test_gzip_bomb_in_a_request_body_gets_413_fast(spawn):
    _, port = start_hello(spawn)
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    head = (b"GET /x HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(bomb))
    start = time.monotonic()
    r, closed = exchange(port, head + bomb)
    assert time.monotonic() - start < 5
    assert r.status == 413
    assert closed
    assert get(port, "/alive").body == b"Hello, alive!"


def test_body_up_to_the_limit_is_read_and_the_connection_goes_on(spawn):
    _, port = start_hello(spawn)
    body = b"z" * (1024 * 1024)  # exactly the default max_body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /big HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body + b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        f = s.makefile("rb")
        assert read_response(f).body == b"Hello, big!"
        assert read_response(f).body == b"Hello, next!"


def test_body_one_byte_over_the_limit_gets_413(spawn):
    _, port = start_hello(spawn)
    r, closed = exchange(port, b"GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n"
                         % (1024 * 1024 + 1))
    assert (r.status, closed) == (413, True)


def test_chunked_body_over_the_limit_gets_413(spawn):
    _, port = start_hello(spawn)
    # One chunk announcing 2 MiB: refused at its size line, before any of its data.
    r, closed = exchange(port, b"GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"200000\r\n")
    assert (r.status, closed) == (413, True)
    # Many chunks adding up past the limit.
    chunk = b"8000\r\n" + b"c" * 0x8000 + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        f = s.makefile("rb")
        try:
            for _ in range(40):  # 40 x 32 KiB = 1.25 MiB
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        r = read_response(f)
        assert r.status == 413
        assert at_eof(f)


def test_expect_100_continue_with_a_body_too_large_gets_413_instead(spawn):
    _, port = start_hello(spawn)
    r, closed = exchange(port, b"GET /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                         b"Content-Length: 2000000\r\n\r\n")
    assert (r.status, closed) == (413, True)


def test_gzip_request_body_is_accepted(spawn):
    _, port = start_hello(spawn)
    body = gzip.compress(b"some body")
    data = (b"GET /World HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data + b"GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
        f = s.makefile("rb")
        assert read_response(f).body == b"Hello, World!"
        assert read_response(f).body == b"Hello, again!"  # the connection went on


def test_expect_100_continue(spawn):
    _, port = start_hello(spawn)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /World HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        f = s.makefile("rb")
        interim = read_response(f)  # before the body is sent: a 5 s timeout otherwise
        assert interim.status == 100
        s.sendall(b"hello")
        r = read_response(f)
        assert (r.status, r.body) == (200, b"Hello, World!")


def test_chunked_request_body_is_accepted(spawn):
    _, port = start_hello(spawn)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /World HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"
                  b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        f = s.makefile("rb")
        assert read_response(f).body == b"Hello, World!"
        assert read_response(f).body == b"Hello, next!"


def test_request_trickling_in_with_pauses_still_works(spawn):
    _, port = start_hello(spawn)
    pieces = [b"GET /Slo", b"w HTTP/1.1\r", b"\nHost: a\r\n", b"User-Agent: sl", b"ow\r\n\r", b"\n"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        for piece in pieces:
            s.sendall(piece)
            time.sleep(0.2)
        r = read_response(s.makefile("rb"))
        assert (r.status, r.body) == (200, b"Hello, Slow!")


# ---- rate limit, CORS, 405 ------------------------------------------------------------------------

def test_rate_limit_answers_429_with_retry_after(spawn):
    _, port = start_hello(spawn, "--rate-limit", "5", "--burst", "5")
    statuses = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        f = s.makefile("rb")
        for i in range(6):
            s.sendall(f"GET /n{i} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
            r = read_response(f)
            statuses.append(r.status)
    assert statuses == [200] * 5 + [429]
    assert int(r.headers["retry-after"]) >= 1


def test_cors_preflight_and_simple_requests(spawn):
    _, port = start_hello(spawn, "--cors", "https://example.com")
    preflight = (b"OPTIONS /World HTTP/1.1\r\nHost: a\r\nOrigin: https://example.com\r\n"
                 b"Access-Control-Request-Method: GET\r\n"
                 b"Access-Control-Request-Headers: x-token\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        f = s.makefile("rb")
        s.sendall(preflight)
        r = read_response(f)
        assert r.status == 204
        assert r.headers["access-control-allow-origin"] == "https://example.com"
        assert "GET" in r.headers["access-control-allow-methods"]
        assert r.headers["access-control-allow-headers"].lower() == "x-token"
        assert "Origin" in r.headers.get("vary", "")

        s.sendall(b"GET /World HTTP/1.1\r\nHost: a\r\nOrigin: https://example.com\r\n\r\n")
        r = read_response(f)
        assert (r.status, r.body) == (200, b"Hello, World!")
        assert r.headers["access-control-allow-origin"] == "https://example.com"

        s.sendall(b"GET /World HTTP/1.1\r\nHost: a\r\nOrigin: https://evil.example\r\n\r\n")
        r = read_response(f)
        assert r.status == 200
        assert "access-control-allow-origin" not in r.headers

        s.sendall(preflight.replace(b"https://example.com", b"https://evil.example"))
        r = read_response(f)
        assert r.status == 403  # a preflight from an origin not allowed is refused
        assert "access-control-allow-origin" not in r.headers


def test_post_to_a_get_route_gets_405_with_allow(spawn):
    _, port = start_hello(spawn)
    for target in (b"/", b"/World"):
        r, _ = exchange(port, b"POST " + target + b" HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
                        b"Connection: close\r\n\r\n")
        assert r.status == 405
        assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "HEAD"}
    # OPTIONS without CORS: 204 with the same Allow.
    r, _ = exchange(port, b"OPTIONS /World HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert r.status == 204
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "HEAD"}


# ---- graceful shutdown ------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_closes_idle_keep_alive_connections_at_once(spawn, sig):
    server, port = start_hello(spawn)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        f = s.makefile("rb")
        s.sendall(b"GET /idle HTTP/1.1\r\nHost: a\r\n\r\n")
        assert read_response(f).body == b"Hello, idle!"
        start = time.monotonic()
        server.proc.send_signal(sig)
        assert server.wait(timeout=5) == 0  # well under the 10 s grace
        assert time.monotonic() - start < 5
        assert at_eof(f)
    assert "shutting down gracefully" in server.stderr_text
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
