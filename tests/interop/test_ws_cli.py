"""`wirekit ws echo` and `wirekit ws connect` against Python websockets 10.4: the echo server
and the command-line client that the conformance suite and the benchmarks use."""
import asyncio
import re
import subprocess

import pytest

from conftest import WIREKIT, free_port, require_module, run, wait_tcp

LISTENING = re.compile(r"^WebSocket echo server is listening on .*:(\d+)$")


def start_echo(spawn, *flags):
    server = spawn([WIREKIT, "ws", "echo", "--host", "127.0.0.1", "--port", "0", *flags])
    match = LISTENING.match(server.line())
    assert match, "no listening line"
    return server, int(match.group(1))


@pytest.mark.parametrize("compression", [True, False])
def test_the_echo_server_sends_every_message_back_as_it_came(spawn, compression):
    websockets = require_module("websockets", "python3-websockets")
    _, port = start_echo(spawn)
    messages = ["", "h\u00e9llo \U0001F600", "x" * 70000, b"\x00\xff" * 3, b"", b"\x81" * 200000]

    async def talk():
        extra = {} if compression else {"compression": None}
        async with websockets.connect(f"ws://127.0.0.1:{port}/any/path?q=1", **extra) as client:
            negotiated = client.response_headers.get("Sec-WebSocket-Extensions")
            back = []
            for message in messages:
                await client.send(message)
                back.append(await asyncio.wait_for(client.recv(), 5))
            return negotiated, back

    negotiated, back = asyncio.run(talk())
    assert back == messages  # str stays str (text), bytes stay bytes (binary)
    assert (negotiated is not None) == compression


def test_the_echo_server_closes_a_message_over_its_limit_with_1009(spawn):
    websockets = require_module("websockets", "python3-websockets")
    _, port = start_echo(spawn, "--max-message-size", "1000")

    async def talk():
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            await client.send("y" * 1000)
            assert await asyncio.wait_for(client.recv(), 5) == "y" * 1000
            await client.send("y" * 1001)
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await asyncio.wait_for(client.recv(), 5)
            return closed.value.rcvd.code

    assert asyncio.run(talk()) == 1009


def python_echo_server(websockets, port):
    async def echo(websocket):
        async for message in websocket:
            await websocket.send(message)

    return websockets.serve(echo, "127.0.0.1", port)


def test_connect_sends_stdin_lines_and_prints_every_message(spawn):
    websockets = require_module("websockets", "python3-websockets")
    port = free_port()

    async def scenario():
        seen = []

        async def handler(websocket):
            async for message in websocket:
                seen.append(message)
                await websocket.send(message.upper())
                await websocket.send(b"\x01\x02\x03")

        async with websockets.serve(handler, "127.0.0.1", port):
            client = await asyncio.create_subprocess_exec(
                str(WIREKIT), "ws", "connect", f"ws://127.0.0.1:{port}/",
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            client.stdin.write("hello\nw\u00f6rld\n".encode())
            await client.stdin.drain()
            lines = [(await asyncio.wait_for(client.stdout.readline(), 5)).decode()
                     for _ in range(4)]
            client.stdin.close()  # the end of the input closes with 1000: exit 0
            status = await asyncio.wait_for(client.wait(), 10)
            return seen, lines, status

    seen, lines, status = asyncio.run(scenario())
    assert seen == ["hello", "w\u00f6rld"]
    assert lines == ["HELLO\n", "[binary message, 3 bytes]\n", "W\u00d6RLD\n",
                     "[binary message, 3 bytes]\n"]
    assert status == 0


@pytest.mark.parametrize("compression", [True, False])
def test_connect_echo_mode_sends_every_message_back(spawn, compression):
    websockets = require_module("websockets", "python3-websockets")
    port = free_port()

    async def scenario():
        result = {}

        async def handler(websocket):
            result["extensions"] = websocket.request_headers.get("Sec-WebSocket-Extensions")
            result["agreed"] = websocket.response_headers.get("Sec-WebSocket-Extensions")
            result["custom"] = websocket.request_headers.get("X-Custom")
            back = []
            for message in ["one", b"\x00two", "three" * 10000]:
                await websocket.send(message)
                back.append(await websocket.recv())
            result["back"] = back
            await websocket.close(4000, "done")

        async with websockets.serve(handler, "127.0.0.1", port):
            client = await asyncio.create_subprocess_exec(
                str(WIREKIT), "ws", "connect", f"ws://127.0.0.1:{port}/", "--echo",
                "-H", "X-Custom: yes", *([] if compression else ["--no-compression"]),
                stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
            status = await asyncio.wait_for(client.wait(), 10)
            stderr = (await client.stderr.read()).decode()
            return result, status, stderr

    result, status, stderr = asyncio.run(scenario())
    assert result["back"] == ["one", b"\x00two", "three" * 10000]
    if compression:  # Python's server agrees to our offer with its 12-bit windows
        assert result["extensions"].startswith("permessage-deflate")
        assert result["agreed"] == ("permessage-deflate; server_max_window_bits=12; "
                                    "client_max_window_bits=12")
    else:
        assert result["extensions"] is None and result["agreed"] is None
    assert result["custom"] == "yes"
    # 4000 is not a normal end: the command says so and fails.
    assert status == 1 and stderr == "wirekit: the WebSocket closed with 4000\n"


def test_connect_names_a_refused_handshake_in_one_line():
    port = free_port()
    result = run([WIREKIT, "ws", "connect", f"ws://127.0.0.1:{port}/"])
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "127.0.0.1" in result.stderr, result.stderr
    bad = run([WIREKIT, "ws", "connect", "ws://127.0.0.1:1/", "-H", "nocolon"])
    assert bad.returncode != 0 and "header 'nocolon' is not 'Name: value'" in bad.stderr
