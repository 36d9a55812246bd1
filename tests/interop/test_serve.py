"""`wirekit serve`: the integrated server from wirekit.toml (what `make run` starts)."""
import json
import signal
import socket
import subprocess
import textwrap

from conftest import WIREKIT, free_port, require_program, run, tutorial, wait_tcp


def write_config(tmp_path, text):
    path = tmp_path / "wirekit.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_serves_every_configured_service(spawn, tmp_path):
    echo, welcome, udp = free_port(), free_port(), free_port(socket.SOCK_DGRAM)
    config = write_config(tmp_path, f"""
        [server]
        threads = 2
        [echo]
        host = "127.0.0.1"
        port = {echo}
        [welcome]
        host = "127.0.0.1"
        port = {welcome}
        message = "Hello from serve"
        [udp]
        host = "127.0.0.1"
        port = {udp}
        """)
    server = spawn([WIREKIT, "serve", "--config", config])
    assert server.line() == f"echo: listening on 127.0.0.1:{echo}"
    assert server.line() == f"welcome: listening on 127.0.0.1:{welcome}"
    assert server.line() == f"udp: listening on 127.0.0.1:{udp}"
    with socket.create_connection(("127.0.0.1", echo), timeout=5) as s:
        s.sendall(b"ping")
        assert s.recv(10) == b"ping"
    assert run(tutorial("tcp_client.py") + [welcome]).stdout == "Hello from serve\n"
    assert run(tutorial("udp_client.py") + [udp]).stdout == "Response from server: Message received\n"
    assert server.stop(signal.SIGTERM) == 0


def test_missing_section_turns_the_service_off(spawn, tmp_path):
    echo = free_port()
    config = write_config(tmp_path, f"""
        [echo]
        host = "127.0.0.1"
        port = {echo}
        """)
    server = spawn([WIREKIT, "serve", "-c", config])
    assert server.line() == f"echo: listening on 127.0.0.1:{echo}"
    wait_tcp(echo)
    assert server.stop(signal.SIGINT) == 0


def test_graceful_shutdown_waits_for_open_connections_up_to_the_grace(spawn, tmp_path):
    echo = free_port()
    config = write_config(tmp_path, f"""
        [server]
        shutdown_grace = "300ms"
        [echo]
        host = "127.0.0.1"
        port = {echo}
        """)
    server = spawn([WIREKIT, "serve", "-c", config])
    server.line()
    with socket.create_connection(("127.0.0.1", echo), timeout=5) as s:
        s.sendall(b"x")
        assert s.recv(1) == b"x"
        server.proc.send_signal(signal.SIGTERM)
        s.settimeout(5)
        assert s.recv(1) == b""  # closed by the server once the grace ran out
    assert server.wait() == 0
    assert "cancelling 1 connections still open after 300ms" in server.stderr_text


def test_config_errors_name_file_line_and_key(tmp_path):
    cases = {
        "[echo]\nprot = 1\n": "wirekit.toml:2: unknown key 'prot' in [echo]",
        "[echo]\nport = 70000\n": "wirekit.toml:2: [echo] port must be a whole number from 0 to 65535",
        "[server]\nshutdown_grace = \"soon\"\n":
            "wirekit.toml:2: [server] shutdown_grace: invalid duration 'soon' (expected e.g. 500ms, 10s, 1m)",
        "[ech0]\n": "wirekit.toml:1: unknown section [ech0] (expected server, echo, welcome, udp, http, chat)",
        "[welcome]\ndeny = [\"10.0.0.0/40\"]\n":
            "[welcome] invalid network '10.0.0.0/40': prefix length must be 0 to 32",
    }
    for text, message in cases.items():
        config = write_config(tmp_path, text)
        result = run([WIREKIT, "serve", "-c", config])
        assert result.returncode == 2, (text, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert message in result.stderr, (text, result.stderr)


def test_port_in_use_fails_before_serving(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = write_config(tmp_path, f"[echo]\nhost = \"127.0.0.1\"\nport = {port}\n")
        result = run([WIREKIT, "serve", "-c", config])
    assert result.returncode == 1
    assert result.stderr == f"wirekit: listen on 127.0.0.1:{port}: Address already in use\n"
    assert result.stdout == ""


def curl_body(url, *args):
    p = subprocess.run([require_program("curl", "curl"), "-sS", "--max-time", "10", *args, url],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_two_http_sections_serve_http_and_https_and_the_page_at_root_lists_every_service(
        spawn, tmp_path):
    pki = tmp_path / "pki"
    made = run([WIREKIT, "tls", "selfsigned", "--cn", "localhost", "-o", pki])
    assert made.returncode == 0, made.stderr
    echo, plain, secure = free_port(), free_port(), free_port()
    config = write_config(tmp_path, f"""
        [echo]
        host = "127.0.0.1"
        port = {echo}
        [[http]]
        host = "127.0.0.1"
        port = {plain}
        [[http]]
        host = "127.0.0.1"
        port = {secure}
        tls_cert = "{pki / 'cert.pem'}"
        tls_key = "{pki / 'key.pem'}"
        """)
    server = spawn([WIREKIT, "serve", "-c", config])
    assert [server.line() for _ in range(3)] == [
        f"echo: listening on 127.0.0.1:{echo}",
        f"http: listening on 127.0.0.1:{plain}",
        f"https: listening on 127.0.0.1:{secure}",
    ]
    assert curl_body(f"http://127.0.0.1:{plain}/hello/plain") == "Hello, plain!"
    assert curl_body(f"https://127.0.0.1:{secure}/hello/secure",
                     "--cacert", str(pki / "ca.pem")) == "Hello, secure!"
    # Both HTTP services show the same list, made from what is running.
    expected = {"services": [
        {"name": "echo", "listening": [{"transport": "tcp", "address": f"127.0.0.1:{echo}"}]},
        {"name": "http", "listening": [{"transport": "tcp", "address": f"127.0.0.1:{plain}"}]},
        {"name": "https", "listening": [{"transport": "tcp", "address": f"127.0.0.1:{secure}"}]},
    ]}
    assert json.loads(curl_body(f"http://127.0.0.1:{plain}/services.json")) == expected
    assert json.loads(curl_body(f"https://127.0.0.1:{secure}/services.json",
                                "--cacert", str(pki / "ca.pem"))) == expected
    page = curl_body(f"http://127.0.0.1:{plain}/")
    assert f'<a href="https://127.0.0.1:{secure}/">' in page
    assert f"tcp 127.0.0.1:{echo}" in page
    assert server.stop(signal.SIGTERM) == 0


def test_serve_help_names_every_kind_of_service():
    result = run([WIREKIT, "serve", "--help"])
    assert result.returncode == 0, result.stderr
    for kind in ("echo", "welcome", "udp", "http", "chat"):
        assert f"\n  {kind} " in result.stdout, result.stdout
