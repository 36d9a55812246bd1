"""`wirekit http serve` against curl: compression, ranges, conditional requests, HEAD,
directories, listings and precompressed siblings."""
import email.utils
import gzip
import html
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import WIREKIT

SERVING = re.compile(r"^Serving HTTP on 127\.0\.0\.1 port (\d+) \(http://127\.0\.0\.1:(\d+)/\) \.\.\.$")

TEXT = "".join(f"{i:04d} all work and no play makes Jack a dull boy\n" for i in range(300))
DATA = bytes((i * 7 + 3) % 256 for i in range(100))
LARGE = bytes((i * 13 + 1) % 251 for i in range(100_000))  # past the 64 KiB in-memory cache
PAGE = "<!DOCTYPE html><title>page</title><p>" + "plain page. " * 40 + "</p>\n"
PAGE_GZ = PAGE.replace("plain page.", "gzip  page.")  # the same length, another content


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "text.txt").write_text(TEXT)
    (root / "data.bin").write_bytes(DATA)
    (root / "large.bin").write_bytes(LARGE)
    (root / "page.html").write_text(PAGE)
    (root / "page.html.gz").write_bytes(gzip.compress(PAGE_GZ.encode()))
    (root / "a&b<c>.txt").write_text("escaped\n")
    (root / "dir").mkdir()
    (root / "dir" / "inner.txt").write_text("inner\n")
    (root / "site").mkdir()
    (root / "site" / "index.html").write_text("<h1>the index</h1>\n")
    (root / "site" / "other.txt").write_text("other\n")
    return root


@pytest.fixture
def base(spawn, root):
    server = spawn([WIREKIT, "http", "serve", root, "--port", "0", "--bind", "127.0.0.1",
                    "--threads", "2"])
    line = server.line()
    match = SERVING.match(line)
    assert match, line
    return f"http://127.0.0.1:{match[1]}"


def curl(url, *args):
    """Runs curl; returns (status, headers with lower-case names, body as curl wrote it)."""
    p = subprocess.run(["curl", "-sS", "-i", "--max-time", "10", *args, url],
                       capture_output=True, timeout=20)
    assert p.returncode == 0, p.stderr
    head, sep, body = p.stdout.partition(b"\r\n\r\n")
    assert sep, p.stdout
    if "-L" in args:  # the heads of the redirects come first: keep the last one
        while body.startswith(b"HTTP/1."):
            head, _, body = body.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


# ---- compression --------------------------------------------------------------------------------

def test_compressed_picks_the_best_encoding_curl_advertises(base):
    status, headers, body = curl(base + "/text.txt", "--compressed")
    assert status == 200
    # curl 7.88 advertises "deflate, gzip, br, zstd"; the server prefers br, then zstd, gzip.
    assert headers["content-encoding"] == "br"
    assert int(headers["content-length"]) < len(TEXT)
    assert headers["vary"] == "Accept-Encoding"
    assert body == TEXT.encode()


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_each_encoding_round_trips_through_curl(base, encoding):
    status, headers, body = curl(base + "/text.txt", "--compressed",
                                 "-H", f"Accept-Encoding: {encoding}")
    assert status == 200
    assert headers["content-encoding"] == encoding
    assert body == TEXT.encode()


def test_without_accept_encoding_the_file_is_sent_as_is(base):
    status, headers, body = curl(base + "/text.txt")
    assert status == 200
    assert "content-encoding" not in headers
    assert headers["content-length"] == str(len(TEXT))
    assert body == TEXT.encode()


def test_binary_files_are_not_compressed(base):
    status, headers, body = curl(base + "/large.bin", "--compressed")
    assert status == 200
    assert "content-encoding" not in headers
    assert headers["content-type"] == "application/octet-stream"
    assert body == LARGE


# ---- ranges ------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, first, last", [("0-9", 0, 9), ("5-", 5, 99), ("-4", 96, 99),
                                               ("90-1000", 90, 99), ("-1000", 0, 99)])
def test_byte_ranges(base, spec, first, last):
    status, headers, body = curl(base + "/data.bin", "-r", spec)
    assert status == 206
    assert headers["content-range"] == f"bytes {first}-{last}/100"
    assert headers["content-length"] == str(last - first + 1)
    assert body == DATA[first:last + 1]


def test_range_of_a_large_file_sent_with_sendfile(base):
    status, headers, body = curl(base + "/large.bin", "-r", "70000-70009")
    assert status == 206
    assert headers["content-range"] == f"bytes 70000-70009/{len(LARGE)}"
    assert body == LARGE[70000:70010]


def test_range_of_a_text_file_ignores_compression(base):
    status, headers, body = curl(base + "/text.txt", "--compressed", "-r", "0-99")
    assert status == 206
    assert "content-encoding" not in headers
    assert body == TEXT.encode()[:100]


@pytest.mark.parametrize("spec", ["100-", "100-200", "5000-6000"])
def test_unsatisfiable_range_gets_416(base, spec):
    status, headers, _ = curl(base + "/data.bin", "-r", spec)
    assert status == 416
    assert headers["content-range"] == "bytes */100"


# ---- conditional requests ----------------------------------------------------------------------

def test_if_none_match_with_the_etag_gets_304_without_body(base):
    status, first, body = curl(base + "/text.txt")
    assert status == 200 and body == TEXT.encode()
    etag = first["etag"]
    status, headers, body = curl(base + "/text.txt", "-H", f"If-None-Match: {etag}")
    assert status == 304
    assert body == b""
    assert headers["etag"] == etag
    assert "content-length" not in headers or headers["content-length"] == "0"
    # Another tag, or one in a list, is compared as the RFC says.
    status, _, body = curl(base + "/text.txt", "-H", 'If-None-Match: "other"')
    assert status == 200 and body == TEXT.encode()
    status, _, _ = curl(base + "/text.txt", "-H", f'If-None-Match: "other", W/{etag}')
    assert status == 304


@pytest.mark.parametrize("path, accept, encoding", [
    ("/text.txt", "br", "br"),        # compressed on the fly
    ("/text.txt", "gzip", "gzip"),
    ("/page.html", "gzip", "gzip"),   # the precompressed page.html.gz
])
def test_if_none_match_with_the_etag_of_a_compressed_response_gets_304(base, path, accept,
                                                                       encoding):
    """A client revalidates with the ETag it was given: that of the compressed variant."""
    status, first, _ = curl(base + path, "-H", f"Accept-Encoding: {accept}")
    assert (status, first["content-encoding"]) == (200, encoding)
    etag = first["etag"]
    status, headers, body = curl(base + path, "-H", f"Accept-Encoding: {accept}",
                                 "-H", f"If-None-Match: {etag}")
    assert status == 304, f"If-None-Match: {etag} answered {status}"
    assert body == b""
    assert headers["etag"] == etag


def test_if_modified_since(base, root):
    path = root / "dir" / "inner.txt"
    then = int(time.time()) - 3600
    os.utime(path, (then, then))
    time.sleep(1.1)  # StaticFiles revalidates what it has seen at most every second
    date = email.utils.formatdate(then, usegmt=True)
    status, headers, body = curl(base + "/dir/inner.txt", "-z", date)
    assert status == 304
    assert body == b""
    assert headers["last-modified"] == date
    # Modified later (still in the past): the whole file again.
    os.utime(path, (then + 600, then + 600))
    time.sleep(1.1)
    status, headers, body = curl(base + "/dir/inner.txt", "-z", date)
    assert status == 200
    assert body == b"inner\n"
    assert headers["last-modified"] == email.utils.formatdate(then + 600, usegmt=True)


def test_if_none_match_wins_over_if_modified_since(base):
    _, first, _ = curl(base + "/data.bin")
    status, _, body = curl(base + "/data.bin", "-H", 'If-None-Match: "stale"',
                           "-H", f"If-Modified-Since: {first['last-modified']}")
    assert status == 200 and body == DATA


def test_if_range(base):
    _, first, _ = curl(base + "/data.bin")
    # A stale validator: the whole representation, 200.
    status, headers, body = curl(base + "/data.bin", "-r", "0-9", "-H", 'If-Range: "stale"')
    assert status == 200
    assert "content-range" not in headers
    assert body == DATA
    # The current ETag: the range.
    status, headers, body = curl(base + "/data.bin", "-r", "0-9", "-H", f"If-Range: {first['etag']}")
    assert status == 206
    assert body == DATA[:10]


# ---- HEAD -------------------------------------------------------------------------------------

def test_head_has_the_length_but_no_body(base):
    status, headers, body = curl(base + "/data.bin", "-I")
    assert status == 200
    assert headers["content-length"] == "100"
    assert headers["content-type"] == "application/octet-stream"
    assert body == b""
    # On the wire, nothing follows the head before the connection closes.
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"HEAD /large.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert f"Content-Length: {len(LARGE)}".encode() in head
    assert rest == b""


# ---- directories ----------------------------------------------------------------------------------

def test_directory_without_trailing_slash_redirects(base):
    status, headers, _ = curl(base + "/dir")
    assert status == 301
    assert headers["location"] == "/dir/"
    status, headers, _ = curl(base + "/dir?x=1")
    assert status == 301
    assert headers["location"] == "/dir/?x=1"
    # curl -L follows it to the listing.
    status, _, body = curl(base + "/dir", "-L")
    assert status == 200
    assert b"inner.txt" in body


def test_listing_escapes_names_and_links_work(base):
    status, headers, body = curl(base + "/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    page = body.decode()
    assert "a&amp;b&lt;c&gt;.txt" in page
    assert "a&b<c>.txt" not in page
    for name in ("data.bin", "text.txt", "page.html", "dir/", "site/"):
        assert f">{name}</a>" in page, name
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
    assert "a%26b%3Cc%3E.txt" in hrefs  # the name percent-encoded in the link
    # Every link of the listing leads somewhere.
    assert len(hrefs) == 8, hrefs  # 2 directories, 6 files; no "../" at the top
    for href in hrefs:
        status, _, body = curl(base + "/" + href)
        assert status == 200, href
        if href == "a%26b%3Cc%3E.txt":
            assert body == b"escaped\n"
    status, _, body = curl(base + "/dir/")
    assert '<a href="../">' in body.decode()  # a subdirectory links back up


def test_index_html_is_served_for_a_directory(base):
    status, headers, body = curl(base + "/site/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert body == b"<h1>the index</h1>\n"
    assert b"other.txt" not in body


def test_no_listing_answers_403(spawn, root):
    server = spawn([WIREKIT, "http", "serve", root, "--port", "0", "--bind", "127.0.0.1",
                    "--no-listing"])
    base = f"http://127.0.0.1:{SERVING.match(server.line())[1]}"
    assert curl(base + "/dir/")[0] == 403
    assert curl(base + "/site/")[2] == b"<h1>the index</h1>\n"  # an index is still served


# ---- precompressed siblings ---------------------------------------------------------------------

def test_precompressed_gz_sibling_is_served_to_gzip_clients(base):
    status, headers, body = curl(base + "/page.html", "-H", "Accept-Encoding: gzip")
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["content-type"].startswith("text/html")
    assert headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body).decode() == PAGE_GZ  # the sibling's bytes, as they are on disk
    # Clients that do not take gzip get page.html itself.
    status, headers, body = curl(base + "/page.html")
    assert status == 200
    assert "content-encoding" not in headers
    assert body.decode() == PAGE
    # curl --compressed decodes the sibling.
    status, headers, body = curl(base + "/page.html", "--compressed", "-H", "Accept-Encoding: gzip")
    assert body.decode() == PAGE_GZ
