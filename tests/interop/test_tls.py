"""Issue 5 (TLS): wirekit's HTTPS servers and TLS clients against real peers — curl, Python's
ssl, http.client and requests, `openssl s_client` and `openssl s_server` — with test CAs made
here twice over, by `wirekit tls selfsigned` and independently by python3-cryptography, so that
wirekit is not only checked against itself. Then the failures a user meets (expired certificate,
wrong name, unknown CA, a TLS 1.0-only server, a peer closing or stalling mid-handshake, plain
HTTP on a TLS port and the other way round), each one clear line on stderr, and the reload of
certificates on SIGHUP. Everything on loopback; every process started here is stopped by PID."""
import datetime
import hashlib
import http.client
import ipaddress
import os
import queue
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from types import SimpleNamespace

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import (PYTHON, WIREKIT, Process, free_port, run, start_hello, start_static,
                      wait_tcp)
from test_http_client import RawServer, never_answers

LARGE = random.Random(5).randbytes(3 << 20)  # 3 MiB, incompressible: many TLS records


# ---- a test PKI made with python3-cryptography ---------------------------------------------------

def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class ScratchCA:
    """A CA made here, independently of wirekit: P-256, SHA-256, like a small private CA. A
    root by default; with `parent`, an intermediate it signed."""

    def __init__(self, name, parent=None):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wirekit tests"),
                               x509.NameAttribute(NameOID.COMMON_NAME, name)])
        issuer = parent or self
        builder = (
            x509.CertificateBuilder().subject_name(self.name).issuer_name(issuer.name)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(_now() - datetime.timedelta(days=1))
            .not_valid_after(_now() + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0 if parent else 1),
                           critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()),
                           critical=False))
        if parent:
            builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                parent.key.public_key()), critical=False)
        self.cert = builder.sign(issuer.key, hashes.SHA256())

    def issue(self, directory, stem, common_name, names=(), *, not_before=-1, not_after=30,
              client=False, use_rsa=False):
        """Writes DIR/STEM.pem and DIR/STEM-key.pem: a leaf valid from `not_before` to
        `not_after` days from now, for `names` (DNS names or IP addresses)."""
        key = rsa.generate_private_key(65537, 2048) if use_rsa else ec.generate_private_key(
            ec.SECP256R1())
        alt = []
        for n in names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                alt.append(x509.DNSName(n))
        usage = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else [ExtendedKeyUsageOID.SERVER_AUTH]
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() + datetime.timedelta(days=not_before))
            .not_valid_after(_now() + datetime.timedelta(days=not_after))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usage), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False))
        if alt:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}-key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_pem_key(key))
        return SimpleNamespace(cert=cert_path, key=key_path, x509=cert)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Certificates from a CA made with python3-cryptography, and one made by
    `wirekit tls selfsigned`; bundle.pem trusts both CAs."""
    d = tmp_path_factory.mktemp("pki")
    ca = ScratchCA("wirekit tests CA")
    (d / "ca.pem").write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    p = SimpleNamespace(dir=d, ca=d / "ca.pem", ca_obj=ca)
    p.localhost = ca.issue(d, "localhost", "localhost", ["localhost", "127.0.0.1"], use_rsa=True)
    p.other = ca.issue(d, "other", "other.test", ["other.test"])  # not for localhost/127.0.0.1
    p.expired = ca.issue(d, "expired", "localhost", ["localhost", "127.0.0.1"],
                         not_before=-30, not_after=-2)
    p.reloaded = ca.issue(d, "reloaded", "reloaded.test", ["localhost", "127.0.0.1"])
    p.client = ca.issue(d, "client", "client one", client=True)
    # A chain of three: the server's file holds its certificate, then the intermediate's.
    intermediate = ScratchCA("wirekit tests intermediate", parent=ca)
    p.chained = intermediate.issue(d, "chained", "chained.test", ["localhost", "127.0.0.1"])
    p.chained.cert.write_bytes(p.chained.cert.read_bytes() +
                               intermediate.cert.public_bytes(serialization.Encoding.PEM))
    stranger = ScratchCA("a CA nobody trusts")
    p.stranger_client = stranger.issue(d, "stranger", "stranger", client=True)

    wk = d / "wk"
    r = run([WIREKIT, "tls", "selfsigned", "--cn", "localhost", "-o", wk])
    assert r.returncode == 0, r.stderr
    p.wk = SimpleNamespace(ca=wk / "ca.pem", cert=wk / "cert.pem", key=wk / "key.pem")
    p.bundle = d / "bundle.pem"
    p.bundle.write_bytes(p.ca.read_bytes() + p.wk.ca.read_bytes())
    return p


# ---- helpers ------------------------------------------------------------------------------------

def wirekit(*args, timeout=30):
    return run([WIREKIT, *args], timeout=timeout)


def assert_one_line_error(result, *needles):
    """A failure: non-zero exit, one line on stderr (no trace, no crash) naming the cause."""
    assert result.returncode != 0, result.stdout
    assert result.returncode < 128, f"killed by a signal: {result.returncode}"
    lines = result.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0], f"stderr: {result.stderr!r}"
    for bad in ("Traceback", "terminate called", "Aborted", "AddressSanitizer"):
        assert bad not in result.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def tls_flags(*pairs):
    flags = []
    for pair in pairs:
        flags += ["--tls-cert", pair.cert, "--tls-key", pair.key]
    return flags


def curl(*args, timeout=20):
    return subprocess.run(["curl", "-sS", "--max-time", "10", *map(str, args)],
                          capture_output=True, timeout=timeout)


def resolve(name, port):
    """curl's --resolve, so that a name is checked against the certificate on 127.0.0.1."""
    return ["--resolve", f"{name}:{port}:127.0.0.1"]


def s_client(port, *args, stdin=b"", timeout=20):
    """`openssl s_client` to 127.0.0.1:port; returns (exit code, stdout+stderr as text)."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *map(str, args)],
                       input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr).decode("latin-1")


def http_request(host="localhost"):
    return f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


def start_s_server(cert, key, *args, cwd=None):
    """`openssl s_server` on 127.0.0.1 with the given certificate; returns (Process, port)."""
    port = free_port()
    server = Process(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert,
                      "-key", key, *args], cwd=cwd)
    try:
        wait_tcp(port)
    except TimeoutError:
        server.stop()
        raise
    return server, port


@pytest.fixture
def s_server():
    """Starts `openssl s_server`s stopped (by PID) at the end of the test."""
    started = []

    def start(*args, **kwargs):
        server, port = start_s_server(*args, **kwargs)
        started.append(server)
        return port

    yield start
    for server in started:
        server.stop(timeout=5)


def probe(*args, timeout=30):
    r = wirekit("tls", "probe", *args, timeout=timeout)
    fields = {}
    for line in r.stdout.splitlines():
        name, sep, value = line.partition(": ")
        if sep and name[0].isupper() and name not in fields:
            fields[name] = value
    connected = re.search(r"^Connected to (\S+)$", r.stdout, re.M)
    fields["Connected to"] = connected[1] if connected else None
    return r, fields


# ---- `wirekit tls selfsigned` -------------------------------------------------------------------

def test_selfsigned_writes_a_ca_and_a_certificate_openssl_and_cryptography_accept(tmp_path):
    out = tmp_path / "dev"
    r = wirekit("tls", "selfsigned", "--cn", "dev.test", "--days", "7", "--name", "10.1.2.3",
                "--name", "api.dev.test", "-o", out)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["ca-key.pem", "ca.pem", "cert.pem", "key.pem"]
    assert r.stdout.splitlines() == [f"Wrote {out / n}" for n in
                                      ("ca.pem", "ca-key.pem", "cert.pem", "key.pem")]
    assert (out / "key.pem").stat().st_mode & 0o777 == 0o600
    assert (out / "ca-key.pem").stat().st_mode & 0o777 == 0o600

    v = run(["openssl", "verify", "-CAfile", out / "ca.pem", "-purpose", "sslserver",
             out / "cert.pem"])
    assert v.returncode == 0 and ": OK" in v.stdout, v.stdout + v.stderr
    cert = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "dev.test"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {"dev.test", "localhost", "api.dev.test"}
    assert {str(a) for a in sans.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1", "::1", "10.1.2.3"}
    lifetime = cert.not_valid_after - cert.not_valid_before
    assert datetime.timedelta(days=7) <= lifetime <= datetime.timedelta(days=7, hours=2)
    key = serialization.load_pem_private_key((out / "key.pem").read_bytes(), None)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()


@pytest.mark.parametrize("args, needle", [(["--days", "0"], "days"),
                                          (["--cn", "a b"], "a b")])
def test_selfsigned_refuses_bad_input_and_writes_nothing(tmp_path, args, needle):
    out = tmp_path / "dev"
    r = wirekit("tls", "selfsigned", *args, "-o", out)
    assert r.returncode == 2
    assert_one_line_error(r, needle)
    assert not out.exists() or list(out.iterdir()) == []


# ---- wirekit hello over HTTPS against curl ------------------------------------------------------

@pytest.mark.parametrize("maker", ["wirekit", "cryptography"])
def test_curl_gets_hello_over_https(spawn, pki, maker):
    pair, ca = (pki.wk, pki.wk.ca) if maker == "wirekit" else (pki.localhost, pki.ca)
    _, port = start_hello(spawn, *tls_flags(pair))
    p = curl("--cacert", ca, *resolve("localhost", port), "-w", "\n%{http_version} %{scheme}",
             f"https://localhost:{port}/alice")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"Hello, alice!\n1.1 HTTPS"


def test_curl_reuses_one_tls_connection_for_several_urls(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    urls = [f"https://localhost:{port}/u{i}" for i in range(5)]
    p = curl("--cacert", pki.wk.ca, *resolve("localhost", port), "-w", " %{num_connects}\n",
             *urls)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines() == [
        "Hello, u0! 1", "Hello, u1! 0", "Hello, u2! 0", "Hello, u3! 0", "Hello, u4! 0"]


@pytest.mark.parametrize("flags, version", [(["--tlsv1.2", "--tls-max", "1.2"], "TLSv1.2"),
                                            (["--tlsv1.3"], "TLSv1.3")])
def test_curl_negotiates_tls12_and_tls13(spawn, pki, flags, version):
    _, port = start_hello(spawn, *tls_flags(pki.localhost))
    p = curl("-v", "--cacert", pki.ca, *resolve("localhost", port), *flags,
             f"https://localhost:{port}/")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"Hello, Anonymous!"
    assert re.search(rf"SSL connection using {version} / \S+", p.stderr.decode()), p.stderr
    assert b"ALPN: server accepted http/1.1" in p.stderr


def test_curl_downloads_a_large_static_file_over_https_byte_for_byte(spawn, pki, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "large.bin").write_bytes(LARGE)
    _, port = start_static(spawn, root, *tls_flags(pki.wk))
    out = tmp_path / "got.bin"
    p = curl("--cacert", pki.wk.ca, *resolve("localhost", port), "-o", out,
             f"https://localhost:{port}/large.bin")
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == LARGE
    # A range from the middle, over the same TLS record machinery.
    p = curl("--cacert", pki.wk.ca, *resolve("localhost", port), "-r", "1000000-1999999",
             f"https://localhost:{port}/large.bin")
    assert p.returncode == 0, p.stderr
    assert p.stdout == LARGE[1_000_000:2_000_000]


# ---- the server's TLS under pressure: pipelining, slow readers, renegotiation ------------------

def test_pipelined_requests_over_tls_are_all_answered(spawn, pki):
    # Fifty requests in one write: many arrive in one TLS record, or records OpenSSL has
    # read ahead and holds; the server must answer them all without waiting for more input.
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    with connect_tls(port, pki.wk.ca) as tls:
        tls.sendall(b"".join(f"GET /p{i} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
                             for i in range(50)))
        answers = AnswerReader(tls)
        for i in range(50):
            assert answers.next() == (b"HTTP/1.1 200 OK", f"Hello, p{i}!".encode())


def test_a_slow_reader_gets_a_large_file_whole(spawn, pki, tmp_path):
    # curl reads at 4 MB/s: the server's TLS writes meet a full socket again and again.
    root = tmp_path / "root"
    root.mkdir()
    (root / "large.bin").write_bytes(LARGE)
    _, port = start_static(spawn, root, *tls_flags(pki.wk))
    out = tmp_path / "got.bin"
    p = curl("--cacert", pki.wk.ca, *resolve("localhost", port), "--limit-rate", "4M", "-o", out,
             f"https://localhost:{port}/large.bin")
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == LARGE


def test_renegotiation_is_refused_and_the_server_goes_on(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    # s_client's "R" command asks for a TLS 1.2 renegotiation (a CPU cost an attacker controls).
    client = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                               "-tls1_2", "-CAfile", pki.wk.ca], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = []
    reader = threading.Thread(target=lambda: output.append(client.stdout.read()), daemon=True)
    reader.start()
    try:
        client.stdin.write(b"R\n")
        client.stdin.flush()  # stdin stays open: only the server's refusal ends s_client
        client.wait(timeout=20)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
        client.stdin.close()
    reader.join(5)
    out = output[0]
    assert b"RENEGOTIATING" in out
    assert b"no renegotiation" in out, out
    p = curl("--cacert", pki.wk.ca, *resolve("localhost", port), f"https://localhost:{port}/")
    assert p.returncode == 0 and p.stdout == b"Hello, Anonymous!", p.stderr


def test_large_and_small_answers_alternate_on_one_connection(spawn, pki, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "large.bin").write_bytes(LARGE)
    (root / "small.txt").write_text("small\n")
    _, port = start_static(spawn, root, *tls_flags(pki.localhost))
    conn = http.client.HTTPSConnection("localhost", port, timeout=20,
                                       context=ssl.create_default_context(cafile=str(pki.ca)))
    try:
        sockets = []
        for path, expected in [("/large.bin", LARGE), ("/small.txt", b"small\n"),
                               ("/large.bin", LARGE), ("/small.txt", b"small\n")]:
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.status == 200
            assert response.read() == expected
            sockets.append(conn.sock)
        assert all(sock is sockets[0] for sock in sockets)  # one connection throughout
    finally:
        conn.close()


# ---- Python's ssl, http.client and requests -----------------------------------------------------

def test_python_http_client_keeps_one_tls_connection_alive(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.localhost))
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.set_alpn_protocols(["h2", "http/1.1"])
    conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
    try:
        bodies, sockets = [], []
        for name in ("one", "two", "three"):
            conn.request("GET", f"/{name}")
            response = conn.getresponse()
            assert response.status == 200
            bodies.append(response.read())
            sockets.append(conn.sock)
        assert all(sock is sockets[0] for sock in sockets)  # no reconnect
        assert bodies == [b"Hello, one!", b"Hello, two!", b"Hello, three!"]
        assert conn.sock.version() == "TLSv1.3"
        assert conn.sock.selected_alpn_protocol() == "http/1.1"  # h2 is not spoken
        subject = dict(x[0] for x in conn.sock.getpeercert()["subject"])
        assert subject["commonName"] == "localhost"
    finally:
        conn.close()


def test_python_ssl_with_tls12_only(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    context = ssl.create_default_context(cafile=str(pki.wk.ca))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.2"
            tls.sendall(http_request())
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\n\r\nHello, Anonymous!")


def test_requests_verifies_against_the_test_ca(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.localhost))
    with requests.Session() as session:
        answers = [session.get(f"https://localhost:{port}/{n}", verify=str(pki.ca), timeout=10)
                   for n in ("bob", "carol")]
    assert [(a.status_code, a.text) for a in answers] == [(200, "Hello, bob!"),
                                                          (200, "Hello, carol!")]
    # Without the test CA, requests refuses the certificate: the server is not trusted blindly.
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get(f"https://localhost:{port}/", timeout=10)


def test_a_certificate_chain_is_sent_whole(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.chained))
    code, out = s_client(port, "-servername", "localhost", "-CAfile", pki.ca, "-showcerts",
                         "-ign_eof", stdin=http_request())
    assert code == 0, out
    assert re.search(r"^ 0 s:CN = chained\.test$", out, re.M), out
    assert re.search(r"^ 1 s:O = wirekit tests, CN = wirekit tests intermediate$", out, re.M), out
    assert "Verify return code: 0 (ok)" in out
    # Clients that trust only the root verify through the intermediate the server sent.
    p = curl("--cacert", pki.ca, *resolve("localhost", port), f"https://localhost:{port}/chain")
    assert p.returncode == 0 and p.stdout == b"Hello, chain!", p.stderr
    r = wirekit("http", "get", "--ca", pki.ca, f"https://127.0.0.1:{port}/chain")
    assert r.returncode == 0 and r.stdout == "200\nHello, chain!\n", r.stderr


def test_many_concurrent_tls_clients(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    context = ssl.create_default_context(cafile=str(pki.wk.ca))
    failures = []

    def client(i):
        try:
            with connect_tls(port, pki.wk.ca, context) as tls:
                for j in range(5):
                    answer = keep_alive_get(tls, f"/c{i}x{j}")
                    if answer != (b"HTTP/1.1 200 OK", f"Hello, c{i}x{j}!".encode()):
                        failures.append((i, j, answer))
        except OSError as e:
            failures.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert failures == []


# ---- openssl s_client ---------------------------------------------------------------------------

@pytest.mark.parametrize("flag, version", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_s_client_version_alpn_and_verification(spawn, pki, flag, version):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    code, out = s_client(port, flag, "-servername", "localhost", "-verify_hostname", "localhost",
                         "-CAfile", pki.wk.ca, "-alpn", "h2,http/1.1", "-ign_eof",
                         stdin=http_request())
    assert code == 0, out
    assert re.search(rf"^New, {version}, Cipher is \S+$", out, re.M), out
    assert "ALPN protocol: http/1.1" in out
    assert "Verify return code: 0 (ok)" in out
    assert "HTTP/1.1 200 OK" in out and "Hello, Anonymous!" in out


def test_tls12_with_an_rsa_certificate_gets_forward_secrecy_in_the_servers_order(spawn, pki):
    # Issue 12 item 8: a client that lists static RSA first got AES128-GCM-SHA256 (no forward
    # secrecy); nginx answers ECDHE-RSA-AES256-GCM-SHA384.
    _, port = start_hello(spawn, *tls_flags(pki.localhost))
    code, out = s_client(port, "-tls1_2", "-cipher",
                         "AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
                         "-CAfile", pki.ca, "-ign_eof", stdin=http_request())
    assert code == 0, out
    assert re.search(r"^New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384$", out, re.M), out
    assert "Hello, Anonymous!" in out
    # Only suites without forward secrecy, or CBC ones: no handshake.
    for ciphers in ("AES128-GCM-SHA256:AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA"):
        code, out = s_client(port, "-tls1_2", "-cipher", ciphers, stdin=b"")
        assert code != 0 and "handshake failure" in out, (ciphers, out)


def test_s_client_without_alpn_gets_none(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    code, out = s_client(port, "-CAfile", pki.wk.ca, "-ign_eof", stdin=http_request())
    assert code == 0, out
    assert "No ALPN negotiated" in out
    assert "Hello, Anonymous!" in out


@pytest.mark.parametrize("server_name, expected_cn", [("localhost", "localhost"),
                                                      ("other.test", "other.test"),
                                                      ("unknown.test", "localhost"),
                                                      (None, "localhost")])
def test_sni_chooses_between_two_certificates(spawn, pki, server_name, expected_cn):
    # The first pair (made by wirekit) is the default; the second (cryptography) answers to
    # other.test.
    _, port = start_hello(spawn, *tls_flags(pki.wk, pki.other))
    sni = ["-servername", server_name] if server_name else ["-noservername"]
    code, out = s_client(port, *sni, "-CAfile", pki.bundle, "-ign_eof", stdin=http_request())
    assert code == 0, out
    assert re.search(rf"^subject=.*CN = {re.escape(expected_cn)}$", out, re.M), out
    assert "Verify return code: 0 (ok)" in out


def test_sni_with_curl_verifies_each_name(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.wk, pki.other))
    for name in ("localhost", "other.test"):
        p = curl("--cacert", pki.bundle, *resolve(name, port), f"https://{name}:{port}/{name}")
        assert p.returncode == 0, (name, p.stderr)
        assert p.stdout == f"Hello, {name}!".encode()


@pytest.mark.parametrize("flag, version", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_s_client_resumes_a_session(spawn, pki, tmp_path, flag, version):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    session = tmp_path / "session.pem"
    code, out = s_client(port, flag, "-CAfile", pki.wk.ca, "-sess_out", session, "-ign_eof",
                         stdin=http_request())
    assert code == 0, out
    assert re.search(rf"^New, {version}", out, re.M), out
    assert session.stat().st_size > 0
    code, out = s_client(port, flag, "-CAfile", pki.wk.ca, "-sess_in", session, "-ign_eof",
                         stdin=http_request())
    assert code == 0, out
    assert re.search(rf"^Reused, {version}", out, re.M), out
    assert "Hello, Anonymous!" in out


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_python_ssl_resumes_a_session(spawn, pki, version):
    _, port = start_hello(spawn, *tls_flags(pki.localhost))
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.minimum_version = context.maximum_version = version
    with connect_tls(port, pki.ca, context) as first:
        keep_alive_get(first, "/first")  # TLS 1.3 tickets arrive after the handshake
        session = first.session
        assert not first.session_reused
    with context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                             server_hostname="localhost", session=session) as second:
        assert second.session_reused
        assert keep_alive_get(second, "/second") == (b"HTTP/1.1 200 OK", b"Hello, second!")


# ---- mutual TLS ---------------------------------------------------------------------------------

@pytest.fixture
def mtls_port(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.wk), "--tls-client-ca", pki.ca,
                          "--tls-require-client-cert")
    return port


def test_mtls_curl_with_a_client_certificate(mtls_port, pki):
    p = curl("--cacert", pki.wk.ca, "--cert", pki.client.cert, "--key", pki.client.key,
             *resolve("localhost", mtls_port), f"https://localhost:{mtls_port}/mutual")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"Hello, mutual!"


@pytest.mark.parametrize("who", ["nobody", "stranger"])
def test_mtls_curl_without_a_trusted_certificate_is_refused(mtls_port, pki, who):
    cert = [] if who == "nobody" else ["--cert", pki.stranger_client.cert,
                                       "--key", pki.stranger_client.key]
    p = curl("--cacert", pki.wk.ca, *cert, *resolve("localhost", mtls_port),
             f"https://localhost:{mtls_port}/")
    assert p.returncode != 0
    assert b"Hello" not in p.stdout
    assert re.search(rb"alert|certificate", p.stderr), p.stderr


def test_mtls_wirekit_http_get_with_cert_and_key(mtls_port, pki):
    r = wirekit("http", "get", "--ca", pki.wk.ca, "--cert", pki.client.cert, "--key",
                pki.client.key, f"https://127.0.0.1:{mtls_port}/wk")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\nHello, wk!\n"


@pytest.mark.parametrize("who, reason", [("nobody", "certificate required"),
                                         ("stranger", "unknown ca")])
def test_mtls_wirekit_http_get_without_a_trusted_certificate_says_so(mtls_port, pki, who,
                                                                     reason):
    # TLS 1.3: the server's verdict on the client certificate comes after the client's
    # handshake is done, as an alert on the first read; its reason must still reach the user.
    cert = [] if who == "nobody" else ["--cert", pki.stranger_client.cert,
                                       "--key", pki.stranger_client.key]
    r = wirekit("http", "get", "--ca", pki.wk.ca, *cert, f"https://127.0.0.1:{mtls_port}/")
    assert r.returncode == 1
    assert_one_line_error(r, reason)
    assert r.stdout == ""


def test_mtls_needs_its_ca_file(pki, tmp_path):
    r = wirekit("hello", "--port", "0", "--host", "127.0.0.1", *tls_flags(pki.wk),
                "--tls-require-client-cert")
    assert r.returncode == 2
    assert_one_line_error(r, "--tls-client-ca")
    missing = tmp_path / "no-such-ca.pem"
    r = wirekit("hello", "--port", "0", "--host", "127.0.0.1", *tls_flags(pki.wk),
                "--tls-client-ca", missing)
    assert r.returncode == 2
    assert_one_line_error(r, str(missing))


# ---- the wirekit client against openssl s_server and a Python ssl server ------------------------

@pytest.mark.parametrize("flag, version", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_http_get_from_s_server_www(s_server, pki, flag, version):
    port = s_server(pki.localhost.cert, pki.localhost.key, flag, "-www")
    r = wirekit("http", "get", "--ca", pki.ca, f"https://127.0.0.1:{port}/")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("200\n")
    # s_server -www describes the connection from its side.
    assert re.search(rf"^New, {version}, Cipher is \S+", r.stdout, re.M), r.stdout


@pytest.mark.parametrize("flag", ["-tls1_2", "-tls1_3"])
def test_http_get_a_file_from_s_server_WWW(s_server, pki, tmp_path, flag):
    (tmp_path / "large.bin").write_bytes(LARGE)
    port = s_server(pki.localhost.cert, pki.localhost.key, flag, "-WWW", cwd=tmp_path)
    out = tmp_path / "got.bin"
    r = wirekit("http", "get", "--ca", pki.ca, "-o", out, f"https://127.0.0.1:{port}/large.bin")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == LARGE


PYTHON_TLS_SERVER = r'''
import hashlib, http.server, ssl, sys
cert, key = sys.argv[1], sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        tls = self.request
        body = f"{tls.version()} {tls.selected_alpn_protocol()} {self.path}".encode()
        if self.path.startswith("/once"):
            body += f" reused={tls.session_reused}".encode()
        self.send_response(200)
        if self.path.startswith("/once"):
            # Framed, but the connection is not kept: the next request needs a new handshake.
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.close_connection = True
        elif self.path == "/close":
            # No length: the body ends with the connection, closed without close_notify
            # (Python's socketserver shuts the socket, not the TLS session).
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        body = f"{len(data)} {hashlib.sha256(data).hexdigest()}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
context.set_alpn_protocols(["http/1.1"])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
'''


@pytest.fixture(scope="module")
def python_tls_server(pki):
    server = Process([PYTHON, "-u", "-c", PYTHON_TLS_SERVER, pki.localhost.cert, pki.localhost.key])
    try:
        port = int(server.line())
        yield port
    finally:
        server.stop(signal.SIGTERM, timeout=5)


def test_http_get_from_a_python_ssl_server_offers_http11_by_alpn(python_tls_server, pki):
    r = wirekit("http", "get", "--ca", pki.ca, f"https://127.0.0.1:{python_tls_server}/py")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\nTLSv1.3 http/1.1 /py\n"


def test_http_get_a_body_ended_by_a_close_without_close_notify(python_tls_server, pki):
    # Servers that close the TCP connection without close_notify are common (Python's own,
    # many embedded ones); the TLS layer treats that end as the end of the stream (see
    # configure_common), so a body delimited by the close arrives whole.
    r = wirekit("http", "get", "--ca", pki.ca, f"https://127.0.0.1:{python_tls_server}/close")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "200\nTLSv1.3 http/1.1 /close\n"


def test_http_post_a_large_body_to_a_python_ssl_server(python_tls_server, pki, tmp_path):
    data = tmp_path / "upload.bin"
    data.write_bytes(LARGE)
    r = wirekit("http", "post", "--ca", pki.ca, "--data-file", data,
                f"https://127.0.0.1:{python_tls_server}/upload")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"200\n{len(LARGE)} {hashlib.sha256(LARGE).hexdigest()}\n"


def test_the_client_resumes_its_tls_session_on_the_next_connection(python_tls_server, pki,
                                                                    tmp_path):
    # Each answer closes its connection; the second and third handshakes offer the ticket
    # the server gave on the one before, and the server says whether it resumed.
    urls = [f"https://127.0.0.1:{python_tls_server}/once{i}" for i in range(3)]
    r = wirekit("fetch", "--ca", pki.ca, "-c", "1", "-o", tmp_path, *urls)
    assert r.returncode == 0, r.stderr
    assert [(tmp_path / f"once{i}").read_text() for i in range(3)] == [
        "TLSv1.3 http/1.1 /once0 reused=False",
        "TLSv1.3 http/1.1 /once1 reused=True",
        "TLSv1.3 http/1.1 /once2 reused=True"]


def test_probe_a_python_ssl_server(python_tls_server, pki):
    r, fields = probe(f"127.0.0.1:{python_tls_server}", "--ca", pki.ca)
    assert r.returncode == 0, r.stderr
    assert fields["Connected to"] == "TLSv1.3"
    assert fields["ALPN"] == "none"  # probe offers ALPN only with --http
    assert fields["Subject"] == "CN=localhost"
    assert fields["Issuer"] == "CN=wirekit tests CA,O=wirekit tests"
    assert fields["Verification"] == "ok"


def test_probe_http_against_a_python_ssl_server(python_tls_server, pki):
    # Python's server closes without close_notify after its answer: probe reads to that end.
    r, fields = probe(f"127.0.0.1:{python_tls_server}", "--ca", pki.ca, "--http")
    assert r.returncode == 0, r.stderr
    assert fields["ALPN"] == "http/1.1"
    assert "HTTP/1.1 200 OK" in r.stdout
    assert "TLSv1.3 http/1.1 /" in r.stdout


def test_fetch_several_https_urls(spawn, pki, tmp_path, python_tls_server):
    root = tmp_path / "root"
    root.mkdir()
    files = {f"f{i}.bin": random.Random(i).randbytes(1000 * i + 1) for i in range(5)}
    files["large.bin"] = LARGE
    for name, data in files.items():
        (root / name).write_bytes(data)
    _, port = start_static(spawn, root, *tls_flags(pki.localhost))
    urls = [f"https://127.0.0.1:{port}/{name}" for name in files]
    urls.append(f"https://127.0.0.1:{python_tls_server}/other")
    out = tmp_path / "out"
    r = wirekit("fetch", "--ca", pki.ca, "-c", "3", "-o", out, *urls, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip("\n").split("\n")
    assert re.match(r"^Fetched 7 URLs\b", lines[-1]), lines
    for name, data in files.items():
        assert (out / name).read_bytes() == data
        assert f"Downloaded {len(data)} bytes from https://127.0.0.1:{port}/{name}" in lines
    assert (out / "other").read_bytes() == b"TLSv1.3 http/1.1 /other"


# ---- wirekit tls probe --------------------------------------------------------------------------

def test_probe_reports_every_field_of_a_wirekit_server(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    r, fields = probe(f"127.0.0.1:{port}", "--sni", "localhost", "--ca", pki.wk.ca)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Connected to TLSv1.3\n")
    assert fields["Cipher"].startswith("TLS_")
    assert fields["ALPN"] == "none"
    assert fields["Subject"] == "CN=localhost,O=wirekit development"
    assert fields["Issuer"] == "CN=wirekit development CA,O=wirekit development"
    sans = fields["Subject alt names"].split(", ")
    assert "DNS:localhost" in sans and "IP:127.0.0.1" in sans
    cert = x509.load_pem_x509_certificate(pki.wk.cert.read_bytes())
    expected = ssl.cert_time_to_seconds(fields["Not after"])
    assert expected == int(cert.not_valid_after.replace(tzinfo=datetime.timezone.utc).timestamp())
    assert fields["SHA-256 fingerprint"] == ":".join(
        f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))
    assert fields["Verification"] == "ok"
    assert r.stderr == ""


def test_probe_http_prints_the_first_bytes_of_the_answer(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.localhost))
    r, fields = probe(f"localhost:{port}", "--ca", pki.ca, "--http")
    assert r.returncode == 0, r.stderr
    assert fields["ALPN"] == "http/1.1"
    assert fields["Subject"] == "CN=localhost"
    assert "\nHTTP/1.1 200 OK\n" in r.stdout  # run() reads text: \r\n arrives as \n
    assert r.stdout.rstrip("\n").endswith("Hello, Anonymous!")


@pytest.mark.parametrize("flag, version", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_probe_s_server(s_server, pki, flag, version):
    port = s_server(pki.localhost.cert, pki.localhost.key, flag, "-www")
    r, fields = probe(f"127.0.0.1:{port}", "--ca", pki.ca, "--http")
    assert r.returncode == 0, r.stderr
    assert fields["Connected to"] == version
    assert fields["Subject alt names"] == "DNS:localhost, IP:127.0.0.1"
    assert fields["Verification"] == "ok"
    assert "HTTP/1.0 200 ok" in r.stdout
    assert len(r.stdout.split("\n\n", 1)[1]) <= 1024 + 2  # the first 1024 bytes only


# ---- failures: the certificate ------------------------------------------------------------------

@pytest.fixture
def bad_servers(s_server, pki):
    """s_servers with an expired certificate, one for another name, and one (wirekit's) from a
    CA the client does not know."""
    return {
        "expired": s_server(pki.expired.cert, pki.expired.key, "-www"),
        "wrong name": s_server(pki.other.cert, pki.other.key, "-www"),
        "unknown CA": s_server(pki.wk.cert, pki.wk.key, "-www"),
    }


BAD_REASONS = {
    "expired": "certificate has expired",
    "wrong name": "IP address mismatch",
    "unknown CA": "unable to get local issuer certificate",
}


@pytest.mark.parametrize("case", list(BAD_REASONS))
def test_http_get_refuses_a_bad_certificate_in_one_line(bad_servers, pki, case):
    ca = [] if case == "unknown CA" else ["--ca", pki.ca]
    r = wirekit("http", "get", *ca, f"https://127.0.0.1:{bad_servers[case]}/")
    assert r.returncode == 1
    assert_one_line_error(r, "certificate verify failed", BAD_REASONS[case])
    assert r.stdout == ""


@pytest.mark.parametrize("case", list(BAD_REASONS))
def test_probe_refuses_a_bad_certificate_in_one_line(bad_servers, pki, case):
    ca = [] if case == "unknown CA" else ["--ca", pki.ca]
    r, _ = probe(f"127.0.0.1:{bad_servers[case]}", *ca)
    assert r.returncode == 1
    assert_one_line_error(r, "certificate verify failed", BAD_REASONS[case])
    assert r.stdout == ""


def test_wrong_hostname_by_sni_names_the_host(s_server, pki):
    port = s_server(pki.other.cert, pki.other.key, "-www")
    r, _ = probe(f"127.0.0.1:{port}", "--sni", "localhost", "--ca", pki.ca)
    assert_one_line_error(r, "hostname mismatch", "'localhost'")
    # The name it is valid for passes.
    r, fields = probe(f"127.0.0.1:{port}", "--sni", "other.test", "--ca", pki.ca)
    assert r.returncode == 0, r.stderr
    assert fields["Verification"] == "ok"


@pytest.mark.parametrize("case", list(BAD_REASONS))
def test_insecure_connects_and_probe_says_why_it_would_fail(bad_servers, pki, case):
    ca = [] if case == "unknown CA" else ["--ca", pki.ca]
    url = f"https://127.0.0.1:{bad_servers[case]}/"
    r = wirekit("http", "get", "--insecure", *ca, url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("200\n")
    r = wirekit("http", "get", "-k", *ca, url)
    assert r.returncode == 0, r.stderr
    r, fields = probe(f"127.0.0.1:{bad_servers[case]}", "--insecure", *ca)
    assert r.returncode == 0, r.stderr
    assert fields["Connected to"] == "TLSv1.3"
    assert BAD_REASONS[case].lower() in fields["Verification"].lower(), r.stdout


def test_insecure_probe_of_a_wrong_sni_name(s_server, pki):
    port = s_server(pki.other.cert, pki.other.key, "-www")
    r, fields = probe(f"127.0.0.1:{port}", "--sni", "localhost", "--ca", pki.ca, "--insecure")
    assert r.returncode == 0, r.stderr
    assert "hostname mismatch" in fields["Verification"]


def test_fetch_lists_a_bad_certificate_among_good_urls(spawn, pki, bad_servers):
    _, port = start_hello(spawn, *tls_flags(pki.localhost))
    good = f"https://127.0.0.1:{port}/good"
    bad = f"https://127.0.0.1:{bad_servers['expired']}/"
    r = wirekit("fetch", "--ca", pki.ca, good, bad)
    assert r.returncode == 1
    assert f"Downloaded 12 bytes from {good}" in r.stdout
    assert "certificate has expired" in r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "terminate called" not in r.stderr


# ---- failures: versions, peers that misbehave, the wrong protocol -------------------------------

def test_a_server_offering_only_tls10_is_refused(s_server, pki):
    probe_server = subprocess.run(
        ["openssl", "s_server", "-help"], capture_output=True, timeout=10)
    if b"-tls1 " not in probe_server.stdout + probe_server.stderr:
        pytest.skip("this openssl s_server has no -tls1")
    port = s_server(pki.localhost.cert, pki.localhost.key, "-tls1", "-cipher",
                    "DEFAULT:@SECLEVEL=0", "-www")
    # Make sure the server really speaks TLS 1.0 (Debian's openssl allows it at SECLEVEL=0).
    code, out = s_client(port, "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0", "-CAfile", pki.ca,
                         stdin=b"")
    if "Protocol  : TLSv1\n" not in out:
        pytest.skip(f"openssl s_server cannot be made to offer TLS 1.0 here: {out[-300:]!r}")
    r = wirekit("http", "get", "--ca", pki.ca, f"https://127.0.0.1:{port}/")
    assert r.returncode == 1
    line = assert_one_line_error(r, "protocol")
    assert "TLS 1.2" in line, line
    r, _ = probe(f"127.0.0.1:{port}", "--ca", pki.ca, "--insecure")
    assert_one_line_error(r, "protocol", "TLS 1.2")


def test_peer_closing_mid_handshake():
    received = []

    def reads_client_hello_then_closes(conn, stopping):
        received.append(conn.recv(65536))

    with RawServer(reads_client_hello_then_closes) as server:
        r = wirekit("http", "get", f"https://127.0.0.1:{server.port}/")
        r2, _ = probe(f"127.0.0.1:{server.port}")
    # What it read was a TLS ClientHello: a handshake record (22) of type 1.
    assert received and received[0][0] == 22 and received[0][5] == 1
    assert r.returncode == 1
    assert_one_line_error(r, "closed the connection during the handshake")
    assert r2.returncode == 1
    assert_one_line_error(r2, "closed the connection during the handshake")


@pytest.mark.parametrize("command", ["probe", "get", "fetch"])
def test_a_handshake_that_never_completes_times_out(tmp_path, command):
    with RawServer(never_answers) as server:
        if command == "probe":
            argv = ["tls", "probe", f"127.0.0.1:{server.port}", "--timeout", "1s"]
        elif command == "get":
            argv = ["http", "get", "--timeout", "1s", f"https://127.0.0.1:{server.port}/"]
        else:
            argv = ["fetch", "--timeout", "1s", "-o", tmp_path / "out",
                    f"https://127.0.0.1:{server.port}/x.bin"]
        start = time.monotonic()
        r = wirekit(*argv, timeout=20)
        took = time.monotonic() - start
    assert r.returncode == 1
    if command == "fetch":
        assert "timed out" in r.stdout + r.stderr
        assert not (tmp_path / "out" / "x.bin").exists()
    else:
        assert_one_line_error(r, "TLS handshake", "timed out")
    assert took < 10, took


def test_probe_http_times_out_when_the_server_never_answers(pki):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.localhost.cert, pki.localhost.key)

    def handshakes_then_stays_silent(conn, stopping):
        with context.wrap_socket(conn, server_side=True):
            stopping.wait(10)

    with RawServer(handshakes_then_stays_silent) as server:
        start = time.monotonic()
        r, _ = probe(f"127.0.0.1:{server.port}", "--ca", pki.ca, "--http", "--timeout", "1s")
        took = time.monotonic() - start
    assert_one_line_error(r, "timed out")
    assert took < 10, took


def test_plain_http_to_a_tls_port_is_told_so_like_nginx_does(spawn, pki):
    # nginx answers "400 The plain HTTP request was sent to HTTPS port"; a client that only
    # saw the connection close could not tell its user why.
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    r = wirekit("http", "get", "--fail", "--timeout", "5s", f"http://127.0.0.1:{port}/")
    assert r.returncode == 1
    assert "400 Bad Request: The plain HTTP request was sent to HTTPS port" in r.stdout
    p = curl("-i", f"http://127.0.0.1:{port}/")
    said = p.stdout.decode("latin-1")
    assert said.startswith("HTTP/1.1 400 Bad Request\r\n"), said
    assert "The plain HTTP request was sent to HTTPS port" in said
    # ... and the server goes on serving HTTPS.
    p = curl("--cacert", pki.wk.ca, *resolve("localhost", port), f"https://localhost:{port}/")
    assert p.returncode == 0 and p.stdout == b"Hello, Anonymous!", p.stderr


@pytest.mark.parametrize("plain_server", ["wirekit", "python"])
def test_tls_to_a_plain_http_port_is_a_clear_failure(spawn, tmp_path, plain_server):
    if plain_server == "wirekit":
        server = spawn([WIREKIT, "hello", "--port", "0", "--host", "127.0.0.1", "--threads", "1"])
        port = int(re.search(r":(\d+) ====", server.line())[1])
    else:
        port = free_port()
        spawn([PYTHON, "-m", "http.server", port, "--bind", "127.0.0.1", "--directory", tmp_path])
        wait_tcp(port)
    r = wirekit("http", "get", "--timeout", "5s", f"https://127.0.0.1:{port}/")
    assert_one_line_error(r, "is the peer speaking TLS on this port?")
    r, _ = probe(f"127.0.0.1:{port}", "--timeout", "5s")
    assert_one_line_error(r, "is the peer speaking TLS on this port?")


# ---- the server: handshake timeout, bad configuration -------------------------------------------

def test_a_client_stalling_its_handshake_is_dropped_while_others_are_served(spawn, pki):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    # Half a ClientHello, then silence; and a client that sends nothing at all.
    context = ssl.create_default_context(cafile=str(pki.wk.ca))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    hello = outgoing.read()
    stalled = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(2)]
    try:
        stalled[0].sendall(hello[:len(hello) // 2])
        start = time.monotonic()
        # Meanwhile others are served, over new connections each time.
        for i in range(5):
            p = curl("--cacert", pki.wk.ca, *resolve("localhost", port),
                     f"https://localhost:{port}/c{i}")
            assert p.returncode == 0 and p.stdout == f"Hello, c{i}!".encode(), p.stderr
        # The stalled ones are dropped after the server's handshake timeout (10 s by default).
        for sock in stalled:
            assert sock.recv(1024) == b""  # EOF, not a timeout of this test's 30 s
        took = time.monotonic() - start
        assert took > 2, f"dropped after {took:.1f}s: not a handshake timeout"
    finally:
        for sock in stalled:
            sock.close()


def test_sigterm_drains_tls_connections_promptly(spawn, pki):
    server, port = start_hello(spawn, *tls_flags(pki.wk))
    with connect_tls(port, pki.wk.ca) as idle, \
            socket.create_connection(("127.0.0.1", port), timeout=10) as stalled:
        assert keep_alive_get(idle, "/x") == (b"HTTP/1.1 200 OK", b"Hello, x!")
        stalled.sendall(b"\x16\x03\x01")  # the start of a ClientHello, and no more
        start = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=10) == 0
        assert time.monotonic() - start < 8  # not after the 10 s handshake timeout
        assert idle.recv(100) == b""
        try:  # closed: with a FIN, or a reset when the 3 bytes were still unread
            assert stalled.recv(100) == b""
        except ConnectionResetError:
            pass


def write_https_config(tmp_path, port, cert, key, handshake_timeout):
    """A wirekit.toml serving [http] over HTTPS; tls_key is on line 6."""
    config = tmp_path / "wirekit.toml"
    config.write_text(f"""[http]
host = "127.0.0.1"
port = {port}
access_log = "off"
tls_cert = "{cert}"
tls_key = "{key}"
tls_handshake_timeout = "{handshake_timeout}"
""")
    return config


def test_wirekit_serve_https_from_the_config_with_its_handshake_timeout(spawn, pki, tmp_path):
    port = free_port()
    config = write_https_config(tmp_path, port, pki.wk.cert, pki.wk.key, "1s")
    server = spawn([WIREKIT, "serve", "--config", config])
    assert server.line() == f"https: listening on 127.0.0.1:{port}"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as stalled:
        start = time.monotonic()
        p = curl("--cacert", pki.wk.ca, *resolve("localhost", port),
                 f"https://localhost:{port}/hello/toml")
        assert p.returncode == 0 and p.stdout == b"Hello, toml!", p.stderr
        assert stalled.recv(10) == b""  # dropped after the configured 1 s, not the default 10 s
        took = time.monotonic() - start
    assert 0.9 <= took < 8, took
    assert server.stop(signal.SIGTERM) == 0


def test_wirekit_serve_names_the_config_line_of_a_bad_tls_file(pki, tmp_path):
    missing = tmp_path / "no-key.pem"
    config = write_https_config(tmp_path, free_port(), pki.wk.cert, missing, "10s")
    r = wirekit("serve", "--config", config)
    assert r.returncode == 2
    assert_one_line_error(r, f"{config}:6", str(missing))


@pytest.mark.parametrize("command", ["hello", "serve"])
def test_a_missing_certificate_file_is_named(pki, tmp_path, command):
    missing = tmp_path / "nope" / "cert.pem"
    r = wirekit(*server_argv(command, tmp_path), "--tls-cert", missing, "--tls-key", pki.wk.key)
    assert r.returncode == 2
    assert_one_line_error(r, str(missing))


def server_argv(command, root):
    if command == "hello":
        return ["hello", "--port", "0", "--host", "127.0.0.1"]
    return ["http", "serve", root, "--port", "0", "--bind", "127.0.0.1"]


@pytest.mark.parametrize("command", ["hello", "serve"])
def test_a_key_not_matching_its_certificate_is_named(pki, tmp_path, command):
    r = wirekit(*server_argv(command, tmp_path), "--tls-cert", pki.wk.cert, "--tls-key",
                pki.localhost.key)
    assert r.returncode == 2
    line = assert_one_line_error(r, str(pki.localhost.key))
    assert "match" in line, line


def test_a_file_that_is_not_pem_is_named(pki, tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("this is not a certificate\n")
    r = wirekit(*server_argv("hello", tmp_path), "--tls-cert", junk, "--tls-key", pki.wk.key)
    assert r.returncode == 2
    assert_one_line_error(r, str(junk))
    r = wirekit(*server_argv("hello", tmp_path), "--tls-cert", pki.wk.cert, "--tls-key", junk)
    assert r.returncode == 2
    assert_one_line_error(r, str(junk))


@pytest.mark.parametrize("command", ["hello", "serve"])
def test_a_missing_tls_key_is_bad_usage(pki, tmp_path, command):
    r = wirekit(*server_argv(command, tmp_path), "--tls-cert", pki.wk.cert)
    assert r.returncode == 2
    assert_one_line_error(r, "--tls-key")


def test_client_tls_files_that_cannot_be_used_are_named(spawn, pki, tmp_path):
    _, port = start_hello(spawn, *tls_flags(pki.wk))
    url = f"https://127.0.0.1:{port}/"
    missing = tmp_path / "missing-ca.pem"
    for command in (["http", "get"], ["tls", "probe", f"127.0.0.1:{port}"]):
        r = wirekit(*command, "--ca", missing, *([url] if command[0] == "http" else []))
        assert r.returncode == 2
        assert_one_line_error(r, str(missing))
    r = wirekit("http", "get", "--ca", pki.wk.ca, "--cert", pki.client.cert, "--key",
                pki.localhost.key, url)
    assert r.returncode == 2
    assert_one_line_error(r, str(pki.localhost.key))
    r = wirekit("http", "get", "--cert", pki.client.cert, url)
    assert r.returncode == 2
    assert_one_line_error(r, "--key")


# ---- SIGHUP reload ------------------------------------------------------------------------------

def peer_common_name(tls_socket):
    return dict(x[0] for x in tls_socket.getpeercert()["subject"])["commonName"]


class AnswerReader:
    """Reads HTTP/1.1 answers framed by Content-Length, one after the other, from a socket."""

    def __init__(self, sock):
        self.sock, self.buffer = sock, b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        assert chunk, "the connection was closed"
        self.buffer += chunk

    def next(self):
        """Returns (status line, body) of the next answer."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)[1])
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return head.split(b"\r\n")[0], body


def keep_alive_get(tls_socket, path):
    """Sends GET `path` on a kept-alive connection; returns (status line, body)."""
    tls_socket.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    return AnswerReader(tls_socket).next()


def connect_tls(port, ca, context=None):
    context = context or ssl.create_default_context(cafile=str(ca))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return context.wrap_socket(raw, server_hostname="localhost")


def test_sighup_reloads_certificates_without_dropping_connections(spawn, pki, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    shutil.copyfile(pki.localhost.cert, cert)
    shutil.copyfile(pki.localhost.key, key)
    server, port = start_hello(spawn, "--tls-cert", cert, "--tls-key", key)
    old = connect_tls(port, pki.ca)
    try:
        assert peer_common_name(old) == "localhost"
        assert keep_alive_get(old, "/before") == (b"HTTP/1.1 200 OK", b"Hello, before!")

        # Renewed files, each replaced whole, then SIGHUP to the server we started.
        for source, target in ((pki.reloaded.cert, cert), (pki.reloaded.key, key)):
            shutil.copyfile(source, target.with_suffix(".new"))
            os.replace(target.with_suffix(".new"), target)
        server.proc.send_signal(signal.SIGHUP)

        deadline = time.monotonic() + 10
        while True:
            with connect_tls(port, pki.ca) as fresh:
                name = peer_common_name(fresh)
                if name == "reloaded.test":
                    assert keep_alive_get(fresh, "/after") == (b"HTTP/1.1 200 OK",
                                                               b"Hello, after!")
                    break
            assert time.monotonic() < deadline, "new connections still get the old certificate"
            time.sleep(0.1)

        # The connection opened before the reload goes on, with its certificate.
        assert keep_alive_get(old, "/still") == (b"HTTP/1.1 200 OK", b"Hello, still!")
        assert peer_common_name(old) == "localhost"
        assert server.proc.poll() is None
    finally:
        old.close()


def watch_stderr(server):
    """Collects the server's stderr lines as they come (its log) into a queue."""
    lines = queue.Queue()

    def pump():
        for line in server.proc.stderr:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for_line(lines, needle, timeout=10.0):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"no {needle!r} on stderr within {timeout}s: {seen}")


def test_a_failed_reload_keeps_the_certificates_in_use(spawn, pki, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    shutil.copyfile(pki.localhost.cert, cert)
    shutil.copyfile(pki.localhost.key, key)
    server, port = start_hello(spawn, "--tls-cert", cert, "--tls-key", key)
    log = watch_stderr(server)
    # A renewal gone wrong: the new certificate with the old key.
    shutil.copyfile(pki.reloaded.cert, cert)
    server.proc.send_signal(signal.SIGHUP)
    line = wait_for_line(log, "reload failed")
    assert str(key) in line and "match" in line, line
    for _ in range(3):
        with connect_tls(port, pki.ca) as tls:
            assert peer_common_name(tls) == "localhost"
            assert keep_alive_get(tls, "/x") == (b"HTTP/1.1 200 OK", b"Hello, x!")
    # Once the key is there too, the next SIGHUP takes both.
    shutil.copyfile(pki.reloaded.key, key)
    server.proc.send_signal(signal.SIGHUP)
    wait_for_line(log, "SIGHUP: reloaded")
    with connect_tls(port, pki.ca) as tls:
        assert peer_common_name(tls) == "reloaded.test"
    assert server.stop(signal.SIGTERM) == 0
