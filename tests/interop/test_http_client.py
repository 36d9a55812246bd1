"""`wirekit http get/post` and `wirekit fetch` against real servers — Python's http.server, an
aiohttp application, nginx — and raw TCP servers that misbehave on purpose. Everything on
loopback; every process started here is stopped by its PID."""
import gzip
import json
import random
import re
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from conftest import PYTHON, WIREKIT, Process, free_port, require_program, run, wait_tcp

# ---- the files served -----------------------------------------------------------------------

POEM = "".join(f"Line {i}: the quick brown fox jumps over the lazy dog.\n" for i in range(300))
BIG = random.Random(1234).randbytes(1 << 20)  # 1 MiB, incompressible
FILES = {
    "a.txt": b"alpha\n",
    "poem.txt": POEM.encode(),
    "big.bin": BIG,
    "sub/a.txt": b"beta, another a.txt\n",
}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def stop(process):
    """Stops a Process started by a fixture here, by its PID."""
    process.stop(signal.SIGTERM, timeout=5)


# ---- Python's http.server -------------------------------------------------------------------

@pytest.fixture(scope="module")
def http_server(root):
    port = free_port()
    p = Process([PYTHON, "-m", "http.server", port, "--bind", "127.0.0.1", "--directory", root])
    try:
        wait_tcp(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(p)


# ---- an aiohttp application -----------------------------------------------------------------

AIOHTTP_APP = r'''
import asyncio, gzip, json, sys
from pathlib import Path
from urllib.parse import parse_qsl
from aiohttp import web

ROOT = Path(sys.argv[1])
TEXT = sys.argv[2]
log = []

@web.middleware
async def logger(request, handler):
    log.append({"method": request.method, "path": request.path_qs,
                "range": request.headers.get("Range"), "cookie": request.headers.get("Cookie")})
    return await handler(request)

async def echo(request):
    raw = await request.read()
    info = {"method": request.method, "content_type": request.content_type,
            "content_encoding": request.headers.get("Content-Encoding"),
            "content_length": request.headers.get("Content-Length"),
            "decoded_by": "aiohttp"}
    if raw[:2] == b"\x1f\x8b":  # aiohttp left the gzip coding on: undo it here
        raw = gzip.decompress(raw)
        info["decoded_by"] = "handler"
    info["body"] = raw.decode("utf-8", "replace")
    if request.content_type == "application/x-www-form-urlencoded":
        info["form"] = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    if request.content_type == "application/json":
        info["json"] = json.loads(raw)
    return web.json_response(info)

async def headers(request):
    return web.json_response(dict(request.headers))

async def as_json(request):
    return web.json_response({"hello": "world", "n": [1, 2], "nested": {"ok": True}})

async def text(request):
    return web.Response(text="plain text from aiohttp\n")

async def gzipped(request):
    return web.Response(body=gzip.compress(TEXT.encode()),
                        headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

async def login(request):
    r = web.Response(status=302, headers={"Location": "/whoami"})
    r.set_cookie("session", "s3cr3t")
    return r

async def whoami(request):
    return web.Response(text="cookie: " + request.headers.get("Cookie", "") + "\n")

async def redirect(request):
    n = int(request.match_info["n"])
    if n <= 0:
        return web.Response(text="arrived\n")
    return web.Response(status=302, headers={"Location": f"/redirect/{n - 1}"})

async def loop(request):
    return web.Response(status=302, headers={"Location": "/loop"})

async def slow(request):
    await asyncio.sleep(10)
    return web.Response(text="too late\n")

async def status(request):
    code = int(request.match_info["code"])
    return web.Response(status=code, text=f"status {code}\n")

async def files(request):
    return web.FileResponse(ROOT / request.match_info["name"])

async def show_log(request):
    return web.json_response(log)

async def main():
    app = web.Application(middlewares=[logger])
    app.add_routes([web.post("/echo", echo), web.put("/echo", echo), web.get("/headers", headers),
                    web.get("/json", as_json), web.get("/text", text), web.get("/gzip", gzipped),
                    web.get("/login", login), web.post("/login", login), web.get("/whoami", whoami),
                    web.get("/redirect/{n}", redirect), web.get("/loop", loop),
                    web.get("/slow", slow), web.get("/status/{code}", status),
                    web.get("/files/{name}", files), web.get("/log", show_log)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print("PORT", site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
'''


@pytest.fixture(scope="module")
def aio(root, tmp_path_factory):
    script = tmp_path_factory.mktemp("aio") / "app.py"
    script.write_text(AIOHTTP_APP)
    p = Process([PYTHON, "-u", script, root, POEM])
    try:
        line = p.line(timeout=20)
        match = re.fullmatch(r"PORT (\d+)", line)
        assert match, line
        yield f"http://127.0.0.1:{match[1]}"
    finally:
        stop(p)


def aio_log(aio):
    """The requests the aiohttp application has seen."""
    with socket.create_connection(("127.0.0.1", int(aio.rsplit(":", 1)[1])), timeout=5) as s:
        s.sendall(b"GET /log HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


# ---- nginx ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def nginx(root, tmp_path_factory):
    nginx_program = require_program("nginx", "nginx")
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 256; }}
http {{
    log_format ranges '$request_method $uri $status "$http_range"';
    access_log {tmp}/access.log ranges;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ text/plain txt; application/octet-stream bin; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
""")
    p = Process([nginx_program, "-p", tmp, "-c", conf, "-e", tmp / "error.log"])
    try:
        wait_tcp(port)
        yield f"http://127.0.0.1:{port}", tmp / "access.log"
    finally:
        stop(p)


# ---- raw TCP servers ------------------------------------------------------------------------

class RawServer:
    """Accepts connections on 127.0.0.1 in a thread and runs `script(conn)` on each (at most
    `limit`, within 30 s); stopped and joined on exit."""

    def __init__(self, script, limit=8):
        self.script, self.limit = script, limit
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self):
        deadline = time.monotonic() + 30
        while self.accepted < self.limit and not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.accepted += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        with conn:
            conn.settimeout(5)
            try:
                self.script(conn, self.stopping)
            except OSError:
                pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def never_answers(conn, stopping):
    read_request(conn)
    stopping.wait(10)


def truncated_body(conn, stopping):
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\n"
                 b"0123456789")


# ---- helpers --------------------------------------------------------------------------------

def wirekit(*args, timeout=30):
    return run([WIREKIT, *args], timeout=timeout)


def assert_one_line_error(result, *needles):
    """A failure: a single line on stderr (no stack trace), naming what went wrong."""
    lines = result.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0], f"stderr: {result.stderr!r}"
    assert "Traceback" not in result.stderr and "terminate called" not in result.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), f"{needle!r} not in {lines[0]!r}"
    return lines[0]


# ---- wirekit http get -----------------------------------------------------------------------

def test_get_prints_status_then_body(http_server):
    r = wirekit("http", "get", f"{http_server}/a.txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\nalpha\n"
    assert r.stderr == ""


def test_get_pretty_prints_json(aio):
    r = wirekit("http", "get", f"{aio}/json")
    assert r.returncode == 0, r.stderr
    expected = {"hello": "world", "n": [1, 2], "nested": {"ok": True}}
    assert r.stdout == "200\n" + json.dumps(expected, indent=2, sort_keys=True) + "\n"


def test_get_include_prints_status_line_and_headers(aio):
    r = wirekit("http", "get", "-i", f"{aio}/text")
    assert r.returncode == 0, r.stderr
    head, _, body = r.stdout.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert "aiohttp" in headers["server"]
    assert "date" in headers
    assert body == "plain text from aiohttp\n"


def test_get_sends_extra_headers(aio):
    r = wirekit("http", "get", "-H", "X-Test: yes", "-H", "X-Other:  two", f"{aio}/headers")
    assert r.returncode == 0, r.stderr
    status, _, body = r.stdout.partition("\n")
    assert status == "200"
    seen = json.loads(body)
    assert seen["X-Test"] == "yes"
    assert seen["X-Other"] == "two"
    assert seen["User-Agent"].startswith("wirekit/")
    assert seen["Host"] == aio.removeprefix("http://")


def test_get_decodes_a_gzip_response(aio):
    r = wirekit("http", "get", f"{aio}/gzip")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\n" + POEM


def test_get_from_nginx(nginx, root):
    base, _ = nginx
    r = wirekit("http", "get", f"{base}/poem.txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\n" + POEM


def test_get_follows_redirects(aio):
    r = wirekit("http", "get", f"{aio}/redirect/3")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\narrived\n"


def test_get_no_redirects_shows_the_redirect(aio):
    r = wirekit("http", "get", "--no-redirects", "-i", f"{aio}/redirect/3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0] == "HTTP/1.1 302 Found"
    assert "Location: /redirect/2" in lines


def test_cookie_set_by_a_redirect_is_sent_to_its_target(aio):
    r = wirekit("http", "get", f"{aio}/login")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\ncookie: session=s3cr3t\n"


def test_404_without_fail_prints_it_and_succeeds(aio):
    r = wirekit("http", "get", f"{aio}/status/404")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "404\nstatus 404\n"


def test_fail_on_404_exits_1_with_one_line(aio):
    url = f"{aio}/status/404"
    r = wirekit("http", "get", "--fail", url)
    assert r.returncode == 1
    assert r.stdout.startswith("404\n")
    assert_one_line_error(r, "404", url)


def test_fail_on_404_from_http_server(http_server):
    url = f"{http_server}/missing.txt"
    r = wirekit("http", "get", "--fail", url)
    assert r.returncode == 1
    assert_one_line_error(r, "404", url)


def test_output_file_has_the_exact_bytes(http_server, tmp_path):
    out = tmp_path / "copy.bin"
    r = wirekit("http", "get", f"{http_server}/big.bin", "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\n"
    assert out.read_bytes() == BIG
    assert not Path(str(out) + ".part").exists()


def test_output_file_from_nginx(nginx, tmp_path):
    base, _ = nginx
    out = tmp_path / "poem.txt"
    r = wirekit("http", "get", f"{base}/poem.txt", "-o", out)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == POEM.encode()
    assert list(tmp_path.iterdir()) == [out]


def test_output_of_a_404_with_fail_writes_no_file(aio, tmp_path):
    out = tmp_path / "x.txt"
    r = wirekit("http", "get", "--fail", f"{aio}/status/404", "-o", out)
    assert r.returncode == 1
    assert_one_line_error(r, "404")
    assert not out.exists()


# ---- wirekit http post ----------------------------------------------------------------------

def posted(result):
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.partition("\n")
    assert status == "200"
    return json.loads(body)


def test_post_form_fields(aio):
    seen = posted(wirekit("http", "post", f"{aio}/echo", "-d", "a=1", "-d", "b=2",
                          "-d", "text=hello world&more"))
    assert seen["method"] == "POST"
    assert seen["content_type"] == "application/x-www-form-urlencoded"
    assert seen["form"] == {"a": "1", "b": "2", "text": "hello world&more"}


def test_post_json(aio):
    document = {"x": [1, 2], "y": "z", "nested": {"t": True, "n": None}}
    seen = posted(wirekit("http", "post", f"{aio}/echo", "--json", json.dumps(document)))
    assert seen["content_type"] == "application/json"
    assert seen["json"] == document


def test_post_data_file(aio, tmp_path):
    data = tmp_path / "data.txt"
    data.write_text(POEM)
    seen = posted(wirekit("http", "post", f"{aio}/echo", "--data-file", data))
    assert seen["content_type"] == "application/octet-stream"
    assert seen["body"] == POEM
    assert seen["content_length"] == str(len(POEM))


def test_post_gzip_data_file_is_received_decoded(aio, tmp_path):
    data = tmp_path / "data.txt"
    data.write_text(POEM)
    seen = posted(wirekit("http", "post", f"{aio}/echo", "--gzip", "--data-file", data))
    assert seen["content_encoding"] == "gzip"
    assert int(seen["content_length"]) < len(POEM) // 2  # compressed on the wire
    assert seen["body"] == POEM  # decoded by aiohttp or, failing that, by the handler


def test_post_redirected_by_302_becomes_get(aio):
    # POST /login answers 302 to /whoami, a GET-only route: wirekit turns POST into GET on 302,
    # as requests and aiohttp do, and sends the cookie the 302 set.
    r = wirekit("http", "post", f"{aio}/login", "-d", "a=1")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\ncookie: session=s3cr3t\n"
    methods = [(e["method"], e["path"]) for e in aio_log(aio)]
    assert ("POST", "/login") in methods and ("GET", "/whoami") in methods


# ---- wirekit fetch --------------------------------------------------------------------------

DOWNLOADED = re.compile(r"^Downloaded (\d+) bytes from (\S+)$")
FETCHED = re.compile(r"^Fetched (\d+) URLs \((.*?)\)(?:, (\d+) failed)?$")
PATHS = ["a.txt", "poem.txt", "big.bin"]


def check_fetch_output(result, urls):
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip("\n").split("\n")
    downloaded = [DOWNLOADED.match(line) for line in lines[:-1]]
    assert all(downloaded), lines
    assert len(downloaded) == len(urls)
    assert sorted(m[2] for m in downloaded) == sorted(urls)
    for m in downloaded:
        name = m[2].split("/", 3)[3]
        assert int(m[1]) == len(FILES[name]), m[0]
    last = FETCHED.match(lines[-1])
    assert last, lines[-1]
    assert int(last[1]) == len(urls)


def test_fetch_thirty_urls_from_http_server(http_server):
    urls = [f"{http_server}/{p}" for p in PATHS] * 10
    r = wirekit("fetch", *urls, "-c", "5", timeout=60)
    check_fetch_output(r, urls)


def test_fetch_thirty_urls_from_nginx_with_a_url_file(nginx, tmp_path):
    base, _ = nginx
    urls = [f"{base}/{p}" for p in PATHS] * 10
    listing = tmp_path / "urls.txt"
    listing.write_text("# thirty URLs\n" + "\n".join(urls) + "\n\n")
    r = wirekit("fetch", "-i", listing, "-c", "5", "--per-host", "3", timeout=60)
    check_fetch_output(r, urls)


def test_fetch_thirty_urls_from_aiohttp(aio):
    urls = [f"{aio}/files/{p}" for p in ("a.txt", "poem.txt", "big.bin")] * 10
    r = wirekit("fetch", *urls, "-c", "5", timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip("\n").split("\n")
    sizes = sorted(int(DOWNLOADED.match(line)[1]) for line in lines[:-1])
    assert sizes == sorted(len(FILES[p]) for p in PATHS for _ in range(10))
    assert FETCHED.match(lines[-1])[1] == "30"


def test_fetch_into_a_directory_names_collisions(http_server, tmp_path):
    out = tmp_path / "out"
    urls = [f"{http_server}/a.txt", f"{http_server}/sub/a.txt", f"{http_server}/a.txt",
            f"{http_server}/poem.txt", f"{http_server}/"]
    r = wirekit("fetch", *urls, "-c", "2", "-o", out)
    assert r.returncode == 0, r.stderr
    assert (out / "a.txt").read_bytes() == FILES["a.txt"]
    assert (out / "a.txt.1").read_bytes() == FILES["sub/a.txt"]
    assert (out / "a.txt.2").read_bytes() == FILES["a.txt"]
    assert (out / "poem.txt").read_bytes() == POEM.encode()
    assert b"a.txt" in (out / "index.html").read_bytes()  # http.server's listing
    assert sorted(p.name for p in out.iterdir()) == [
        "a.txt", "a.txt.1", "a.txt.2", "index.html", "poem.txt"]


def resume(url, tmp_path):
    """Leaves the first half of big.bin in DIR/big.bin.part, fetches `url` into DIR."""
    out = tmp_path / "out"
    out.mkdir()
    half = len(BIG) // 2
    (out / "big.bin.part").write_bytes(BIG[:half])
    r = wirekit("fetch", url, "-o", out)
    assert r.returncode == 0, r.stderr
    assert (out / "big.bin").read_bytes() == BIG
    assert not (out / "big.bin.part").exists()
    return r, half


def test_fetch_resumes_a_part_file_from_nginx(nginx, tmp_path):
    base, access_log = nginx
    r, half = resume(f"{base}/big.bin", tmp_path)
    assert f"Downloaded {len(BIG) - half} bytes from {base}/big.bin" in r.stdout
    log = access_log.read_text()
    assert f'GET /big.bin 206 "bytes={half}-"' in log, log


def test_fetch_resumes_a_part_file_from_aiohttp(aio, tmp_path):
    r, half = resume(f"{aio}/files/big.bin", tmp_path)
    assert f"Downloaded {len(BIG) - half} bytes" in r.stdout
    ranges = [e["range"] for e in aio_log(aio) if e["path"] == "/files/big.bin"]
    assert f"bytes={half}-" in ranges, ranges


def test_get_with_a_range_of_the_users_own_saves_that_range(nginx, tmp_path):
    # Issue 12 item 5: -o with the user's Range failed with "the server answered a different
    # range than asked" and wrote nothing; resuming applies only to ranges wirekit asks for.
    base, access_log = nginx
    out = tmp_path / "slice.bin"
    (tmp_path / "slice.bin.part").write_bytes(BIG[:5000])  # a stale part is not resumed
    r = wirekit("http", "get", "-o", out, "-H", "Range: bytes=10-109", f"{base}/big.bin")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == BIG[10:110]
    assert not (tmp_path / "slice.bin.part").exists()
    assert 'GET /big.bin 206 "bytes=10-109"' in access_log.read_text()


def test_fetch_starts_over_when_the_server_ignores_range(http_server, tmp_path):
    # http.server answers a Range request with the whole file (200): the part is rewritten.
    r, _ = resume(f"{http_server}/big.bin", tmp_path)
    assert f"Downloaded {len(BIG)} bytes" in r.stdout


def test_fetch_reports_failures_and_exits_1(http_server):
    refused = f"http://127.0.0.1:{free_port()}/x"
    missing = f"{http_server}/missing.txt"
    good = f"{http_server}/a.txt"
    r = wirekit("fetch", good, missing, refused, "-c", "3")
    assert r.returncode == 1
    assert f"Downloaded {len(FILES['a.txt'])} bytes from {good}" in r.stdout
    last = r.stdout.strip("\n").split("\n")[-1]
    assert FETCHED.match(last)[1] == "1", last
    assert "2 failed" in last
    assert "Traceback" not in r.stderr
    error_lines = r.stderr.strip("\n").split("\n")
    assert any(missing in line and "404" in line for line in error_lines), r.stderr
    assert any(refused in line and "refused" in line.lower() for line in error_lines), r.stderr


# ---- failures -------------------------------------------------------------------------------

def test_connection_refused(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    r = wirekit("http", "get", url)
    assert r.returncode == 1
    assert_one_line_error(r, "refused")
    assert r.stdout == ""


def test_connection_refused_with_output_file(tmp_path):
    out = tmp_path / "x"
    r = wirekit("http", "get", f"http://127.0.0.1:{free_port()}/x", "-o", out)
    assert r.returncode == 1
    assert_one_line_error(r, "refused")
    assert not out.exists()


def test_unknown_host():
    r = wirekit("http", "get", "http://no-such-host.invalid/")
    assert r.returncode in (1, 2)
    assert_one_line_error(r, "no-such-host.invalid")


def test_invalid_url_is_a_usage_error():
    r = wirekit("http", "get", "ftp://127.0.0.1/")
    assert r.returncode == 2
    assert_one_line_error(r, "ftp://127.0.0.1/")


def test_timeout_when_the_server_never_answers():
    with RawServer(never_answers) as server:
        start = time.monotonic()
        r = wirekit("http", "get", "--timeout", "300ms", server.url("/"))
        took = time.monotonic() - start
    assert r.returncode == 1
    assert_one_line_error(r, "timed out")
    assert 0.25 <= took < 5, took


def test_timeout_on_a_slow_aiohttp_handler(aio):
    start = time.monotonic()
    r = wirekit("http", "get", "--timeout", "300ms", f"{aio}/slow")
    assert r.returncode == 1
    assert_one_line_error(r, "timed out")
    assert time.monotonic() - start < 5


def test_fetch_timeout(tmp_path):
    with RawServer(never_answers) as server:
        r = wirekit("fetch", "--timeout", "300ms", server.url("/slow.bin"), "-o", tmp_path / "d")
    assert r.returncode == 1
    assert "timed out" in r.stderr
    assert not (tmp_path / "d" / "slow.bin").exists()


def test_too_many_redirects(aio):
    r = wirekit("http", "get", f"{aio}/loop")
    assert r.returncode == 1
    assert_one_line_error(r, "redirect")


def test_truncated_body(tmp_path):
    with RawServer(truncated_body) as server:
        r = wirekit("http", "get", server.url("/file.txt"))
    assert r.returncode == 1
    assert_one_line_error(r, "10 bytes of 100")


def test_truncated_body_with_output_file(tmp_path):
    out = tmp_path / "file.txt"
    with RawServer(truncated_body) as server:
        r = wirekit("http", "get", server.url("/file.txt"), "-o", out)
    assert not out.exists(), "an incomplete download looks complete"
    part = Path(str(out) + ".part")
    if part.exists():
        assert part.read_bytes() == b"0123456789"
    assert r.returncode == 1, f"exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}"
    assert_one_line_error(r, "100")


def test_truncated_body_with_fetch(tmp_path):
    out = tmp_path / "d"
    with RawServer(truncated_body) as server:
        r = wirekit("fetch", server.url("/file.txt"), "-o", out)
    assert r.returncode == 1
    assert not (out / "file.txt").exists()
    assert "10 bytes of 100" in r.stderr
    assert FETCHED.match(r.stdout.strip("\n").split("\n")[-1])[1] == "0"


# ---- proxies -----------------------------------------------------------------------------


@pytest.fixture
def hello():
    port = free_port()
    p = Process([WIREKIT, "hello", "--host", "127.0.0.1", "--port", port, "--threads", "1"])
    try:
        wait_tcp(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(p)


@pytest.fixture
def proxy():
    port = free_port()
    proc = Process([PYTHON, Path(__file__).parent / "http_proxy.py", port])
    try:
        wait_tcp(port)
        yield port, proc
    finally:
        proc.stop()


def test_get_through_a_proxy_in_absolute_form(proxy, hello):
    port, proc = proxy
    result = run([WIREKIT, "http", "get", "-x", f"http://127.0.0.1:{port}", hello + "/proxied"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "200\nHello, proxied!\n"
    assert proc.line() == f"GET {hello}/proxied HTTP/1.1"


def test_get_through_a_connect_tunnel(proxy, hello):
    port, proc = proxy
    result = run([WIREKIT, "http", "get", "-x", f"http://127.0.0.1:{port}", "-p", hello + "/tunnel"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "200\nHello, tunnel!\n"
    assert proc.line() == f"CONNECT {hello.removeprefix('http://')} HTTP/1.1"
