"""RSS per idle connection: N clients each make one exchange, then stay connected.

usage: idle_memory.py PID PORT [N] [--ws [--deflate]] [--label NAME]
  (PID: the server, already listening on 127.0.0.1:PORT)
  HTTP (the default): one keep-alive request per connection.
  --ws: the WebSocket opening handshake, then one text message echoed (64 bytes); --deflate
  offers permessage-deflate as Python websockets 10.4 does, fails unless the server accepts it,
  and sends the message (256 bytes) compressed, so that the server's per-connection compression
  state exists (wirekit sends messages under 128 bytes uncompressed).
Prints the server's RSS before and after, and the growth per connection."""
import base64
import hashlib
import os
import re
import resource
import socket
import struct
import sys
import time
import zlib

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MESSAGE = b"idle connection " * 4  # 64 bytes
DEFLATE_MESSAGE = b'{"user": "idle", "message": "an idle connection, compressed"}' * 4 + b" " * 12  # 256


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def raise_fd_limit(n):
    """The soft RLIMIT_NOFILE raised to the hard one (20,000 on this machine): room for n sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 20_000 if hard == resource.RLIM_INFINITY else hard
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < n + 16:
        raise SystemExit(f"idle_memory: RLIMIT_NOFILE's hard limit {hard} is below {n} connections")


def recv_until(s, end):
    data = b""
    while end not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("idle_memory: the server closed a connection during the handshake")
        data += chunk
    return data


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise SystemExit("idle_memory: the server closed a connection")
        data += chunk
    return data


class WebSocketClient:
    """The exchange of --ws: the handshake, then one masked text message and its echo."""

    def __init__(self, port, deflate):
        self.port, self.deflate = port, deflate
        self.keys = {}  # socket -> its Sec-WebSocket-Key

    def open(self):
        s = socket.create_connection(("127.0.0.1", self.port))
        key = base64.b64encode(os.urandom(16))
        self.keys[s] = key
        extension = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" \
            if self.deflate else b""
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                  b"%s\r\n" % (self.port, key, extension))
        return s

    def finish(self, s):
        """Reads the 101, sends the message; the echo is read by check()."""
        s.settimeout(10)
        head = recv_until(s, b"\r\n\r\n").lower()
        accept = base64.b64encode(hashlib.sha1(self.keys.pop(s) + WS_GUID).digest()).lower()
        if not head.startswith(b"http/1.1 101") or b"sec-websocket-accept: " + accept not in head:
            raise SystemExit(f"idle_memory: bad handshake answer {head[:80]!r}")
        first = 0x81
        payload = MESSAGE
        if self.deflate:
            if b"permessage-deflate" not in head:
                raise SystemExit("idle_memory: the server did not accept permessage-deflate")
            bits = re.search(rb"client_max_window_bits=(\d+)", head)
            compressor = zlib.compressobj(wbits=-max(9, int(bits.group(1)) if bits else 15))
            payload = compressor.compress(DEFLATE_MESSAGE) + compressor.flush(zlib.Z_SYNC_FLUSH)
            payload = payload[:-4]  # RFC 7692 §7.2.1: without the 00 00 ff ff tail
            first |= 0x40  # RSV1: compressed
        elif b"sec-websocket-extensions" in head:
            raise SystemExit("idle_memory: the server answered an extension that was not offered")
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        length = bytes([0x80 | len(payload)]) if len(payload) < 126 else \
            bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        s.sendall(bytes([first]) + length + mask + masked)

    def check(self, s):
        """Reads the echo: one unmasked text frame (compressed when deflate was negotiated)."""
        b0, b1 = recv_exact(s, 2)
        length = b1 & 0x7F
        if length == 126:
            length = struct.unpack("!H", recv_exact(s, 2))[0]
        elif length == 127:
            length = struct.unpack("!Q", recv_exact(s, 8))[0]
        body = recv_exact(s, length)
        if b0 & 0x40:  # compressed (the first message: no earlier context to take over)
            body = zlib.decompressobj(wbits=-15).decompress(body + b"\x00\x00\xff\xff")
        if b0 & 0x0F != 1 or body != (DEFLATE_MESSAGE if self.deflate else MESSAGE):
            raise SystemExit(f"idle_memory: bad echo (first byte {b0:#x}, {length} bytes)")


class HttpClient:
    """The exchange of the default mode: one keep-alive request."""

    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"

    def open(self):
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(self.request)
        return s

    def finish(self, s):
        pass

    def check(self, s):
        s.settimeout(10)
        if not s.recv(65536).startswith(b"HTTP/1.1 200"):
            raise SystemExit("bad response")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    label = next((sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--label"), None)
    if label:
        args.remove(label)
    pid, port = int(args[0]), int(args[1])
    n = int(args[2]) if len(args) > 2 else 10_000
    ws = "--ws" in sys.argv
    client = WebSocketClient(port, "--deflate" in sys.argv) if ws else HttpClient()
    client.port = port
    raise_fd_limit(n + 100)
    # Warm the server up (first connections allocate pools) so the baseline is fair.
    warm = [client.open() for _ in range(100)]
    for s in warm:
        client.finish(s)
    for s in warm:
        client.check(s)
        s.close()
    time.sleep(0.5)
    before = rss_kib(pid)
    conns = []
    deadline = time.monotonic() + 120
    for _ in range(n):
        conns.append(client.open())
        if time.monotonic() > deadline:
            raise SystemExit("too slow")
    for s in conns:
        client.finish(s)
        if time.monotonic() > deadline:
            raise SystemExit("too slow")
    for s in conns:
        client.check(s)
    time.sleep(1.0)
    after = rss_kib(pid)
    kind = "ws_idle_memory" if ws else "idle_memory"
    extra = f"peer={label} " if label else ""
    if ws:
        extra += f"compression={'on' if '--deflate' in sys.argv else 'off'} "
    print(f"{kind} {extra}connections={n} rss_before_kib={before} rss_after_kib={after} "
          f"per_connection_bytes={(after - before) * 1024 / n:.0f}")
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
