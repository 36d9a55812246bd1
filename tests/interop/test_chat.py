"""Tutorial §10: the WebSocket chat. wirekit's server against Python websockets 10.4 clients
and the tutorial's §10.2 client; wsproto as a strict peer."""
import asyncio
import json
import os
import re
import socket
import subprocess

import pytest

from conftest import (EXAMPLES, PYTHON, TUTORIAL, WIREKIT, free_port, require_module, tutorial,
                      wait_tcp)

LISTENING = re.compile(r"^Chat server is listening on .*:(\d+)$")
# What the tutorial's chat sends: non-ASCII, an astral character, quotes and escapes.
TEXT = 'h\u00e9llo \u5f20\u4e09 \U0001F600 "q" \\ tab\t'


def start_chat(spawn, *flags):
    server = spawn([WIREKIT, "chat", "serve", "--host", "127.0.0.1", "--port", "0",
                    "--threads", "2", *flags])
    match = LISTENING.match(server.line())
    assert match
    return server, int(match.group(1))


def expected(user, message):
    return json.dumps({"type": "message", "user": user, "message": message})


async def python_clients(server, port, count, compression):
    """`count` clients each send one message once all are in the room (a client joins when its
    handler runs, after the 101: the server's log line says so); returns what each received."""
    websockets = require_module("websockets", "python3-websockets")
    extra = {} if compression else {"compression": None}
    clients = [await websockets.connect(f"ws://127.0.0.1:{port}/", **extra)
               for _ in range(count)]
    try:
        # Clients on different loops join concurrently: their lines may come in either order.
        joined = [server.line() for _ in range(count)]
        totals = [int(line.rpartition(" ")[2]) for line in joined
                  if line.startswith("New client connected. Total clients: ")]
        assert len(totals) == count and max(totals) == count, joined
        for i, client in enumerate(clients):
            await client.send(json.dumps({"user": f"user{i}", "message": TEXT}))
        received = [[await asyncio.wait_for(c.recv(), 5) for _ in range(count)]
                    for c in clients]
        negotiated = [c.response_headers.get("Sec-WebSocket-Extensions") for c in clients]
    finally:
        for client in clients:
            await client.close()
    return received, negotiated


@pytest.mark.parametrize("compression", [True, False])
def test_every_python_client_receives_every_message_as_json_dumps_writes_it(spawn, compression):
    server, port = start_chat(spawn)
    received, negotiated = asyncio.run(python_clients(server, port, 3, compression))
    want = sorted(expected(f"user{i}", TEXT) for i in range(3))
    for messages in received:
        assert sorted(messages) == want  # byte for byte, the sender's own included
    for header in negotiated:
        assert (header is not None and header.startswith("permessage-deflate")) == compression
    lines = [server.line() for _ in range(3)]
    assert sorted(lines) == sorted(f"Client disconnected. Total clients: {n}" for n in (0, 1, 2))


def test_a_message_that_is_not_chat_json_is_dropped_and_the_connection_stays(spawn):
    websockets = require_module("websockets", "python3-websockets")
    server, port = start_chat(spawn)

    async def talk():
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            await client.send("not json")
            await client.send(json.dumps({"user": "ann"}))
            await client.send(json.dumps({"user": "ann", "message": "still here"}))
            return await asyncio.wait_for(client.recv(), 5)

    assert asyncio.run(talk()) == expected("ann", "still here")
    assert server.line() == "New client connected. Total clients: 1"
    assert server.line().startswith("Dropped a message from ('127.0.0.1', ")
    assert server.line().startswith("Dropped a message from ('127.0.0.1', ")


def test_the_tutorials_client_chats_through_wirekits_server(spawn):
    require_module("websockets", "python3-websockets")
    server, port = start_chat(spawn)
    env = dict(os.environ, PYTHONPATH=str(TUTORIAL / "shim"))
    # It connects to localhost: asyncio tries each address, ::1 refused, then 127.0.0.1.
    client = spawn([PYTHON, "-u", TUTORIAL / "chat_client_10_2.py", str(port)], env=env,
                   stdin=subprocess.PIPE)

    def type_line(text):
        client.proc.stdin.write(text + "\n")
        client.proc.stdin.flush()

    type_line("ann")
    assert client.line() == "Enter your username: Connected to chat server as ann"
    type_line("hello from the tutorial")
    assert client.line() == ""
    assert client.line() == "ann: hello from the tutorial"
    assert server.line() == "New client connected. Total clients: 1"


def test_wirekits_server_passes_wsprotos_strict_checks(spawn):
    wsproto = require_module("wsproto", "python3-wsproto")
    from wsproto.events import (AcceptConnection, CloseConnection, Request, TextMessage)
    _, port = start_chat(spawn)
    connection = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(connection.send(Request(host=f"127.0.0.1:{port}", target="/")))
        events = []
        message = json.dumps({"user": "w", "message": TEXT})
        while not any(isinstance(e, TextMessage) for e in events):
            data = s.recv(65536)
            assert data, "the server closed the connection"
            connection.receive_data(data)
            for event in connection.events():
                events.append(event)
                if isinstance(event, AcceptConnection):
                    s.sendall(connection.send(TextMessage(data=message)))
        text = next(e for e in events if isinstance(e, TextMessage))
        assert text.data == expected("w", TEXT)
        s.sendall(connection.send(CloseConnection(code=1000)))
        connection.receive_data(s.recv(65536))
        closes = [e for e in connection.events() if isinstance(e, CloseConnection)]
        assert closes and closes[0].code == 1000


def test_wirekits_server_refuses_a_wrong_version_with_426(spawn):
    _, port = start_chat(spawn)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        answer = s.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 426 ")
    assert "\r\nSec-WebSocket-Version: 13\r\n" in answer


def test_the_page_is_served_at_the_same_url(spawn):
    _, port = start_chat(spawn)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        page = b""
        while chunk := s.recv(65536):
            page += chunk
    head, _, body = page.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"new WebSocket(" in body


def test_the_chat_server_example_is_the_same_room(spawn):
    port = free_port()
    server = spawn([EXAMPLES / "chat_server", f"127.0.0.1:{port}"])
    wait_tcp(port)
    received, _ = asyncio.run(python_clients(server, port, 2, True))
    want = sorted(expected(f"user{i}", TEXT) for i in range(2))
    assert [sorted(m) for m in received] == [want, want]


def start_join(spawn, port, *flags):
    client = spawn([WIREKIT, "chat", "join", f"ws://127.0.0.1:{port}/", *flags],
                   stdin=subprocess.PIPE)

    def type_line(text):
        client.proc.stdin.write(text + "\n")
        client.proc.stdin.flush()

    return client, type_line


def test_wirekits_client_chats_with_the_tutorials_python_server(spawn):
    websockets = require_module("websockets", "python3-websockets")
    port = free_port()
    server = spawn(tutorial("chat_server_10_1.py") + [str(port)])
    wait_tcp(port)
    ann, type_line = start_join(spawn, port, "--user", "ann")
    assert ann.line() == "Connected to chat server as ann"
    assert server.line() == "New client connected. Total clients: 1"

    async def bob():
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            assert server.line() == "New client connected. Total clients: 2"
            type_line(TEXT)
            from_ann = await asyncio.wait_for(client.recv(), 5)
            await client.send(json.dumps({"user": "bob", "message": "hi ann"}))
            return from_ann, await asyncio.wait_for(client.recv(), 5)

    from_ann, echoed = asyncio.run(bob())
    assert from_ann == expected("ann", TEXT)  # what the Python server made of ann's message
    assert echoed == expected("bob", "hi ann")
    assert [ann.line() for _ in range(4)] == ["", f"ann: {TEXT}", "", "bob: hi ann"]
    ann.proc.stdin.close()  # the end of the input closes with 1000
    assert ann.wait() == 0
    lines = [server.line() for _ in range(2)]
    assert lines == ["Client disconnected. Total clients: 1", "Client disconnected. Total clients: 0"]


def test_wirekits_client_asks_for_a_name_and_notices_the_server_going_away(spawn):
    server, port = start_chat(spawn)
    ann, type_line = start_join(spawn, port)
    type_line("ann")
    assert ann.line() == "Enter your username: Connected to chat server as ann"
    type_line("hello")
    assert [ann.line(), ann.line()] == ["", "ann: hello"]
    server.stop()
    assert ann.line() == "Connection to server closed"
    assert ann.wait() == 0


def test_the_chat_client_example_chats_with_the_tutorials_python_server(spawn):
    websockets = require_module("websockets", "python3-websockets")
    port = free_port()
    server = spawn(tutorial("chat_server_10_1.py") + [str(port)])
    wait_tcp(port)
    ann = spawn([EXAMPLES / "chat_client", f"ws://127.0.0.1:{port}/"], stdin=subprocess.PIPE)
    ann.proc.stdin.write("ann\n")
    ann.proc.stdin.flush()
    assert ann.line() == "Enter your username: Connected to chat server as ann"
    assert server.line() == "New client connected. Total clients: 1"

    async def bob():
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            ann.proc.stdin.write(TEXT + "\n")
            ann.proc.stdin.flush()
            return await asyncio.wait_for(client.recv(), 5)

    assert asyncio.run(bob()) == expected("ann", TEXT)
    assert [ann.line(), ann.line()] == ["", f"ann: {TEXT}"]
    ann.proc.stdin.close()
    assert ann.wait() == 0


def test_a_server_shutting_down_closes_its_websockets_with_1001(spawn):
    websockets = require_module("websockets", "python3-websockets")
    server, port = start_chat(spawn)

    async def wait_for_close():
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            assert server.line() == "New client connected. Total clients: 1"
            server.proc.terminate()  # SIGTERM: the graceful shutdown of every wirekit server
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await asyncio.wait_for(client.recv(), 10)
            return closed.value.rcvd

    received = asyncio.run(wait_for_close())
    assert received is not None and (received.code, received.reason) == (1001,
                                                                         "server shutting down")
    assert server.wait() == 0


def test_wirekit_serve_has_a_chat_room_at_slash_chat_on_its_http_port(spawn, tmp_path):
    port = free_port()
    config = tmp_path / "wirekit.toml"
    config.write_text(f'[http]\nhost = "127.0.0.1"\nport = {port}\n')
    server = spawn([WIREKIT, "serve", "-c", config])
    wait_tcp(port)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        page = b""
        while chunk := s.recv(65536):
            page += chunk
    assert page.startswith(b"HTTP/1.1 200 ") and b"new WebSocket(" in page
    websockets = require_module("websockets", "python3-websockets")

    async def chat():
        async with websockets.connect(f"ws://127.0.0.1:{port}/chat") as ann, \
                websockets.connect(f"ws://127.0.0.1:{port}/chat") as bob:
            # Both in the room (a client joins once its handler runs, after the 101).
            while server.line() != "New client connected. Total clients: 2":
                pass
            await ann.send(json.dumps({"user": "ann", "message": TEXT}))
            return [await asyncio.wait_for(c.recv(), 5) for c in (ann, bob)]

    assert asyncio.run(chat()) == [expected("ann", TEXT)] * 2
