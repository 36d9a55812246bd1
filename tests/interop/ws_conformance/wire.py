"""Raw WebSocket on the wire (RFC 6455, RFC 7692), written for a fuzzer: frames with any FIN,
RSV, opcode, mask and length encoding (non-minimal forms and a 64-bit length with its MSB set
included), an incremental frame reader that reports every rule a strict peer must keep, the two
opening handshakes with an arbitrary Sec-WebSocket-Extensions offer or answer, and
permessage-deflate on Python's zlib (raw deflate, SYNC_FLUSH, 00 00 ff ff stripped and
appended, with or without context takeover)."""
import base64
import hashlib
import os
import re
import struct
import zlib

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
DATA_OPCODES = (CONTINUATION, TEXT, BINARY)
CONTROL_OPCODES = (CLOSE, PING, PONG)
TAIL = b"\x00\x00\xff\xff"

# Close codes an endpoint may put on the wire (RFC 6455 §7.4; 1012-1014 registered later).
VALID_CLOSE_CODES = set(range(1000, 1004)) | set(range(1007, 1015)) | set(range(3000, 5000))


def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def mask_bytes(data, key):
    """XORs data with the 4-byte key repeated; fast for megabytes (one big-integer XOR)."""
    n = len(data)
    if n == 0:
        return b""
    pad = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(pad, "little")).to_bytes(n, "little")


def encode_length(n, form=None):
    """The 7-bit length field and its extension. form: None for the minimal encoding, 16 or 64
    to force that extended form (non-minimal when n is small), or 'msb' for the 64-bit form with
    its most significant bit set (n is then taken modulo 2**63)."""
    if form is None:
        form = 7 if n < 126 else 16 if n < 65536 else 64
    if form == 7:
        return n, b""
    if form == 16:
        return 126, struct.pack("!H", n)
    if form == 64:
        return 127, struct.pack("!Q", n)
    if form == "msb":
        return 127, struct.pack("!Q", (n % (1 << 63)) | (1 << 63))
    raise ValueError(form)


def frame(opcode, payload=b"", fin=True, rsv=0, mask=None, length_form=None):
    """One frame's bytes. mask: None (unmasked), True (a fresh random key) or a 4-byte key."""
    payload = bytes(payload)
    first = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    code, extension = encode_length(len(payload), length_form)
    if mask is True:
        mask = os.urandom(4)
    if mask:
        return (bytes([first, 0x80 | code]) + extension + mask +
                mask_bytes(payload, mask))
    return bytes([first, code]) + extension + payload


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack("!H", code) + reason


def chop(data, size):
    """Splits data into writes of size bytes (the last may be shorter)."""
    if not size:
        return [data]
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


def utf8_valid(data):
    try:
        bytes(data).decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


class Utf8Stream:
    """Incremental UTF-8 validation (for fail-fast checks on what a peer sends)."""

    def __init__(self):
        import codecs
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, data, final=False):
        try:
            self._decoder.decode(bytes(data), final)
            return True
        except UnicodeDecodeError:
            return False


class Frame:
    __slots__ = ("fin", "rsv", "opcode", "masked", "mask", "length_code", "length", "payload",
                 "header_size")

    def __repr__(self):
        return (f"Frame(fin={int(self.fin)}, rsv={self.rsv}, opcode={self.opcode:#x}, "
                f"masked={self.masked}, len={self.length})")


class FrameError(Exception):
    """What the peer sent breaks a rule of RFC 6455 framing."""


class FrameReader:
    """Reads frames out of a byte stream however it is chopped. Frames come out unmasked, with
    the facts a checker needs (mask bit, key, length encoding). Framing rules the reader cannot
    continue past (a non-minimal or MSB length, a control frame over 125 bytes) raise
    FrameError; the rest are left to the caller, who knows the state of the connection."""

    def __init__(self, max_frame=64 << 20):
        self.buffer = bytearray()
        self.max_frame = max_frame

    def feed(self, data):
        self.buffer += data

    def frames(self):
        out = []
        buf = self.buffer
        pos = 0
        while True:
            avail = len(buf) - pos
            if avail < 2:
                break
            b0, b1 = buf[pos], buf[pos + 1]
            code = b1 & 0x7F
            masked = bool(b1 & 0x80)
            need = 2 + (2 if code == 126 else 8 if code == 127 else 0) + (4 if masked else 0)
            if avail < need:
                break
            i = pos + 2
            if code == 126:
                length = struct.unpack_from("!H", buf, i)[0]
                i += 2
                if length < 126:
                    raise FrameError(f"frame length {length} sent in the 16-bit form "
                                     "(not the minimal encoding)")
            elif code == 127:
                length = struct.unpack_from("!Q", buf, i)[0]
                i += 8
                if length >> 63:
                    raise FrameError("64-bit frame length with its most significant bit set")
                if length < 65536:
                    raise FrameError(f"frame length {length} sent in the 64-bit form "
                                     "(not the minimal encoding)")
            else:
                length = code
            opcode = b0 & 0xF
            if opcode >= 8 and length > 125:
                raise FrameError(f"control frame (opcode {opcode:#x}) with a payload of "
                                 f"{length} bytes (more than 125)")
            if length > self.max_frame:
                raise FrameError(f"frame of {length} bytes, larger than this fuzzer accepts")
            key = None
            if masked:
                key = bytes(buf[i:i + 4])
                i += 4
            if len(buf) - i < length:
                break
            f = Frame()
            f.fin = bool(b0 & 0x80)
            f.rsv = (b0 >> 4) & 7
            f.opcode = opcode
            f.masked = masked
            f.mask = key
            f.length_code = code
            f.length = length
            f.header_size = i - pos
            payload = bytes(buf[i:i + length])
            f.payload = mask_bytes(payload, key) if masked else payload
            out.append(f)
            pos = i + length
        if pos:
            del buf[:pos]
        return out


# --- the opening handshake -----------------------------------------------------------------

def client_request(host, path, key, extensions=None, extra_headers=()):
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if extensions:
        lines.append(f"Sec-WebSocket-Extensions: {extensions}")
    lines.extend(extra_headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def make_key():
    return base64.b64encode(os.urandom(16)).decode()


def split_head(data):
    """(head text, rest) once data holds a whole HTTP head, else None."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    return data[:end].decode("latin-1"), bytes(data[end + 4:])


def parse_head(head):
    """(start line, {lower-case name: [values]})."""
    lines = head.split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], headers


def header(headers, name):
    """All values of a header, comma-joined (None if absent)."""
    values = headers.get(name.lower())
    return None if values is None else ", ".join(values)


def tokens(value):
    return [t.strip().lower() for t in (value or "").split(",") if t.strip()]


_PARAM = re.compile(r"^([A-Za-z0-9_!#$%&'*+.^`|~-]+)(?:\s*=\s*(\"[^\"]*\"|[^\s;,]+))?$")


def parse_extensions(value):
    """Sec-WebSocket-Extensions as [(name, [(param, value or None)])]; raises ValueError on
    text that is not the RFC 6455 §9.1 grammar."""
    result = []
    if value is None:
        return result
    for item in value.split(","):
        parts = [p.strip() for p in item.split(";")]
        if not parts[0]:
            raise ValueError(f"empty extension in {value!r}")
        params = []
        for p in parts[1:]:
            m = _PARAM.match(p)
            if not m:
                raise ValueError(f"malformed extension parameter {p!r}")
            v = m.group(2)
            if v is not None and v.startswith('"'):
                v = v[1:-1]
            params.append((m.group(1).lower(), v))
        result.append((parts[0].lower(), params))
    return result


# --- permessage-deflate --------------------------------------------------------------------

class Deflater:
    """Compresses messages for one direction. wbits 9..15; no_context_takeover resets the LZ77
    window for every message."""

    def __init__(self, wbits=15, no_context_takeover=False, level=zlib.Z_DEFAULT_COMPRESSION):
        self.wbits = max(9, wbits)  # zlib cannot make a raw deflate stream with a window of 8
        self.no_context_takeover = no_context_takeover
        self.level = level
        self._z = None

    def compress(self, data):
        if self._z is None or self.no_context_takeover:
            self._z = zlib.compressobj(self.level, zlib.DEFLATED, -self.wbits)
        out = self._z.compress(bytes(data)) + self._z.flush(zlib.Z_SYNC_FLUSH)
        if out.endswith(TAIL):
            out = out[:-4]
        return out or b"\x00"


class Inflater:
    """Decompresses one direction's messages, with the window and context rule the peer agreed
    to: a fresh inflater per message when it promised no context takeover, so a peer that
    breaks the promise makes inflation fail; a window of wbits, so references further back
    fail too. Raises zlib.error or ValueError (over max_size)."""

    def __init__(self, wbits=15, no_context_takeover=False, max_size=None):
        self.wbits = wbits
        self.no_context_takeover = no_context_takeover
        self.max_size = max_size
        self._z = None

    def decompress(self, data):
        if self._z is None or self.no_context_takeover:
            self._z = zlib.decompressobj(-self.wbits)
        # zlib finds a distance too far back only beyond its window plus the output of the
        # current call, so with a window under 15 bits the output is taken in pieces of half
        # the window: a peer compressing with a larger window than agreed is caught once it
        # reaches back more than 1.5 windows.
        piece_size = 1 << (self.wbits - 1) if self.wbits < 15 else 1 << 20
        out = []
        total = 0
        data = bytes(data) + TAIL
        while True:
            piece = self._z.decompress(data, piece_size)
            out.append(piece)
            total += len(piece)
            if self.max_size is not None and total > self.max_size:
                raise ValueError(f"inflates to more than {self.max_size} bytes")
            data = self._z.unconsumed_tail
            if not data and len(piece) < piece_size:
                return b"".join(out)


class DeflateParams:
    """What was agreed for permessage-deflate, from one response's parameters."""

    def __init__(self, server_no_context_takeover=False, client_no_context_takeover=False,
                 server_max_window_bits=15, client_max_window_bits=15):
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits

    def __repr__(self):
        return (f"DeflateParams(server_no_context_takeover={self.server_no_context_takeover}, "
                f"client_no_context_takeover={self.client_no_context_takeover}, "
                f"server_max_window_bits={self.server_max_window_bits}, "
                f"client_max_window_bits={self.client_max_window_bits})")

    @classmethod
    def from_params(cls, params):
        """From a response's [(name, value)]; raises ValueError on anything RFC 7692 §7
        forbids in a response (unknown or repeated parameter, window outside 8..15, a value
        on a no_context_takeover)."""
        seen = set()
        p = cls()
        for name, value in params:
            if name in seen:
                raise ValueError(f"parameter {name} repeated")
            seen.add(name)
            if name in ("server_no_context_takeover", "client_no_context_takeover"):
                if value is not None:
                    raise ValueError(f"{name} has a value ({value!r})")
                setattr(p, name, True)
            elif name in ("server_max_window_bits", "client_max_window_bits"):
                if value is None or not re.fullmatch(r"[1-9][0-9]?", value) or not (
                        8 <= int(value) <= 15):
                    raise ValueError(f"{name}={value!r} is not a window of 8..15 bits")
                setattr(p, name, int(value))
            else:
                raise ValueError(f"unknown parameter {name}")
        return p, seen

    def response_string(self, include_client_bits=None):
        parts = ["permessage-deflate"]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_max_window_bits != 15:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if include_client_bits:
            parts.append(f"client_max_window_bits={include_client_bits}")
        return "; ".join(parts)
