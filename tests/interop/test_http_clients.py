"""Tutorial §4.2 and §5.1: `wirekit http serve` and `wirekit hello` against the real Python HTTP
clients — requests, aiohttp, http.client — and raw sockets for pipelining and HTTP/1.0."""
import asyncio
import email.utils
import http.client
import re
import socket
import time

import aiohttp
import pytest
import requests

from conftest import start_hello, start_static


# A text file well over the 256 bytes below which nothing is compressed.
BIG = bytes((i * 31 + 7) % 256 for i in range(300_000))
POEM = "".join(f"Line {i}: the quick brown fox jumps over the lazy dog.\n" for i in range(200))


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.txt").write_text("alpha\n")
    (root / "poem.txt").write_text(POEM)
    (root / "data.bin").write_bytes(bytes(range(256)) * 4)
    (root / "big.bin").write_bytes(BIG)  # past the in-memory cache: sent with sendfile
    return root


class RawResponse:
    def __init__(self, version, status, reason, headers, body):
        self.version, self.status, self.reason = version, status, reason
        self.header_list = headers
        self.headers = {name: value for name, value in headers}
        self.body = body


def read_response(f, method="GET"):
    """Reads one response from a buffered socket file, framed as RFC 9112 says."""
    line = f.readline(65536)
    if not line:
        raise EOFError("connection closed before a response")
    assert line.endswith(b"\r\n"), line
    version, status, reason = line[:-2].decode("latin-1").split(" ", 2)
    headers = []
    while True:
        field = f.readline(65536)
        assert field.endswith(b"\r\n"), field
        if field == b"\r\n":
            break
        name, value = field[:-2].decode("latin-1").split(":", 1)
        headers.append((name.lower(), value.strip()))
    fields = dict(headers)
    status = int(status)
    if method == "HEAD" or status < 200 or status in (204, 304):
        body = b""
    elif fields.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int(f.readline(1024).split(b";")[0], 16)
            if size == 0:
                while f.readline(65536) != b"\r\n":
                    pass
                break
            body += f.read(size)
            assert f.read(2) == b"\r\n"
    elif "content-length" in fields:
        body = f.read(int(fields["content-length"]))
    else:
        body = f.read()
    return RawResponse(version, status, reason, headers, body)


def at_eof(f):
    """True when the peer has closed the connection (FIN or reset)."""
    try:
        return f.read() == b""
    except ConnectionResetError:
        return True


# ---- requests ---------------------------------------------------------------------------------

def test_requests_gets_the_hello_routes(spawn):
    _, port = start_hello(spawn)
    base = f"http://127.0.0.1:{port}"
    r = requests.get(base + "/", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.text == "Hello, Anonymous!"
    assert r.headers["Content-Length"] == str(len("Hello, Anonymous!"))
    assert r.headers["Server"] == "wirekit"
    date = email.utils.parsedate_to_datetime(r.headers["Date"])
    assert abs(date.timestamp() - time.time()) < 60
    assert r.headers["Date"].endswith(" GMT")

    r = requests.get(base + "/World", timeout=5)
    assert (r.status_code, r.text) == (200, "Hello, World!")
    # requests percent-encodes the UTF-8 name; the route parameter comes back decoded.
    r = requests.get(base + "/Jürgen", timeout=5)
    assert (r.status_code, r.text) == (200, "Hello, Jürgen!")
    r = requests.get(base + "/a%20b", timeout=5)
    assert r.text == "Hello, a b!"
    r = requests.get(base + "/a/b", timeout=5)
    assert r.status_code == 404


def test_requests_post_form_to_a_get_route_gets_405_with_allow(spawn):
    _, port = start_hello(spawn)
    r = requests.post(f"http://127.0.0.1:{port}/World", data={"name": "x", "age": "3"}, timeout=5)
    assert r.status_code == 405
    allowed = {m.strip() for m in r.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD"}
    # The server answers the next request as usual.
    assert requests.get(f"http://127.0.0.1:{port}/x", timeout=5).text == "Hello, x!"


def test_requests_head_on_hello(spawn):
    _, port = start_hello(spawn)
    r = requests.head(f"http://127.0.0.1:{port}/World", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Length"] == str(len("Hello, World!"))
    assert r.content == b""


def test_requests_gets_static_files(spawn, root):
    _, port = start_static(spawn, root)
    base = f"http://127.0.0.1:{port}"
    r = requests.get(base + "/a.txt", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.text == "alpha\n"
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["ETag"].startswith('"')
    assert "Last-Modified" in r.headers

    r = requests.get(base + "/data.bin", timeout=5)
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert "Content-Encoding" not in r.headers  # not a text type
    assert r.content == bytes(range(256)) * 4

    r = requests.get(base + "/missing.txt", timeout=5)
    assert r.status_code == 404


@pytest.mark.parametrize("accept, expected", [
    (None, "br"),  # requests' default "gzip, deflate, br": the server prefers br
    ("gzip", "gzip"),
    ("br", "br"),
    ("gzip;q=1, br;q=0.5", "gzip"),
])
def test_requests_decompresses_what_the_server_compressed(spawn, root, accept, expected):
    _, port = start_static(spawn, root)
    headers = {} if accept is None else {"Accept-Encoding": accept}
    r = requests.get(f"http://127.0.0.1:{port}/poem.txt", headers=headers, timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == expected
    assert "Accept-Encoding" in r.headers["Vary"]
    assert int(r.headers["Content-Length"]) < len(POEM)  # on the wire: compressed
    assert r.text == POEM


def test_requests_identity_gets_the_file_as_is(spawn, root):
    _, port = start_static(spawn, root)
    r = requests.get(f"http://127.0.0.1:{port}/poem.txt",
                     headers={"Accept-Encoding": "identity"}, timeout=5)
    assert "Content-Encoding" not in r.headers
    assert r.headers["Content-Length"] == str(len(POEM))
    assert r.text == POEM


def test_hello_bodies_compress_unless_no_compress(spawn):
    name = "n" * 400  # "Hello, nnn…!" is over the 256 bytes worth compressing
    _, port = start_hello(spawn)
    r = requests.get(f"http://127.0.0.1:{port}/{name}", headers={"Accept-Encoding": "gzip"},
                     timeout=5)
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.text == f"Hello, {name}!"

    _, port = start_hello(spawn, "--no-compress")
    r = requests.get(f"http://127.0.0.1:{port}/{name}", headers={"Accept-Encoding": "gzip"},
                     timeout=5)
    assert "Content-Encoding" not in r.headers
    assert r.text == f"Hello, {name}!"


def test_requests_session_reuses_its_connection(spawn, root):
    server, port = start_static(spawn, root, "--access-log", "json")
    url = f"http://127.0.0.1:{port}/a.txt"
    with requests.Session() as session:
        for _ in range(50):
            r = session.get(url, timeout=5)
            assert r.status_code == 200 and r.text == "alpha\n"
            assert r.headers.get("Connection", "").lower() != "close"
        # urllib3's pool counts the connections it had to open: one for all 50 requests.
        pool = session.get_adapter(url).poolmanager.connection_from_url(url)
        assert pool.num_connections == 1
        assert pool.num_requests == 50
    # Every request was logged (one JSON line each).
    for _ in range(50):
        assert '"target":"/a.txt"' in server.line().replace(" ", "")


# ---- http.client: keep-alive ------------------------------------------------------------------

def test_http_client_keep_alive_50_requests_on_one_connection(spawn, root):
    _, port = start_static(spawn, root)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.connect()
    sock = conn.sock
    local = sock.getsockname()
    for i in range(50):
        path = ("/a.txt", "/poem.txt", "/data.bin", "/nope")[i % 4]
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        expected = {"/a.txt": b"alpha\n", "/poem.txt": POEM.encode(),
                    "/data.bin": bytes(range(256)) * 4}.get(path)
        if expected is None:
            assert r.status == 404
        else:
            assert (r.status, body) == (200, expected)
        assert not r.will_close
        assert conn.sock is sock and sock.getsockname() == local  # never reconnected
    conn.close()


# ---- aiohttp --------------------------------------------------------------------------------

def test_aiohttp_concurrent_requests(spawn, root):
    _, hello_port = start_hello(spawn)
    _, static_port = start_static(spawn, root)

    async def fetch(session, url):
        async with session.get(url) as r:
            return r.status, r.headers.get("Content-Type"), await r.read()

    async def main():
        timeout = aiohttp.ClientTimeout(total=20)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            urls = []
            for i in range(100):
                if i % 3 == 0:
                    urls.append(f"http://127.0.0.1:{hello_port}/user{i}")
                elif i % 3 == 1:
                    urls.append(f"http://127.0.0.1:{hello_port}/")
                else:
                    urls.append(f"http://127.0.0.1:{static_port}/poem.txt")
            results = await asyncio.gather(*(fetch(session, u) for u in urls))
            return urls, results

    urls, results = asyncio.run(main())
    for i, (url, (status, ctype, body)) in enumerate(zip(urls, results)):
        assert status == 200, url
        if i % 3 == 0:
            assert body == f"Hello, user{i}!".encode()
            assert ctype == "text/plain; charset=utf-8"
        elif i % 3 == 1:
            assert body == b"Hello, Anonymous!"
        else:
            assert body == POEM.encode()  # decompressed by aiohttp


def test_aiohttp_sees_the_compressed_encoding(spawn, root):
    _, port = start_static(spawn, root)

    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/poem.txt",
                                   headers={"Accept-Encoding": "gzip"}) as r:
                return r.status, r.headers.get("Content-Encoding"), await r.text()

    assert asyncio.run(main()) == (200, "gzip", POEM)


# ---- pipelining and HTTP/1.0 over raw sockets ---------------------------------------------------

def test_pipelined_requests_are_answered_in_order(spawn, root):
    _, port = start_static(spawn, root)
    plan = [("GET", "/a.txt"), ("GET", "/missing"), ("HEAD", "/a.txt"), ("GET", "/big.bin"),
            ("HEAD", "/poem.txt"), ("GET", "/missing"), ("GET", "/poem.txt"), ("HEAD", "/big.bin"),
            ("HEAD", "/missing"), ("GET", "/data.bin")]
    batch = b"".join(f"{m} {p} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode() for m, p in plan)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(batch)
        f = s.makefile("rb")
        for method, path in plan:
            r = read_response(f, method)
            if path == "/missing":
                assert r.status == 404, (method, path)
                if method == "GET":
                    assert b"404" in r.body
                continue
            assert r.status == 200, (method, path)
            size = {"/a.txt": 6, "/data.bin": 1024, "/poem.txt": len(POEM), "/big.bin": len(BIG)}[path]
            assert r.headers["content-length"] == str(size)
            if method == "GET":
                assert r.body == (root / path[1:]).read_bytes()
        # The connection is still open: one more request on it works.
        s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        r = read_response(f)
        assert (r.status, r.body) == (200, b"alpha\n")
        assert r.headers["connection"] == "close"
        assert at_eof(f)


def test_http10_without_keep_alive_closes_after_the_response(spawn, root):
    _, port = start_static(spawn, root)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /a.txt HTTP/1.0\r\n\r\n")
        f = s.makefile("rb")
        r = read_response(f)
        assert r.status == 200
        assert r.body == b"alpha\n"
        assert r.headers.get("connection", "close").lower() == "close"
        assert at_eof(f)


def test_http10_with_keep_alive_stays_open(spawn, root):
    _, port = start_static(spawn, root)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        f = s.makefile("rb")
        for path, expected in (("/a.txt", b"alpha\n"), ("/data.bin", bytes(range(256)) * 4)):
            s.sendall(f"GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode())
            r = read_response(f)
            assert r.status == 200
            assert r.headers["connection"].lower() == "keep-alive"
            assert r.body == expected
        # A third request without keep-alive ends it.
        s.sendall(b"GET /a.txt HTTP/1.0\r\n\r\n")
        assert read_response(f).body == b"alpha\n"
        assert at_eof(f)


def test_http10_hello(spawn):
    _, port = start_hello(spawn)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /Bob HTTP/1.0\r\n\r\n")
        f = s.makefile("rb")
        r = read_response(f)
        assert (r.status, r.body) == (200, b"Hello, Bob!")
        assert at_eof(f)


# ---- access log -------------------------------------------------------------------------------

COMBINED = re.compile(r'^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                      r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+) '
                      r'"(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)"$')


def test_combined_access_log(spawn, root):
    server, port = start_static(spawn, root, "--access-log", "combined")
    r = requests.get(f"http://127.0.0.1:{port}/a.txt", timeout=5)
    assert r.status_code == 200
    m = COMBINED.match(server.line())
    assert m, "not the combined format"
    assert m["request"] == "GET /a.txt HTTP/1.1"
    assert (m["status"], m["bytes"], m["referer"]) == ("200", "6", "-")
    assert m["agent"] == requests.utils.default_user_agent()

    r = requests.get(f"http://127.0.0.1:{port}/nope", timeout=5,
                     headers={"User-Agent": 'evil "agent"', "Referer": "http://r.example/"})
    assert r.status_code == 404
    line = server.line()
    m = COMBINED.match(line)
    assert m, line  # the quotes in the agent are escaped: one well-formed line
    assert m["status"] == "404"
    assert m["referer"] == "http://r.example/"
    assert m["agent"] == 'evil \\"agent\\"'


def test_block_after_refuses_further_requests_with_403(spawn):
    _, port = start_hello(spawn, "--block-after", "3", "--block-window", "60s")
    statuses = [requests.get(f"http://127.0.0.1:{port}/n{i}", timeout=5) for i in range(5)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 403, 403]
    assert "You have been blocked due to too many attempts." in statuses[3].text
