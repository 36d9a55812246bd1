"""One case on one connection: the fuzzer's side of a WebSocket, played on a raw socket.

A Session is either end: role "client" when wirekit's server is under test (our frames masked,
the peer's must not be), role "server" when wirekit's client is under test (the reverse). A
case schedules what to send (frames, chopped writes, pauses) and says what it expects; the
session's loop sends, reads, answers pings, does the closing handshake as Autobahn's fuzzer
does, checks every frame the peer sends against the rules of a strict endpoint, and finally
grades the case the way Autobahn does (received events against the expected lists, then the
closing behaviour: who closed, cleanly or not, with which code)."""
import heapq
import itertools
import select
import socket
import struct
import time
import zlib
from collections import deque

from . import wire

PASS, NON_STRICT, FAIL, INFO = "Pass", "Non-Strict", "Fail", "Info"
# Autobahn's closing-behaviour grades.
CLOSE_OK, CLOSE_FAILED, CLOSE_UNCLEAN, CLOSE_WRONG_CODE, CLOSE_BY_CLIENT = (
    "OK", "FAILED", "UNCLEAN", "WRONG CODE", "FAILED BY CLIENT")

CLOSE_HANDSHAKE_TIMEOUT = 2.0  # our close sent, the peer's awaited
SERVER_DROP_TIMEOUT = 2.0  # as the client: the handshake done, the server's TCP close awaited


class Result:
    def __init__(self, case_id, outcome, reason, duration):
        self.case_id = case_id
        self.outcome = outcome
        self.reason = reason
        self.duration = duration

    def __repr__(self):
        return f"{self.case_id}: {self.outcome} ({self.reason})"


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(value)} bytes)"


def describe_events(events):
    out = []
    for e in events:
        if e[0] == "message":
            out.append(f"{'binary' if e[2] else 'text'} message {_short(e[1])}")
        elif e[0] == "timeout":
            out.append(f"timeout {e[1]}")
        else:
            out.append(f"{e[0]} {_short(e[1])}")
    return "[" + ", ".join(out) + "]"


class Session:
    def __init__(self, sock, role, deflate=None, leftover=b"", max_message=64 << 20):
        self.sock = sock
        self.role = role
        self.mask_out = role == "client"
        self.deflate = deflate  # wire.DeflateParams once negotiated
        if deflate is not None:
            ours_bits, ours_nct, theirs_bits, theirs_nct = (
                (deflate.client_max_window_bits, deflate.client_no_context_takeover,
                 deflate.server_max_window_bits, deflate.server_no_context_takeover)
                if role == "client" else
                (deflate.server_max_window_bits, deflate.server_no_context_takeover,
                 deflate.client_max_window_bits, deflate.client_no_context_takeover))
            self.deflater = wire.Deflater(ours_bits, ours_nct)
            self.inflater = wire.Inflater(theirs_bits, theirs_nct, max_message)
        self.reader = wire.FrameReader(max_frame=max_message)
        if leftover:
            self.reader.feed(leftover)
        self.start = time.monotonic()
        self.received = []
        self.expected = {}
        self.expected_close = {"closed_by_me": True, "codes": [1000], "require_clean": True}
        self.suppress_close = False
        self.on_message = None  # a case's own handler: f(session, payload, binary)
        self.notes = []
        self.violations = []
        self.tx_frames = {}
        self.rx_frames = []
        # sending
        self._out = deque()  # [memoryview, pause_after, frame_no]
        self._frame_no = itertools.count(1)
        self._frame_in_progress = None
        self._next_send = 0.0
        # timers
        self._timers = []
        self._seq = itertools.count()
        # state
        self.sent_close = False
        self.got_close = False
        self.closed_by_me = None
        self.remote_code = None
        self.remote_reason = None
        self.remote_close_raw = None
        self.tcp_closed = False
        self.dropped_by_me = False
        self.was_clean = False
        self.failed_by_me = False
        self._drop_when_flushed = False
        self._close_after_flush = None
        # message assembly
        self._msg_opcode = None
        self._msg_compressed = False
        self._msg_parts = []
        self._msg_utf8 = None
        self._last_mask = None
        self.rx_messages = 0
        self.rx_compressed = 0

    # --- time ------------------------------------------------------------------------------

    def now(self):
        return time.monotonic() - self.start

    def later(self, delay, fn, *args):
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._seq), fn, args))

    def is_open(self):
        return not (self.sent_close or self.got_close or self.tcp_closed)

    def close_after(self, delay):
        """Starts the closing handshake after delay unless the connection is closed by then."""
        self.later(delay, lambda: (not self.sent_close and not self.tcp_closed and
                                   self.send_close(1000)))

    def kill_after(self, delay):
        """The case's fail-safe: after delay the connection is failed by us."""
        self.later(delay, self._kill, delay)

    def _kill(self, delay):
        if self.tcp_closed:
            return
        self.note(f"nothing ended the case within {delay}s: the connection was failed by us")
        self.failed_by_me = True
        if not self.got_close:
            self.closed_by_me = True if self.closed_by_me is None else self.closed_by_me
        self.drop()

    # --- sending ---------------------------------------------------------------------------

    def _enqueue(self, data, chop=None, pause=0.0, pause_each=0.0):
        no = next(self._frame_no)
        pieces = wire.chop(data, chop) if chop else [data]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            self._out.append([memoryview(piece), pause if last else pause_each, no])

    def send_raw(self, data, chop=None, sync=False):
        if self.tcp_closed:
            return
        self._enqueue(data, chop, pause=0.005 if sync else 0.0,
                      pause_each=0.001 if chop and chop < 16 else 0.0)

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, mask=None, chop=None, sync=False,
                   payload_len=None, length_form=None):
        """One frame. payload_len repeats payload up to that length (Autobahn's payload_len);
        mask None masks as our role requires; chop splits the frame's bytes into writes of
        that size; sync sends the frame in a write of its own, followed by a short pause."""
        if self.tcp_closed:
            return
        if isinstance(payload, str):
            payload = payload.encode()
        if payload_len is not None:
            payload = (payload * (payload_len // max(1, len(payload)) + 1))[:payload_len]
        if mask is None:
            mask = self.mask_out
        self.tx_frames[opcode] = self.tx_frames.get(opcode, 0) + 1
        self.send_raw(wire.frame(opcode, payload, fin, rsv, mask, length_form), chop, sync)

    def send_message(self, payload, binary=False, fragment_size=None, compress=None, chop=None):
        """A whole message, compressed when deflate was agreed (compress=False sends it
        plain), in frames of fragment_size payload bytes if given."""
        if isinstance(payload, str):
            payload = payload.encode()
        if compress is None:
            compress = self.deflate is not None
        body = self.deflater.compress(payload) if compress else payload
        pieces = wire.chop(body, fragment_size) if fragment_size else [body]
        if chop or self.tcp_closed:
            for i, piece in enumerate(pieces):
                opcode = (wire.BINARY if binary else wire.TEXT) if i == 0 else wire.CONTINUATION
                self.send_frame(opcode, piece, fin=i == len(pieces) - 1,
                                rsv=4 if compress and i == 0 else 0, chop=chop)
            return
        frames = []
        for i, piece in enumerate(pieces):
            opcode = (wire.BINARY if binary else wire.TEXT) if i == 0 else wire.CONTINUATION
            self.tx_frames[opcode] = self.tx_frames.get(opcode, 0) + 1
            frames.append(wire.frame(opcode, piece, i == len(pieces) - 1,
                                     4 if compress and i == 0 else 0, self.mask_out))
        self.send_raw(b"".join(frames))

    def send_close(self, code=None, reason=b"", payload=None):
        """Our close frame: a code and reason, or any raw payload."""
        if self.sent_close or self.tcp_closed:
            return
        if payload is None:
            payload = wire.close_payload(code, reason)
        if not self.got_close:
            self.closed_by_me = True
            self.later(CLOSE_HANDSHAKE_TIMEOUT, self._close_timeout)
        self.sent_close = True
        self.send_frame(wire.CLOSE, payload)

    def _close_timeout(self):
        if not self.tcp_closed and not self.got_close:
            self.note(f"no close frame answered ours within {CLOSE_HANDSHAKE_TIMEOUT}s")
            self.drop()

    def drop(self):
        """Closes the TCP connection now."""
        if self.tcp_closed:
            return
        self.tcp_closed = True
        self.dropped_by_me = True
        if self.role == "server" and self.sent_close and self.got_close:
            self.was_clean = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def note(self, text):
        self.notes.append(f"{self.now():.3f}s {text}")

    def violation(self, text):
        """The peer broke a rule: recorded, and the connection failed as a strict endpoint
        would (close 1002, then drop)."""
        self.violations.append(text)
        self.note("peer violation: " + text)
        self.failed_by_me = True
        if not self.tcp_closed:
            self._out.clear()
            if not self.sent_close and not self.got_close:
                self.closed_by_me = True
                self.sent_close = True
                try:
                    self.sock.sendall(wire.frame(wire.CLOSE, wire.close_payload(1002),
                                                 mask=self.mask_out))
                except OSError:
                    pass
            self.drop()

    # --- the loop --------------------------------------------------------------------------

    def run(self, limit):
        """Runs until the TCP connection is closed, at most limit seconds."""
        deadline = time.monotonic() + limit
        self.sock.setblocking(False)
        if self.reader.buffer:
            self._process()
        while not self.tcp_closed:
            now = time.monotonic()
            if now >= deadline:
                self.note(f"the case ran into its limit of {limit}s")
                self.failed_by_me = True
                self.drop()
                break
            while self._timers and self._timers[0][0] <= now and not self.tcp_closed:
                _, _, fn, args = heapq.heappop(self._timers)
                fn(*args)
                now = time.monotonic()
            if self.tcp_closed:
                break
            if not self._out and self._drop_when_flushed:
                self.drop()
                break
            wait = deadline - now
            if self._timers:
                wait = min(wait, self._timers[0][0] - now)
            want_write = bool(self._out) and now >= self._next_send
            if self._out and not want_write:
                wait = min(wait, self._next_send - now)
            try:
                readable, writable, _ = select.select(
                    [self.sock], [self.sock] if want_write else [], [], max(0.0, wait))
            except (OSError, ValueError):
                self._tcp_lost()
                break
            if readable:
                self._read()
            if writable and not self.tcp_closed:
                self._write()

    def _read(self):
        try:
            data = self.sock.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError as e:
            self.note(f"reading failed: {e}")
            self._tcp_lost()
            return
        if not data:
            self._tcp_lost()
            return
        self.reader.feed(data)
        self._process()

    def _write(self):
        while self._out:
            item = self._out[0]
            view = item[0]
            try:
                n = self.sock.send(view[:1 << 18])
            except BlockingIOError:
                return
            except OSError as e:
                self.note(f"writing failed: {e}")
                self._out.clear()
                return
            self._frame_in_progress = item[2]
            if n < len(view):
                item[0] = view[n:]
                return
            self._out.popleft()
            if item[1]:
                self._next_send = time.monotonic() + item[1]
                return
            if len(view) < 1 << 18 and self._out and self._out[0][2] == item[2]:
                return  # a chop: its next piece goes out in a write of its own

    def _tcp_lost(self):
        if self.tcp_closed:
            return
        self.tcp_closed = True
        if self.sent_close and self.got_close:
            self.was_clean = True
        try:
            self.sock.close()
        except OSError:
            pass

    # --- what the peer sends ----------------------------------------------------------------

    def _process(self):
        try:
            frames = self.reader.frames()
        except wire.FrameError as e:
            self.violation(str(e))
            return
        for f in frames:
            if self.tcp_closed:
                return
            self.rx_frames.append((f.opcode, f.fin, f.rsv, f.length))
            self._frame(f)

    def _frame(self, f):
        if self.got_close:
            self.violation(f"a frame (opcode {f.opcode:#x}) after the peer's close frame")
            return
        if self.role == "server":
            if not f.masked:
                self.violation("an unmasked frame from the client")
                return
            if f.mask == self._last_mask and f.length:
                self.note(f"two frames in a row with the same mask key {f.mask.hex()}")
            self._last_mask = f.mask
        elif f.masked:
            self.violation("a masked frame from the server")
            return
        if f.opcode not in wire.DATA_OPCODES and f.opcode not in wire.CONTROL_OPCODES:
            self.violation(f"reserved opcode {f.opcode:#x}")
            return
        rsv1_ok = (self.deflate is not None and f.opcode in (wire.TEXT, wire.BINARY))
        if f.rsv & 3 or (f.rsv & 4 and not rsv1_ok):
            self.violation(f"RSV bits {f.rsv:03b} on a frame with opcode {f.opcode:#x}")
            return
        if f.opcode in wire.CONTROL_OPCODES:
            if not f.fin:
                self.violation(f"a fragmented control frame (opcode {f.opcode:#x})")
                return
            if f.opcode == wire.PING:
                self.received.append(("ping", f.payload))
                if self.is_open():
                    self.send_frame(wire.PONG, f.payload)
                self._check_done()
            elif f.opcode == wire.PONG:
                self.received.append(("pong", f.payload))
                self._check_done()
            else:
                self._close_frame(f.payload)
            return
        if f.opcode == wire.CONTINUATION:
            if self._msg_opcode is None:
                self.violation("a continuation frame with no message to continue")
                return
        else:
            if self._msg_opcode is not None:
                self.violation("a new data frame inside a fragmented message")
                return
            self._msg_opcode = f.opcode
            self._msg_compressed = bool(f.rsv & 4)
            self._msg_parts = []
            self._msg_size = 0
            self._msg_utf8 = (wire.Utf8Stream() if f.opcode == wire.TEXT and
                              not self._msg_compressed else None)
        self._msg_parts.append(f.payload)
        self._msg_size += len(f.payload)
        if self._msg_utf8 is not None and not self._msg_utf8.feed(f.payload, f.fin):
            self.violation("a text message that is not valid UTF-8")
            return
        if not f.fin:
            return
        payload = b"".join(self._msg_parts)
        opcode, compressed = self._msg_opcode, self._msg_compressed
        self._msg_opcode = None
        self._msg_parts = []
        if compressed:
            try:
                payload = self.inflater.decompress(payload)
            except (zlib.error, ValueError) as e:
                self.violation(f"a compressed message that does not inflate with the agreed "
                               f"parameters ({self.deflate}): {e}")
                return
            if opcode == wire.TEXT and not wire.utf8_valid(payload):
                self.violation("a (compressed) text message that is not valid UTF-8")
                return
        binary = opcode == wire.BINARY
        self.rx_messages += 1
        self.rx_compressed += compressed
        if self.on_message is not None:
            self.on_message(self, payload, binary)
        else:
            self.received.append(("message", payload, binary))
            self._check_done()

    def _close_frame(self, payload):
        self.remote_close_raw = payload
        if len(payload) == 1:
            self.violation("a close frame with a 1-byte payload")
            return
        if len(payload) >= 2:
            self.remote_code = struct.unpack("!H", payload[:2])[0]
            self.remote_reason = payload[2:]
            if not wire.utf8_valid(self.remote_reason):
                self.violation("a close reason that is not valid UTF-8")
                return
            if self.remote_code not in wire.VALID_CLOSE_CODES:
                self.note(f"the peer's close code {self.remote_code} is not one an endpoint "
                          "may send")
                self.violations.append(f"close code {self.remote_code} on the wire")
        self.got_close = True
        if self.closed_by_me is None:
            self.closed_by_me = False
        half_written = bool(self._out) and self._out[0][2] == self._frame_in_progress
        if half_written:
            # A frame of ours is half-written: neither its rest nor a close can follow.
            self.note("the peer's close came while a frame of ours was half-written; its rest "
                      "and our close are not sent")
            self._out.clear()
        elif not self.sent_close:
            # Echo it, as Autobahn does.
            self._out.clear()
            self.sent_close = True
            self.send_frame(wire.CLOSE, wire.close_payload(self.remote_code))
        if self.role == "server":
            self._drop_when_flushed = True
        else:
            self.later(SERVER_DROP_TIMEOUT, self._server_drop_timeout)

    def _server_drop_timeout(self):
        if not self.tcp_closed:
            self.note(f"the server did not close the TCP connection within "
                      f"{SERVER_DROP_TIMEOUT}s of the closing handshake")
            self.drop()

    def _check_done(self):
        """Autobahn's finishWhenDone: once what was received matches every expected list, we
        start the closing handshake if the case expects us to."""
        if not self.expected or self.sent_close or self.suppress_close:
            return
        if all(self.received == v for v in self.expected.values()):
            if self.expected_close["closed_by_me"]:
                self.send_close(self.expected_close["codes"][0])

    # --- grading ---------------------------------------------------------------------------

    def closing_summary(self):
        if self.remote_close_raw is None:
            peer = "no close frame from the peer"
        elif self.remote_code is None:
            peer = "the peer's close had no code"
        else:
            peer = f"the peer closed with {self.remote_code}"
            if self.remote_reason:
                peer += f" ({bytes(self.remote_reason[:80])!r})"
        by = "us" if self.dropped_by_me else "the peer"
        return (f"{peer}; TCP closed by {by} at {self.now():.3f}s"
                f"{', after a clean closing handshake' if self.was_clean else ''}")

    def grade(self, opened=True):
        """(behavior, behavior_close, result, result_close) as Autobahn computes them."""
        behavior, result = FAIL, ("Actual events differ from any expected: got "
                                  + describe_events(self.received))
        for outcome, events in self.expected.items():
            if self.received == events:
                behavior, result = outcome, "Actual events match at least one expected."
                break
        ec = self.expected_close
        if not opened:
            return FAIL, CLOSE_FAILED, result, "The opening handshake was never completed"
        closed_by_me = bool(self.closed_by_me)
        if ec["closed_by_me"] != closed_by_me:
            close, rc = CLOSE_FAILED, ("The connection was failed by the wrong endpoint "
                                       f"({'us' if closed_by_me else 'the peer'})")
        elif ec["require_clean"] and not self.was_clean:
            close, rc = CLOSE_UNCLEAN, "The spec requires the connection to be closed cleanly"
        elif self.remote_code is not None and self.remote_code not in ec["codes"]:
            close, rc = CLOSE_WRONG_CODE, (f"The close code should have been "
                                           f"{','.join(map(str, ec['codes']))} or empty, "
                                           f"got {self.remote_code}")
        elif self.role == "client" and self.dropped_by_me:
            close, rc = CLOSE_BY_CLIENT, "It is preferred that the server close the TCP connection"
        else:
            close, rc = CLOSE_OK, "Connection was properly closed"
        if ec.get("wrong_endpoint_fatal") and ec["closed_by_me"] != closed_by_me:
            behavior = FAIL
        return behavior, close, result, rc


def final_outcome(behavior, close, result, result_close, violations=()):
    """One grade for the report: a Fail in either column fails; a wrong close code or a client
    that had to drop the connection is Non-Strict, as Autobahn colours them."""
    if behavior == INFO:
        return INFO, result + ("; " + "; ".join(violations) if violations else "")
    if violations:
        return FAIL, "peer broke the protocol: " + "; ".join(violations)
    if behavior == FAIL:
        return FAIL, result
    if close in (CLOSE_FAILED, CLOSE_UNCLEAN):
        return FAIL, result_close
    if close in (CLOSE_WRONG_CODE, CLOSE_BY_CLIENT):
        return NON_STRICT, result_close
    if behavior == NON_STRICT:
        return NON_STRICT, result
    return PASS, result
