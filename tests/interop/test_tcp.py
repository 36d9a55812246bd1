"""Tutorial §3.1 and §7.2: the Python TCP client and server against wirekit's."""
import re

from conftest import WIREKIT, EXAMPLES, free_port, run, tutorial, wait_tcp

CONNECTION_LINE = re.compile(r"^Connection from \('127\.0\.0\.1', \d+\) has been (established|blocked)!$")


def test_python_client_gets_the_welcome_from_wirekit_tcp_serve(spawn):
    server = spawn([WIREKIT, "tcp", "serve", "--port", "0"])
    port = int(server.line().rsplit(" ", 1)[1])
    result = run(tutorial("tcp_client.py") + [port])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Welcome to the server!\n"
    line = server.line()
    assert CONNECTION_LINE.match(line), line
    assert line.endswith("has been established!")


def test_wirekit_tcp_connect_prints_the_python_servers_welcome(spawn):
    port = free_port()
    server = spawn(tutorial("tcp_server.py") + [port])
    assert server.line() == "Server is listening on port 12345"
    result = run([WIREKIT, "tcp", "connect", f"localhost:{port}"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Welcome to the server!\n"
    # wirekit logs connections in the very format of the Python server.
    assert CONNECTION_LINE.match(server.line())


def test_custom_message(spawn):
    server = spawn([WIREKIT, "tcp", "serve", "--port", "0", "--message", "hi there"])
    port = int(server.line().rsplit(" ", 1)[1])
    assert run(tutorial("tcp_client.py") + [port]).stdout == "hi there\n"


def test_block_after_matches_the_tutorials_ip_blocker(spawn):
    """The same six connections against the tutorial's §7.2 server and `--block-after 5`."""
    python_port = free_port()
    python_server = spawn(tutorial("ip_blocker_server.py") + [python_port])
    python_server.line()
    wirekit_server = spawn([WIREKIT, "tcp", "serve", "--port", "0", "--block-after", "5"])
    wirekit_port = int(wirekit_server.line().rsplit(" ", 1)[1])
    for port, server in ((python_port, python_server), (wirekit_port, wirekit_server)):
        replies = [run(tutorial("tcp_client.py") + [port]).stdout for _ in range(7)]
        assert replies == ["Welcome to the server!\n"] * 5 + \
            ["You have been blocked due to too many attempts.\n"] * 2
        verdicts = [server.line().rsplit(" ", 1)[1] for _ in range(7)]
        assert verdicts == ["established!"] * 5 + ["blocked!"] * 2


def test_block_window_lets_the_client_back_in(spawn):
    server = spawn([WIREKIT, "tcp", "serve", "--port", "0", "--block-after", "1",
                    "--block-window", "800ms"])
    port = int(server.line().rsplit(" ", 1)[1])
    first = run(tutorial("tcp_client.py") + [port]).stdout
    second = run(tutorial("tcp_client.py") + [port]).stdout
    import time
    time.sleep(1.0)  # the window (plus one of its eight slots) has passed
    third = run(tutorial("tcp_client.py") + [port]).stdout
    assert (first, second, third) == ("Welcome to the server!\n",
                                      "You have been blocked due to too many attempts.\n",
                                      "Welcome to the server!\n")


def test_example_programs_talk_to_the_tutorials(spawn):
    port = free_port()
    server = spawn([EXAMPLES / "tcp_server", port])
    assert server.line() == f"Server is listening on port {port}"
    assert run(tutorial("tcp_client.py") + [port]).stdout == "Welcome to the server!\n"
    assert CONNECTION_LINE.match(server.line())

    port = free_port()
    python_server = spawn(tutorial("tcp_server.py") + [port])
    python_server.line()
    result = run([EXAMPLES / "tcp_client", port])
    assert result.stdout == "Welcome to the server!\n", result.stderr


def test_example_ip_blocker(spawn):
    port = free_port()
    server = spawn([EXAMPLES / "ip_blocker_server", port])
    server.line()
    replies = [run(tutorial("tcp_client.py") + [port]).stdout for _ in range(6)]
    assert replies[-1] == "You have been blocked due to too many attempts.\n"
    assert replies[:5] == ["Welcome to the server!\n"] * 5


def test_sigint_stops_the_server_gracefully(spawn):
    import signal
    server = spawn([WIREKIT, "tcp", "serve", "--port", "0"])
    port = int(server.line().rsplit(" ", 1)[1])
    wait_tcp(port)
    assert server.stop(signal.SIGINT) == 0
    assert "shutting down gracefully" in server.stderr_text
