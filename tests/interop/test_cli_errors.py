"""Bad input gets one line on stderr naming the cause and a non-zero exit, never a trace."""
import socket

from conftest import WIREKIT, free_port, run


def one_line_error(argv, code):
    result = run([WIREKIT] + argv)
    assert result.returncode == code, (argv, result.returncode, result.stderr)
    assert result.stderr.startswith("wirekit: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


def test_bad_port():
    assert one_line_error(["tcp", "connect", "localhost:99999"], 2) == \
        "wirekit: invalid address 'localhost:99999': port must be a number from 0 to 65535"
    assert "--port" in one_line_error(["echo", "--port", "abc"], 2)


def test_missing_port_and_bad_brackets():
    assert "missing port" in one_line_error(["tcp", "connect", "localhost"], 2)
    assert "brackets" in one_line_error(["tcp", "connect", "::1:80"], 2)


def test_unresolvable_host():
    message = one_line_error(["tcp", "connect", "no-such-host.invalid:80", "--timeout", "3s"], 1)
    assert message.startswith("wirekit: resolve no-such-host.invalid: "), message


def test_connection_refused():
    port = free_port()
    assert one_line_error(["tcp", "connect", f"127.0.0.1:{port}"], 1) == \
        f"wirekit: connect to 127.0.0.1:{port}: Connection refused"


def test_port_in_use():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert one_line_error(["echo", "--host", "127.0.0.1", "--port", str(port)], 1) == \
            f"wirekit: listen on 127.0.0.1:{port}: Address already in use"
        assert one_line_error(["tcp", "serve", "--host", "127.0.0.1", "--port", str(port)], 1) == \
            f"wirekit: listen on 127.0.0.1:{port}: Address already in use"


def test_connect_timeout():
    # A listener whose backlog is full leaves further SYNs unanswered.
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        fillers = []
        try:
            for _ in range(8):
                f = socket.socket()
                f.setblocking(False)
                f.connect_ex(("127.0.0.1", port))
                fillers.append(f)
            result = run([WIREKIT, "tcp", "connect", f"127.0.0.1:{port}", "--timeout", "300ms"])
        finally:
            for f in fillers:
                f.close()
    assert result.returncode == 1
    assert result.stderr == f"wirekit: connect to 127.0.0.1:{port}: timed out after 300ms\n"


def test_bad_duration_and_network():
    assert one_line_error(["udp", "send", "127.0.0.1:9", "x", "--timeout", "soon"], 2) == \
        "wirekit: invalid duration 'soon' (expected e.g. 500ms, 2s, 1.5m, 1h)"
    assert one_line_error(["echo", "--deny", "10.0.0.0/99"], 2) == \
        "wirekit: invalid network '10.0.0.0/99': prefix length must be 0 to 32"


def test_unknown_command_and_help():
    assert "wirekit: " in one_line_error(["frobnicate"], 2)
    result = run([WIREKIT, "tcp", "serve", "--help"])
    assert result.returncode == 0
    assert "--block-after" in result.stdout
    assert run([WIREKIT, "--version"]).stdout.startswith("wirekit ")
