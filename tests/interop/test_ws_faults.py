"""WebSocket faults: thousands of idle connections kept alive by the server's pings, peers that
vanish without a close frame, a consumer too slow for the room's broadcasts, keepalive under
broadcast load. `wirekit ws echo` and `wirekit chat serve` against raw sockets (the handshake
and frames written here) and Python websockets 10.4 clients."""
import asyncio
import base64
import hashlib
import json
import os
import re
import resource
import signal
import socket
import struct
import time
import zlib

import pytest

from conftest import MEMORY_FACTOR, PYTHON, WIREKIT, require_module, rss_bytes
from test_chat import expected, start_chat

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


ECHO_LISTENING = re.compile(r"^WebSocket echo server is listening on 127\.0\.0\.1:(\d+)$")


def start_echo(spawn, *flags):
    """`wirekit ws echo` on a free port of 127.0.0.1; returns (process, port)."""
    server = spawn([WIREKIT, "ws", "echo", "--host", "127.0.0.1", "--port", "0", *flags])
    match = ECHO_LISTENING.match(server.line())
    assert match
    return server, int(match.group(1))


# --- frames and the handshake, as a client writes and reads them -----------------------------

def client_frame(opcode, payload=b""):
    """One masked, final frame."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    mask = os.urandom(4)
    if n:
        repeated = (mask * (n // 4 + 1))[:n]
        payload = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
            n, "big")
    return head + mask + payload


def parse_frames(buffer):
    """Whole server frames at the start of buffer: ([(fin, opcode, payload, rsv1)], bytes
    used). A server frame must not be masked."""
    frames, at = [], 0
    while len(buffer) - at >= 2:
        b0, b1 = buffer[at], buffer[at + 1]
        assert not b1 & 0x80, "a server frame is masked"
        n, head = b1 & 0x7F, 2
        if n == 126:
            if len(buffer) - at < 4:
                break
            n, head = struct.unpack_from("!H", buffer, at + 2)[0], 4
        elif n == 127:
            if len(buffer) - at < 10:
                break
            n, head = struct.unpack_from("!Q", buffer, at + 2)[0], 10
        if len(buffer) - at < head + n:
            break
        frames.append((bool(b0 & 0x80), b0 & 0x0F, bytes(buffer[at + head:at + head + n]),
                       bool(b0 & 0x40)))
        at += head + n
    return frames, at


# What Python websockets 10.4 offers; the server answers it with plain "permessage-deflate".
DEFLATE = "permessage-deflate; client_max_window_bits"


def request(port, key, extensions=None):
    offer = f"Sec-WebSocket-Extensions: {extensions}\r\n" if extensions else ""
    return (f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n{offer}"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()


def check_answer(head, key, extensions=None):
    """The server's 101 for key: with permessage-deflate when offered, else no extension."""
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 101 "), lines[0]
    fields = {k.strip().lower(): v.strip()
              for k, _, v in (line.partition(":") for line in lines[1:])}
    accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
    assert fields.get("sec-websocket-accept") == accept, fields
    if extensions:
        assert fields.get("sec-websocket-extensions", "").startswith("permessage-deflate"), fields
    else:
        assert "sec-websocket-extensions" not in fields, fields


def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def blocking_client(port, rcvbuf=None):
    """A raw socket that has done the handshake, and left in blocking mode; for peers that then
    stop reading."""
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    key = new_key()
    s.sendall(request(port, key))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)  # byte by byte: nothing past the head is taken from the socket
        assert chunk, "the server closed the connection during the handshake"
        head += chunk
    check_answer(head[:-4], key)
    return s


class RawClient(asyncio.Protocol):
    """A WebSocket client on asyncio's transport: the handshake, then frames; it counts the
    server's pings and answers each with a pong (unless told not to)."""

    def __init__(self, port, answer_pings=True, extensions=None):
        self.port, self.key, self.answer_pings = port, new_key(), answer_pings
        self.extensions, self.inflater, self.compressed = extensions, None, 0
        self.opened = asyncio.get_running_loop().create_future()
        self.buffer, self.upgraded = bytearray(), False
        self.pings, self.messages, self.close_code, self.lost = 0, asyncio.Queue(), None, False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(request(self.port, self.key, self.extensions))

    def data_received(self, data):
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            try:
                check_answer(bytes(self.buffer[:end]), self.key, self.extensions)
            except AssertionError as e:
                self.opened.set_exception(e)
                return
            del self.buffer[:end + 4]
            self.upgraded = True
            self.opened.set_result(self)
        frames, used = parse_frames(self.buffer)
        del self.buffer[:used]
        for _, opcode, payload, compressed in frames:
            if compressed:  # permessage-deflate, context takeover, window 15 (as answered)
                self.compressed += 1
                if self.inflater is None:
                    self.inflater = zlib.decompressobj(-15)
                payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
            if opcode == PING:
                self.pings += 1
                if self.answer_pings:
                    self.transport.write(client_frame(PONG, payload))
            elif opcode == CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if payload else 1005
            else:
                self.messages.put_nowait((opcode, payload))

    def connection_lost(self, exc):
        self.lost = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"lost before the handshake: {exc}"))

    def send(self, opcode, payload):
        self.transport.write(client_frame(opcode, payload))


def tcp_state(local_port, remote_port):
    """The kernel's state of the IPv4 TCP socket local_port -> remote_port on loopback:
    "ESTABLISHED", "CLOSE_WAIT" (the peer sent FIN), ... or None once it is gone (reset)."""
    names = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
             6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
             11: "CLOSING"}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote = fields[1].split(":"), fields[2].split(":")
            if int(local[1], 16) == local_port and int(remote[1], 16) == remote_port:
                return names.get(int(fields[3], 16), fields[3])
    return None


def wait_closed_by_server(local_port, server_port, timeout):
    """Seconds until the server ends the TCP connection (FIN or reset), as the kernel sees it
    on our side without our reading anything; fails after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if tcp_state(local_port, server_port) in ("CLOSE_WAIT", "CLOSE", None):
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"the server kept the connection from port {local_port} open for "
                         f"{timeout}s: {tcp_state(local_port, server_port)}")


# --- 9,000 idle connections ----------------------------------------------------------------

CONNECTIONS = 9000


@pytest.mark.parametrize("extensions", [None, DEFLATE], ids=["plain", "deflate"])
def test_9000_idle_connections_stay_open_answering_pings_and_still_echo(spawn, extensions):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 20000 if hard == resource.RLIM_INFINITY else min(20000, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= CONNECTIONS + 1000, \
        "this test needs 10,000 descriptors (RLIMIT_NOFILE)"
    server, port = start_echo(spawn, "--ping-interval", "1", "--ping-timeout", "5")
    before = rss_bytes(server.proc.pid)

    async def idle():
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(200)

        async def one():
            async with gate:
                _, client = await loop.create_connection(
                    lambda: RawClient(port, extensions=extensions), "127.0.0.1", port)
                return await asyncio.wait_for(client.opened, 10)

        start = time.monotonic()
        clients = await asyncio.gather(*(one() for _ in range(CONNECTIONS)))
        opened = time.monotonic() - start
        try:
            # Several ping intervals: every connection is pinged at least twice, and answers.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and min(c.pings for c in clients) < 2:
                await asyncio.sleep(0.25)
            await asyncio.sleep(1)
            during = rss_bytes(server.proc.pid)
            pinged = sorted(c.pings for c in clients)
            gone = [i for i, c in enumerate(clients) if c.lost or c.close_code is not None]
            # A message still echoes, text and binary, on a sample of them.
            sample = clients[::CONNECTIONS // 100]
            for i, c in enumerate(sample):
                c.send(TEXT, f"still here {i} \u00e9".encode())
                c.send(BINARY, bytes([i % 256]) * 300)
            echoes = [[await asyncio.wait_for(c.messages.get(), 10) for _ in range(2)]
                      for c in sample]
            deflated = sum(c.compressed for c in sample)
        finally:
            for c in clients:
                c.transport.abort()
        return opened, pinged, gone, during, sample, echoes, deflated

    opened, pinged, gone, during, sample, echoes, deflated = asyncio.run(idle())
    per_connection = (during - before) / CONNECTIONS
    print(f"{CONNECTIONS} connections opened in {opened:.1f}s; server RSS {before / 2**20:.1f} "
          f"MiB before, {during / 2**20:.1f} MiB with them open: "
          f"{per_connection:.0f} bytes per connection; pings per connection "
          f"{pinged[0]}..{pinged[-1]}")
    assert gone == [], f"{len(gone)} connections closed while idle, e.g. {gone[:5]}"
    assert pinged[0] >= 2, f"pings per connection: {pinged[0]}..{pinged[-1]}"
    assert echoes == [[(TEXT, f"still here {i} \u00e9".encode()), (BINARY, bytes([i % 256]) * 300)]
                      for i in range(len(sample))]
    # The 300-byte echo comes back compressed where deflate was agreed (over 128 bytes).
    assert deflated == (len(sample) if extensions else 0)
    assert per_connection < 16 * 1024 * MEMORY_FACTOR, \
        f"{per_connection:.0f} bytes per idle connection"


# --- peers that vanish without a close frame ------------------------------------------------

INTERVAL, TIMEOUT = 1, 1  # the server's --ping-interval and --ping-timeout in these tests
KEEPALIVE = ["--ping-interval", str(INTERVAL), "--ping-timeout", str(TIMEOUT)]


def answering_client(port):
    """A Python websockets 10.4 client: it answers pings (as any live peer does)."""
    websockets = require_module("websockets", "python3-websockets")
    return websockets.connect(f"ws://127.0.0.1:{port}/", ping_interval=None)


@pytest.mark.parametrize("server", ["ws echo", "chat serve"])
def test_a_peer_that_stops_reading_is_closed_after_ping_interval_plus_timeout(spawn, server):
    if server == "ws echo":
        process, port = start_echo(spawn, *KEEPALIVE)
    else:
        process, port = start_chat(spawn, *KEEPALIVE)

    async def vanish():
        async with answering_client(port) as alive:  # the control: it must stay
            dead = blocking_client(port)  # after its handshake it never reads again
            try:
                local = dead.getsockname()[1]
                after = await asyncio.to_thread(wait_closed_by_server, local, port,
                                                INTERVAL + TIMEOUT + 5)
                await asyncio.sleep(INTERVAL + TIMEOUT)
                assert alive.open, "the server closed a peer that answers its pings"
                await alive.send(json.dumps({"user": "alive", "message": "still"}))
                echo = await asyncio.wait_for(alive.recv(), 5)
            finally:
                dead.close()
        return after, echo

    after, echo = asyncio.run(vanish())
    if server == "chat serve":
        assert echo == expected("alive", "still")
        assert [process.line(5) for _ in range(3)] == [
            "New client connected. Total clients: 1", "New client connected. Total clients: 2",
            "Client disconnected. Total clients: 1"]
    else:
        assert echo == json.dumps({"user": "alive", "message": "still"})
    print(f"{server}: a peer that does not read closed after {after:.2f}s")
    assert INTERVAL <= after <= INTERVAL + TIMEOUT + 1.5, after


STOPPED_PEER = """
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], ping_interval=None) as ws:
        print(ws.local_address[1], flush=True)
        try:
            await ws.recv()
        except websockets.ConnectionClosed:
            pass
        print(ws.close_code, flush=True)
asyncio.run(main())
"""


def test_a_peer_whose_process_is_stopped_is_closed_by_the_keepalive_with_1011(spawn):
    require_module("websockets", "python3-websockets")
    server, port = start_chat(spawn, *KEEPALIVE)
    peer = spawn([PYTHON, "-c", STOPPED_PEER, f"ws://127.0.0.1:{port}/"])
    local = int(peer.line())
    assert server.line() == "New client connected. Total clients: 1"
    os.kill(peer.proc.pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        assert server.line(INTERVAL + TIMEOUT + 5) == "Client disconnected. Total clients: 0"
        noticed = time.monotonic() - start
        closed = wait_closed_by_server(local, port, 5) + noticed
    finally:
        os.kill(peer.proc.pid, signal.SIGCONT)
    print(f"a stopped peer: left the room after {noticed:.2f}s, TCP closed after {closed:.2f}s")
    assert INTERVAL <= noticed <= INTERVAL + TIMEOUT + 1.5, noticed
    assert closed <= INTERVAL + TIMEOUT + 2, closed
    # Resumed, it reads what the server said before it went: the keepalive's 1011.
    assert peer.line(10) == "1011"
    assert peer.wait(10) == 0


# --- a consumer too slow for the room --------------------------------------------------------

BROADCASTS = 3000  # of about 4 KiB: 12 MiB, past the 4 MiB send queue and the socket buffers


def broadcast(i):
    return {"user": "sender", "message": f"{i:06d} " + "".join(
        chr(0x61 + (i * 7 + k) % 26) for k in range(4000))}


def test_a_slow_consumer_is_dropped_while_a_reading_client_gets_every_broadcast(spawn):
    websockets = require_module("websockets", "python3-websockets")
    server, port = start_chat(spawn)

    async def room():
        slow = blocking_client(port, rcvbuf=4096)  # then it reads nothing
        url = f"ws://127.0.0.1:{port}/"
        async with websockets.connect(url, max_queue=None) as reader, \
                websockets.connect(url, compression=None, max_queue=None) as sender:
            lines = [server.line(5) for _ in range(3)]
            assert lines == [f"New client connected. Total clients: {n}" for n in (1, 2, 3)]
            got = [[], []]  # the reader's, and the sender's own: it is in the room too

            async def drain(client, into):
                while len(into) < BROADCASTS:
                    into.append(await asyncio.wait_for(client.recv(), 20))

            draining = [asyncio.create_task(drain(c, g)) for c, g in zip((reader, sender), got)]
            start = time.monotonic()
            for i in range(BROADCASTS):
                # The two that read stay at most 100 messages behind: never slow themselves.
                while i - min(len(g) for g in got) > 100:
                    await asyncio.wait(draining, timeout=0.01)
                    for task in draining:
                        if task.done():
                            task.result()  # a reader that failed fails the test now
                await sender.send(json.dumps(broadcast(i)))
            await asyncio.gather(*draining)
            elapsed = time.monotonic() - start
            # Dropped while the others are still in the room.
            dropped = await asyncio.to_thread(server.line, 10)
        return slow, got, elapsed, dropped

    slow, got, elapsed, dropped = asyncio.run(room())
    print(f"{BROADCASTS} broadcasts of 4 KiB through the room in {elapsed:.1f}s")
    assert dropped == "Client disconnected. Total clients: 2"
    want = [expected("sender", broadcast(i)["message"]) for i in range(BROADCASTS)]
    assert got == [want, want]
    # Dropped, its TCP connection is ended too (it holds the server's socket buffer), as the
    # kernel sees the server's side of it: no longer ESTABLISHED.
    start, slow_port = time.monotonic(), slow.getsockname()[1]
    while tcp_state(port, slow_port) == "ESTABLISHED" and time.monotonic() - start < 3:
        time.sleep(0.05)
    server_side = tcp_state(port, slow_port)
    ended_after = time.monotonic() - start

    # The slow one, reading again: whole messages in order, a prefix of the broadcasts, then
    # the server's close with 1008 (policy violation), or a reset.
    data, reset = bytearray(), False
    slow.settimeout(5)
    try:
        while len(data) < 64 * 2**20:
            chunk = slow.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        reset = True
    finally:
        slow.close()
    frames, used = parse_frames(data)
    assert not any(rsv1 for *_, rsv1 in frames)  # no deflate was offered
    messages = [p for _, op, p, _ in frames if op == TEXT]
    closes = [struct.unpack("!H", p[:2])[0] for _, op, p, _ in frames if op == CLOSE]
    if reset:
        ending = "a reset"
    elif closes:
        ending = f"a close frame with {closes[0]}"
    elif used < len(data):
        ending = f"{len(data) - used} bytes of a frame cut short, then the end of the stream"
    else:
        ending = "the end of the stream, without a close frame"
    print(f"the slow consumer got {len(messages)} messages ({used} bytes), then {ending}; "
          f"the server's side: {server_side} after {ended_after:.1f}s")
    assert messages == [expected("sender", broadcast(i)["message"]).encode()
                        for i in range(len(messages))]
    assert len(messages) < BROADCASTS
    problems = []
    if server_side == "ESTABLISHED":
        problems.append(f"the server still holds the TCP connection {ended_after:.1f}s after "
                        "dropping it")
    if ending not in ("a reset", "a close frame with 1008"):
        problems.append(f"the dropped consumer's stream ends with {ending}")
    assert problems == []


# --- keepalive under broadcast load ----------------------------------------------------------

LOAD = """
import asyncio, json, sys, time, websockets
async def main(url, seconds, rate):
    async with websockets.connect(url, compression=None, max_queue=None) as ws:
        async def drain():
            while True:
                await ws.recv()
        reading = asyncio.create_task(drain())
        sent, start = 0, time.monotonic()
        while time.monotonic() - start < seconds:
            for _ in range(rate // 100):
                await ws.send(json.dumps({"user": "load", "message": f"{sent:07d} " + "z" * 1000}))
                sent += 1
            await asyncio.sleep(0.01)
        reading.cancel()
        print(sent, flush=True)
asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
"""


def test_python_clients_with_1s_keepalive_see_no_timeout_under_broadcast_load(spawn):
    websockets = require_module("websockets", "python3-websockets")
    server, port = start_chat(spawn)
    url = f"ws://127.0.0.1:{port}/"
    seconds, rate = 4, 2000  # per load process, messages of 1 KiB

    async def keepalive():
        clients = [await websockets.connect(url, ping_interval=1, ping_timeout=1, max_queue=None),
                   await websockets.connect(url, ping_interval=1, ping_timeout=1, max_queue=None,
                                            compression=None)]
        counts, rtts = [0, 0], []

        async def read(i, client):
            async for _ in client:
                counts[i] += 1

        async def ping(client):  # our own pings besides the library's: their round trips
            while True:
                start = time.monotonic()
                await asyncio.wait_for(await client.ping(), 1)
                rtts.append(time.monotonic() - start)
                await asyncio.sleep(0.25)

        readers = [asyncio.create_task(read(i, c)) for i, c in enumerate(clients)]
        pingers = [asyncio.create_task(ping(c)) for c in clients]
        load = [await asyncio.create_subprocess_exec(
            PYTHON, "-c", LOAD, url, str(seconds), str(rate), stdout=asyncio.subprocess.PIPE)
            for _ in range(2)]
        outs = [await asyncio.wait_for(p.communicate(), seconds + 20) for p in load]
        sent = sum(int(out.split()[0]) for out, _ in outs)
        deadline = time.monotonic() + 10
        while min(counts) < sent and time.monotonic() < deadline and all(c.open for c in clients):
            await asyncio.sleep(0.1)
        states = [(c.open, c.close_code) for c in clients]
        failed = [p.exception() if p.done() else None for p in pingers]
        for task in pingers + readers:
            task.cancel()
        for client in clients:
            await client.close()
        return sent, counts, states, failed, rtts

    sent, counts, states, failed, rtts = asyncio.run(keepalive())
    print(f"{sent} broadcasts of 1 KiB in {seconds}s; {len(rtts)} pings answered, slowest "
          f"{max(rtts, default=0) * 1000:.0f} ms")
    assert states == [(True, None), (True, None)], states  # 1011: a keepalive timeout
    assert failed == [None, None], failed
    assert sent >= seconds * rate  # the load did run
    assert counts == [sent, sent]
    assert len(rtts) >= 2 * seconds * 2
