"""Tutorial §3.2: the Python UDP client and server against wirekit's."""
import re
import socket

from conftest import WIREKIT, EXAMPLES, free_port, run, tutorial

MESSAGE_LINE = re.compile(r"^Message from \('127\.0\.0\.1', \d+\): Hello, UDP Server!$")


def test_python_client_against_wirekit_udp_serve(spawn):
    server = spawn([WIREKIT, "udp", "serve", "--port", "0"])
    port = int(server.line().rsplit(" ", 1)[1])
    result = run(tutorial("udp_client.py") + [port])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Response from server: Message received\n"
    assert MESSAGE_LINE.match(server.line())


def test_wirekit_udp_send_against_the_python_server(spawn):
    port = free_port(socket.SOCK_DGRAM)
    server = spawn(tutorial("udp_server.py") + [port])
    assert server.line() == "UDP server is listening on port 12345"
    result = run([WIREKIT, "udp", "send", f"localhost:{port}", "Hello, UDP Server!"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Response from server: Message received\n"
    assert MESSAGE_LINE.match(server.line())


def test_control_bytes_are_escaped_in_the_log(spawn):
    server = spawn([WIREKIT, "udp", "serve", "--port", "0"])
    port = int(server.line().rsplit(" ", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(b"bell\x07 and \x1b[2J", ("127.0.0.1", port))
        assert s.recvfrom(100)[0] == b"Message received"
    assert server.line().endswith(": bell\\x07 and \\x1b[2J")


def test_no_answer_is_a_timeout_error():
    port = free_port(socket.SOCK_DGRAM)
    result = run([WIREKIT, "udp", "send", f"127.0.0.1:{port}", "anyone?", "--timeout", "300ms"])
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"wirekit: no response from 127.0.0.1:{port} within 300ms\n"


def test_example_programs(spawn):
    port = free_port(socket.SOCK_DGRAM)
    server = spawn([EXAMPLES / "udp_server", port])
    assert server.line() == f"UDP server is listening on port {port}"
    assert run(tutorial("udp_client.py") + [port]).stdout == \
        "Response from server: Message received\n"
    assert MESSAGE_LINE.match(server.line())

    port = free_port(socket.SOCK_DGRAM)
    python_server = spawn(tutorial("udp_server.py") + [port])
    python_server.line()
    result = run([EXAMPLES / "udp_client", port])
    assert result.stdout == "Response from server: Message received\n", result.stderr


def test_block_after_drops_a_flooding_senders_datagrams(spawn):
    server = spawn([WIREKIT, "udp", "serve", "--port", "0", "--host", "127.0.0.1",
                    "--block-after", "3"])
    port = int(server.line().rsplit(" ", 1)[1])
    answered = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        for i in range(5):
            s.sendto(f"datagram {i}".encode(), ("127.0.0.1", port))
            try:
                answered += s.recvfrom(100)[0] == b"Message received"
            except socket.timeout:
                pass
    assert answered == 3
    assert [server.line().rsplit(": ", 1)[1] for _ in range(3)] == \
        ["datagram 0", "datagram 1", "datagram 2"]
