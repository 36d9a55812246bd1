"""The examples that need no peer: they run and print what docs/ says they print."""
import json
from pathlib import Path

import pytest

from conftest import EXAMPLES, PYTHON, WIREKIT, Process, free_port, run, tutorial, wait_tcp


def test_runtime_tour():
    result = run([EXAMPLES / "runtime_tour"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "when_all: 1 + 2 = 3 (2 running at once)",
        "when_any: alternative 1 won with 7",
        "with_timeout: slow value: timed out after 20ms",
        "task group: 3 workers done",
        "blocking: ran on another thread: yes",
    ]


def test_the_five_line_server_of_the_readme_serves_until_sigterm(spawn):
    import signal

    import requests

    port = free_port()
    server = spawn([EXAMPLES / "hello_server", f"127.0.0.1:{port}"])
    wait_tcp(port)
    assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).text == "Hello, World!"
    assert requests.get(f"http://127.0.0.1:{port}/wirekit", timeout=5).text == "Hello, wirekit!"
    assert server.stop(signal.SIGTERM) == 0  # a graceful shutdown, not death by signal


def test_secure_message_round_trips_a_fernet_token():
    result = run([EXAMPLES / "secure_message"])
    assert result.returncode == 0, result.stderr
    original, encrypted, decrypted = result.stdout.splitlines()
    assert original == "Original: Hello, secure world!"
    assert decrypted == "Decrypted: Hello, secure world!"
    token = encrypted.removeprefix("Encrypted: ")
    # 0x80, timestamp, IV, one 32-byte ciphertext, HMAC: 89 bytes, 120 base64 characters.
    assert token.startswith("gAAAAA") and len(token) == 120


def test_jwt_auth_token_is_read_by_pyjwt_and_failures_are_named():
    import jwt  # PyJWT, Debian's python3-jwt

    result = run([EXAMPLES / "jwt_auth"])
    assert result.returncode == 0, result.stderr
    generated, verified = result.stdout.splitlines()
    token = generated.removeprefix("Generated token: ")
    assert jwt.decode(token, "your-secret-key", algorithms=["HS256"])["username"] == "user123"
    assert verified == "Verified username: user123"

    expired = jwt.encode({"username": "user123", "exp": 1000000000}, "your-secret-key")
    assert run([EXAMPLES / "jwt_auth", expired]).stdout.splitlines()[1] == \
        "Verified username: Token expired"
    forged = jwt.encode({"username": "admin"}, "another-secret")
    assert run([EXAMPLES / "jwt_auth", forged]).stdout.splitlines()[1] == \
        "Verified username: Invalid token"


@pytest.fixture
def client_examples_app():
    port = free_port()
    proc = Process([PYTHON, Path(__file__).parent / "client_examples_app.py", port])
    try:
        wait_tcp(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()


def test_http_requests_gets_posts_and_posts_gzip(client_examples_app):
    result = run([EXAMPLES / "http_requests", client_examples_app])
    assert result.returncode == 0, result.stderr
    status, events, posted, compressed_status = result.stdout.splitlines()
    assert status == "200"
    assert json.loads(events) == [{"id": "1", "type": "PushEvent"}]
    assert json.loads(posted) == {"form": {"key": "value"}}
    assert compressed_status == "201"  # aiohttp decoded the gzip body and found the text


def test_async_fetch_shows_a_page_and_fetches_300_urls_on_20_connections(client_examples_app):
    page = run([EXAMPLES / "async_fetch", client_examples_app + "/page"])
    assert page.returncode == 0, page.stderr
    assert page.stdout == "<html>cached page</html>\n"
    urls = [client_examples_app + p for p in ("/page", "/events", "/page")]
    many = run([EXAMPLES / "async_fetch", *urls], timeout=60)
    assert many.returncode == 0, many.stderr
    assert many.stdout == "Fetched 300 URLs\n"


def test_cached_fetch_answers_the_second_time_from_the_cache(client_examples_app):
    result = run([EXAMPLES / "cached_fetch", client_examples_app + "/page"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "<html>cached page</html> (24 bytes)",
        "<html>cached page</html> (24 bytes, from the cache)",
    ]



def test_ssl_client_prints_what_the_tutorials_program_prints(spawn, tmp_path):
    # §7.1 against an HTTPS server on loopback (the tutorial's www.python.org is out of reach);
    # the Python program is the tutorial's with the host, port and CA as arguments.
    assert run([WIREKIT, "tls", "selfsigned", "-o", tmp_path]).returncode == 0
    port = free_port()
    spawn([WIREKIT, "hello", "--host", "127.0.0.1", "--port", port, "--threads", "1",
           "--tls-cert", tmp_path / "cert.pem", "--tls-key", tmp_path / "key.pem"])
    wait_tcp(port)
    args = ["localhost", str(port), tmp_path / "ca.pem"]
    ours = run([EXAMPLES / "ssl_client", *args])
    theirs = run([*tutorial("ssl_client_7_1.py"), *args])
    assert ours.returncode == 0 and theirs.returncode == 0, ours.stderr + theirs.stderr
    without_date = lambda text: [l for l in text.replace("\\r\\n", "\n").splitlines()
                                 if not l.startswith("Date: ")]
    assert ours.stdout.startswith("Connected to TLSv1.3\nb'HTTP/1.1 200 OK\\r\\n")
    assert without_date(ours.stdout) == without_date(theirs.stdout)
    # Verification is on by default: without the CA the handshake is refused, with the reason.
    untrusted = run([EXAMPLES / "ssl_client", "localhost", str(port)])
    assert untrusted.returncode == 1
    assert untrusted.stderr.strip().endswith(
        "certificate verify failed: unable to get local issuer certificate")
