"""Tutorial §8.1: Twisted's echo server and wirekit's, each against the other's client side."""
import socket
import threading

from conftest import (EXAMPLES, MEMORY_FACTOR, PYTHON, TUTORIAL, WIREKIT, free_port, rss_bytes,
                      run, wait_tcp)


def echo_of(s, message):
    """Sends `message` on the socket and reads as many bytes back."""
    s.sendall(message)
    got = b""
    while len(got) < len(message):
        chunk = s.recv(65536)
        assert chunk, "server closed early"
        got += chunk
    return got


def echo_round_trips(port, messages):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        return [echo_of(s, m) for m in messages]


def test_wirekit_echo_answers_a_python_client(spawn):
    server = spawn([WIREKIT, "echo", "--port", "0", "--host", "127.0.0.1", "--threads", "2"])
    port = int(server.line().rsplit(":", 1)[1])
    messages = [b"x", b"hello echo", bytes(range(256)) * 400]
    assert echo_round_trips(port, messages) == messages


def test_many_concurrent_clients(spawn):
    server = spawn([WIREKIT, "echo", "--port", "0", "--host", "127.0.0.1"])
    port = int(server.line().rsplit(":", 1)[1])
    failures = []

    def client(i):
        try:
            msgs = [f"client {i} message {j}".encode() for j in range(20)]
            if echo_round_trips(port, msgs) != msgs:
                failures.append(i)
        except Exception as e:  # noqa: BLE001 - any failure is a test failure
            failures.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []


def test_wirekit_client_against_twisted_echo(spawn):
    port = free_port()
    spawn([PYTHON, "-u", TUTORIAL / "echo_twisted.py", port])
    wait_tcp(port)
    # Twisted drops a connection as soon as the peer half-closes, so wait for silence instead.
    result = run([WIREKIT, "tcp", "connect", f"127.0.0.1:{port}", "--send", "through twisted",
                  "--idle", "500ms"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "through twisted\n"


def test_example_protocol_echo(spawn):
    port = free_port()
    server = spawn([EXAMPLES / "echo_server", port])
    assert server.line() == f"Echo server is listening on port {port}"
    messages = [b"protocol", b"factory" * 10000]
    assert echo_round_trips(port, messages) == messages


def test_block_after_closes_blocked_echo_clients(spawn):
    server = spawn([WIREKIT, "echo", "--port", "0", "--host", "127.0.0.1", "--block-after", "2"])
    port = int(server.line().rsplit(":", 1)[1])
    assert echo_round_trips(port, [b"a"]) == [b"a"]
    assert echo_round_trips(port, [b"b"]) == [b"b"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        assert s.recv(10) == b""  # the third is closed at once


def test_half_close_gets_the_whole_echo_from_wirekit(spawn):
    server = spawn([WIREKIT, "echo", "--port", "0", "--host", "127.0.0.1"])
    port = int(server.line().rsplit(":", 1)[1])
    result = run([WIREKIT, "tcp", "connect", f"127.0.0.1:{port}", "--send", "all of it",
                  "--half-close"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "all of it\n"


def test_a_connection_that_carried_64k_holds_no_buffer_once_idle(spawn):
    # Issue 12 item 10: each connection kept a 64 KiB buffer resident after carrying 64 KiB.
    server = spawn([WIREKIT, "echo", "--port", "0", "--host", "127.0.0.1", "--threads", "1"])
    port = int(server.line().rsplit(":", 1)[1])
    payload = bytes(range(256)) * 256  # 64 KiB
    count = 300
    warm = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
    for s in warm:
        s.sendall(payload[:100])
        s.recv(100)
    before = rss_bytes(server.proc.pid)
    conns = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            conns.append(s)
            assert echo_of(s, payload) == payload
        per_connection = (rss_bytes(server.proc.pid) - before) / count
        print(f"{per_connection:.0f} bytes of RSS per idle echo connection after 64 KiB each")
        assert per_connection < 16 * 1024 * MEMORY_FACTOR, per_connection
    finally:
        for s in conns + warm:
            s.close()
