"""The cases, by Autobahn group, written from the descriptions and expectations of
crossbario/autobahn-testsuite (autobahntestsuite/case/case*.py); the same cases serve both
modes, as Autobahn's fuzzingclient (against a server) and fuzzingserver (against a client)
play them. Groups "limits" and "strict" are wirekit's additions: the default 1 MiB message
limit (1009) and framing rules of a strict endpoint Autobahn does not probe (non-minimal
lengths, a 64-bit length with its MSB set, masking by role, RSV1 where deflate forbids it).

A case is a play(session) function that, like Autobahn's onOpen, states the expected events
and closing behaviour and schedules what to send; some have a finish(session, grade) hook that
adjusts the grade as the Autobahn case does (7.x: a wrong close code fails the case; 7.1.6 and
7.13.x are informational; 9.x, 12.x and 13.x judge the echoes themselves).

Timers that only end a case whose peer does not answer (Autobahn's killAfter, closeAfter) are
longer than Autobahn's (2-3 s instead of 0.5-1 s), so a loaded machine does not turn a slow
answer into a failure; they cost time only when a case fails. The waits that are part of a
case (5.19's 1 s, 6.4.x's 1 s before the invalid part) are Autobahn's.

Groups 12 and 13 send fewer messages than Autobahn's 1000 for the larger sizes, to fit the
suite's time budget: MESSAGE_COUNTS gives the count for each size."""
import hashlib

from . import corpora, wire
from .session import FAIL, INFO, NON_STRICT, PASS

OK_CLOSE = {"closed_by_me": True, "codes": [1000], "require_clean": True}


def fail_close(*codes, fatal=False):
    return {"closed_by_me": False, "codes": list(codes or [1002]), "require_clean": False,
            "wrong_endpoint_fatal": fatal}


class Case:
    def __init__(self, case_id, description, expectation, play, finish=None, limit=10.0,
                 offers=None, accepts=None, modes=("server", "client"), limits="big"):
        self.id = case_id
        self.description = description
        self.expectation = expectation
        self.play = play
        self.finish = finish
        self.limit = limit
        self.offers = offers  # server mode: our permessage-deflate offers
        self.accepts = accepts  # client mode: how the fuzzing server answers the offer
        self.modes = modes
        self.limits = limits  # "big": the 16 MiB peer; "default": the peer with its default

    def __repr__(self):
        return f"Case({self.id})"


def sort_key(case_id):
    return [int(p) if p.isdigit() else p for p in case_id.split(".")]


CASES = {}


def add(group, case):
    CASES.setdefault(group, []).append(case)
    return case


def group_of(case_id):
    return case_id.split(".")[0]


def _case(case_id, description, expectation, play, **kw):
    return add(group_of(case_id), Case(case_id, description, expectation, play, **kw))


def echo_case(case_id, description, events, send, wait=3.0, kill=None, **kw):
    """Send, expect exactly these events, then we close with 1000, cleanly."""
    def play(s):
        s.expected[PASS] = list(events)
        s.expected_close = dict(OK_CLOSE)
        send(s)
        if kill is not None:
            s.kill_after(kill)
        else:
            s.close_after(wait)
    return _case(case_id, description, "Receive " + ("nothing" if not events else
                 "the echo/pongs") + "; clean close with 1000.", play, **kw)


def fail_case(case_id, description, send, code=1002, ok=(), non_strict=None, fatal=False,
              kill=2.0, **kw):
    """Send something a strict peer must fail the connection on."""
    codes = code if isinstance(code, tuple) else (code,)

    def play(s):
        s.expected[PASS] = list(ok)
        if non_strict is not None:
            s.expected[NON_STRICT] = list(non_strict)
        s.expected_close = fail_close(*codes, fatal=fatal)
        send(s)
        s.kill_after(kill)
    return _case(case_id, description, f"The connection is failed "
                 f"({' or '.join(map(str, codes))}).", play, **kw)


def msg(payload, binary=False):
    return ("message", payload.encode() if isinstance(payload, str) else payload, binary)


# --- 1 Framing -----------------------------------------------------------------------------

SIZES_1 = [0, 125, 126, 127, 128, 65535, 65536]
for _g, (_op, _byte, _binary) in enumerate([(wire.TEXT, b"*", False),
                                           (wire.BINARY, b"\xfe", True)], start=1):
    for _i, _n in enumerate(SIZES_1 + [65536], start=1):
        _chop = 997 if _i == 8 else None
        echo_case(f"1.{_g}.{_i}",
                  f"Send a {'binary' if _binary else 'text'} message with a payload of {_n} "
                  f"bytes{' in writes of 997 bytes' if _chop else ''}.",
                  [msg(_byte * _n, _binary)],
                  lambda s, op=_op, p=_byte * _n, c=_chop: s.send_frame(op, p, chop=c),
                  kill=3 if _n < 1000 else 10)

# --- 2 Pings/Pongs -------------------------------------------------------------------------

for _id, _desc, _payload in [("2.1", "Send a ping without payload.", b""),
                             ("2.2", "Send a ping with a small text payload.", b"Hello, world!"),
                             ("2.3", "Send a ping with a small binary (non UTF-8) payload.",
                              b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"),
                             ("2.4", "Send a ping with a binary payload of 125 bytes.",
                              b"\xfe" * 125)]:
    echo_case(_id, _desc, [("pong", _payload)],
              lambda s, p=_payload: s.send_frame(wire.PING, p))

fail_case("2.5", "Send a ping with a binary payload of 126 bytes (control frames carry at most "
          "125).", lambda s: s.send_frame(wire.PING, b"\xfe" * 126))
echo_case("2.6", "Send a ping with a payload of 125 bytes in 1-byte writes.",
          [("pong", b"\xfe" * 125)], lambda s: s.send_frame(wire.PING, b"\xfe" * 125, chop=1))


def _pong_then_close(payload):
    def send(s):
        s.send_frame(wire.PONG, payload)
        s.send_close(1000)
    return send


echo_case("2.7", "Send an unsolicited pong without payload, then close.", [],
          _pong_then_close(b""))
echo_case("2.8", "Send an unsolicited pong with payload, then close.", [],
          _pong_then_close(b"unsolicited pong payload"))


def _pong_ping(s):
    s.send_frame(wire.PONG, b"unsolicited pong payload")
    s.send_frame(wire.PING, b"ping payload")


echo_case("2.9", "Send an unsolicited pong with payload, then a ping with payload.",
          [("pong", b"ping payload")], _pong_ping)
for _id, _chop in [("2.10", None), ("2.11", 1)]:
    echo_case(_id, "Send 10 pings with payload" + (" in 1-byte writes." if _chop else "."),
              [("pong", f"payload-{i}".encode()) for i in range(10)],
              lambda s, c=_chop: [s.send_frame(wire.PING, f"payload-{i}".encode(), chop=c)
                                  for i in range(10)])

# --- 3 Reserved bits -----------------------------------------------------------------------

HELLO = b"Hello, world!"
fail_case("3.1", "Send a small text message with RSV = 1.",
          lambda s: s.send_frame(wire.TEXT, HELLO, rsv=1))


def _rsv_after_echo(rsv, chop=None, sync=False):
    def send(s):
        s.send_frame(wire.TEXT, HELLO, chop=chop, sync=sync)
        s.send_frame(wire.TEXT, HELLO, rsv=rsv, chop=chop, sync=sync)
        s.send_frame(wire.PING, b"", chop=chop, sync=sync)
    return send


for _id, _rsv, _chop, _sync, _how in [("3.2", 2, None, False, ""),
                                      ("3.3", 3, None, True, " Frames are sent in writes of "
                                       "their own."),
                                      ("3.4", 4, 1, False, " Sent in 1-byte writes.")]:
    fail_case(_id, f"Send a small text message, then again with RSV = {_rsv}, then a ping.{_how}",
              _rsv_after_echo(_rsv, _chop, _sync), ok=[msg(HELLO)], non_strict=[])
fail_case("3.5", "Send a small binary message with RSV = 5.",
          lambda s: s.send_frame(wire.BINARY, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=5))
fail_case("3.6", "Send a ping with RSV = 6.", lambda s: s.send_frame(wire.PING, HELLO, rsv=6))
fail_case("3.7", "Send a close with RSV = 7.", lambda s: s.send_frame(wire.CLOSE, b"", rsv=7))

# --- 4 Opcodes -----------------------------------------------------------------------------


def _reserved_opcode(op, payload, after_echo, chop=None):
    def send(s):
        if after_echo:
            s.send_frame(wire.TEXT, HELLO, chop=chop)
        s.send_frame(op, payload, chop=chop)
        if after_echo:
            s.send_frame(wire.PING, b"", chop=chop)
    return send


for _base, _ops in [("4.1", [3, 4, 5, 6, 7]), ("4.2", [11, 12, 13, 14, 15])]:
    for _i, _op in enumerate(_ops, start=1):
        _payload = b"" if _i in (1, 3) else (b"reserved opcode payload" if _i == 2 else HELLO)
        _after = _i >= 3
        _chop = 1 if _i == 5 else None
        _desc = (f"Send a frame with the reserved {'non-' if _base == '4.1' else ''}control "
                 f"opcode {_op}" + (" and a non-empty payload" if _payload else ""))
        if _after:
            _desc = f"Send a small text message, then {_desc[5].lower()}{_desc[6:]}, then a ping"
        _desc += " (1-byte writes)." if _chop else "."
        fail_case(f"{_base}.{_i}", _desc, _reserved_opcode(_op, _payload, _after, _chop),
                  ok=[msg(HELLO)] if _after else [], non_strict=[] if _after else None)

# --- 5 Fragmentation -----------------------------------------------------------------------


def _frames(*frames, chop=None, sync=False):
    def send(s):
        for op, payload, fin in frames:
            s.send_frame(op, payload, fin=fin, chop=chop, sync=sync)
    return send


fail_case("5.1", "Send a ping fragmented into 2 fragments.",
          _frames((wire.PING, b"fragment1", False), (wire.CONTINUATION, b"fragment2", True)))
fail_case("5.2", "Send a pong fragmented into 2 fragments.",
          _frames((wire.PONG, b"fragment1", False), (wire.CONTINUATION, b"fragment2", True)))
_TWO = ((wire.TEXT, b"fragment1", False), (wire.CONTINUATION, b"fragment2", True))
for _id, _chop, _sync, _how in [("5.3", None, False, ""), ("5.4", None, True, ", each frame in "
                                "a write of its own"), ("5.5", 1, False, ", in 1-byte writes")]:
    echo_case(_id, f"Send a text message fragmented into 2 fragments{_how}.",
              [msg(b"fragment1fragment2")], _frames(*_TWO, chop=_chop, sync=_sync))
_PING_BETWEEN = ((wire.TEXT, b"fragment1", False), (wire.PING, b"ping payload", True),
                 (wire.CONTINUATION, b"fragment2", True))
for _id, _chop, _sync, _how in [("5.6", None, False, ""), ("5.7", None, True, ", each frame in "
                                "a write of its own"), ("5.8", 1, False, ", in 1-byte writes")]:
    echo_case(_id, f"Send a text message in 2 fragments with a ping in between{_how}.",
              [("pong", b"ping payload"), msg(b"fragment1fragment2")],
              _frames(*_PING_BETWEEN, chop=_chop, sync=_sync))
for _n, _fin in [(9, True), (12, False)]:
    for _k, (_chop, _sync, _how) in enumerate([(None, False, "in one write"),
                                              (None, True, "frame by frame"),
                                              (1, False, "in 1-byte writes")]):
        fail_case(f"5.{_n + _k}", f"Send a continuation frame with FIN = {_fin} where there is "
                  f"nothing to continue, then a text message, {_how}.",
                  _frames((wire.CONTINUATION, b"non-continuation payload", _fin),
                          (wire.TEXT, HELLO, True), chop=_chop, sync=_sync))
fail_case("5.15", "Send a text message in 2 fragments, then a continuation frame with FIN = "
          "false where there is nothing to continue, then a text message, all in one write.",
          _frames((wire.TEXT, b"fragment1", False), (wire.CONTINUATION, b"fragment2", True),
                  (wire.CONTINUATION, b"fragment3", False), (wire.TEXT, b"fragment4", True)),
          ok=[msg(b"fragment1fragment2")], non_strict=[])
for _id, _fin in [("5.16", False), ("5.17", True)]:
    fail_case(_id, f"Twice: a continuation frame with FIN = {_fin} (nothing to continue), then "
              "a text message in 2 fragments.",
              _frames(*[(wire.CONTINUATION, b"fragment1", _fin), (wire.TEXT, b"fragment2", False),
                        (wire.CONTINUATION, b"fragment3", True)] * 2))
fail_case("5.18", "Send a text message in 2 fragments, both frames with the text opcode.",
          _frames((wire.TEXT, b"fragment1", False), (wire.TEXT, b"fragment2", True)))


def _play_5_19(sync):
    fragments = [f"fragment{i}".encode() for i in range(1, 6)]

    def play(s):
        s.expected[PASS] = [("pong", b"pongme 1!"), ("pong", b"pongme 2!"),
                            msg(b"".join(fragments))]
        s.expected_close = dict(OK_CLOSE)
        s.send_frame(wire.TEXT, fragments[0], fin=False, sync=sync)
        s.send_frame(wire.CONTINUATION, fragments[1], fin=False, sync=sync)
        s.send_frame(wire.PING, b"pongme 1!", sync=sync)

        def part2():
            if not s.is_open():
                return
            s.pong_before_part2 = ("pong", b"pongme 1!") in s.received
            s.send_frame(wire.CONTINUATION, fragments[2], fin=False, sync=sync)
            s.send_frame(wire.CONTINUATION, fragments[3], fin=False, sync=sync)
            s.send_frame(wire.PING, b"pongme 2!", sync=sync)
            s.send_frame(wire.CONTINUATION, fragments[4], fin=True, sync=sync)
            s.close_after(3)
        s.later(1.0, part2)
    return play


def _finish_5_19(s, grade):
    behavior, close, result, result_close = grade
    if behavior == PASS and not getattr(s, "pong_before_part2", False):
        return (FAIL, close, "the first ping was not answered before the rest of the "
                "fragmented message was sent (1 s later)", result_close)
    return grade


for _id, _sync in [("5.19", False), ("5.20", True)]:
    _case(_id, "A text message in 5 fragments; after the first 2 a ping; 1 s later 2 more "
          "fragments, a ping and the last fragment" + (", each frame in a write of its own."
                                                       if _sync else "."),
          "The first ping is answered at once, before the message ends; both pongs, then the "
          "echo.", _play_5_19(_sync), finish=_finish_5_19)

# --- 6 UTF-8 handling ----------------------------------------------------------------------

echo_case("6.1.1", "Send a text message of length 0.", [msg(b"")],
          lambda s: s.send_frame(wire.TEXT, b""))
echo_case("6.1.2", "Send a text message in 3 fragments, each of length 0.", [msg(b"")],
          _frames((wire.TEXT, b"", False), (wire.CONTINUATION, b"", False),
                  (wire.CONTINUATION, b"", True)))
echo_case("6.1.3", "Send a text message in 3 fragments, the first and last of length 0.",
          [msg(b"middle frame payload")],
          _frames((wire.TEXT, b"", False), (wire.CONTINUATION, b"middle frame payload", False),
                  (wire.CONTINUATION, b"", True)))
_MIXED = "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!".encode()
_KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
echo_case("6.2.1", "Send a valid UTF-8 text message in one fragment.", [msg(_MIXED)],
          lambda s: s.send_message(_MIXED))
echo_case("6.2.2", "Send a valid UTF-8 text message in two fragments, split on a code point "
          "boundary.", [msg(_MIXED)],
          _frames((wire.TEXT, "Hello-\u00b5@\u00df\u00f6\u00e4".encode(), False),
                  (wire.CONTINUATION, "\u00fc\u00e0\u00e1-UTF-8!!".encode(), True)))
echo_case("6.2.3", "Send a valid UTF-8 text message in frames of 1 byte (splitting code "
          "points).", [msg(_MIXED)], lambda s: s.send_message(_MIXED, fragment_size=1))
echo_case("6.2.4", "Send a valid UTF-8 text message (Greek) in frames of 1 byte.", [msg(_KOSME)],
          lambda s: s.send_message(_KOSME, fragment_size=1))
_BAD = _KOSME + b"\xed\xa0\x80" + b"edited"
fail_case("6.3.1", "Send an invalid UTF-8 text message (a surrogate at byte 12) unfragmented.",
          lambda s: s.send_message(_BAD), code=1007, fatal=True)
fail_case("6.3.2", "Send the invalid UTF-8 text message of 6.3.1 in frames of 1 byte.",
          lambda s: s.send_message(_BAD, fragment_size=1), code=1007, fatal=True)

_FF = _KOSME + b"\xf4\x90\x80\x80" + b"edited"  # U+110000 encoded: invalid at byte 12 (0x90)


def _play_6_4(parts, chops):
    """Fail-fast: part 1 (valid) is sent, then a pause of 1 s; the peer must not have closed.
    Then part 2, which makes the text invalid: the peer must close with 1007 before we send
    part 3, 2 s later (Autobahn waits 1 s); if it waits for part 3 it is Non-Strict."""
    def play(s):
        s.expected[PASS] = [("timeout", "A")]
        s.expected[NON_STRICT] = [("timeout", "A"), ("timeout", "B")]
        s.expected_close = fail_close(1007, fatal=True)
        if chops:
            s.chunks = _chunked_frame(s, parts)
            s.send_raw(s.chunks[0])
        else:
            s.send_frame(wire.TEXT, parts[0], fin=False)

        def part(i):
            if not s.is_open():
                return
            s.received.append(("timeout", "AB"[i - 1]))
            if chops:
                s.send_raw(s.chunks[i])
            else:
                s.send_frame(wire.CONTINUATION, parts[i], fin=i == 2)
            if i == 1:
                s.later(2.0, part, 2)
            else:
                s.kill_after(2.0)
        s.later(1.0, part, 1)
    return play


def _chunked_frame(s, parts):
    """One text frame holding all the parts, cut into three writes at the part boundaries
    (the header and mask go with the first)."""
    data = wire.frame(wire.TEXT, b"".join(parts), mask=s.mask_out)
    head = len(data) - sum(len(p) for p in parts)
    cuts = [head + len(parts[0]), head + len(parts[0]) + len(parts[1])]
    return [data[:cuts[0]], data[cuts[0]:cuts[1]], data[cuts[1]:]]


for _id, _parts, _chops, _desc in [
        ("6.4.1", [_KOSME, b"\xf4\x90\x80\x80", b"edited"], False,
         "in 3 frames: valid, then the one that makes it invalid (U+110000), then the rest"),
        ("6.4.2", [_FF[:12], _FF[12:13], _FF[13:]], False,
         "in 3 frames, the second only the byte that makes it invalid"),
        ("6.4.3", [_KOSME, b"\xf4\x90\x80\x80", b"edited"], True,
         "as 6.4.1, but in 3 writes of one frame"),
        ("6.4.4", [_FF[:12], _FF[12:13], _FF[13:]], True,
         "as 6.4.2, but in 3 writes of one frame")]:
    _case(_id, f"Send an invalid UTF-8 text message {_desc}, pausing 1 s between the parts.",
          "The part making the text invalid is rejected at once with 1007 (fail fast), before "
          "the rest is sent.", _play_6_4(_parts, _chops))


def utf8_sequences():
    """Markus Kuhn's UTF-8 decoder capability and stress test (UTF-8-test.txt), as Autobahn's
    6.5-6.23 take it: [(title, [(valid, bytes)])]."""
    kosme = _KOSME
    groups = [("Some valid UTF-8 sequences",
               [(True, b"hello\x24world"), (True, b"hello\xc2\xa2world"),
                (True, b"hello\xe2\x82\xacworld"), (True, b"hello\xf0\xa4\xad\xa2world"),
                (True, kosme)]),
              ("All prefixes of a valid UTF-8 string with multi-byte code points",
               [(wire.utf8_valid(kosme[:i]), kosme[:i]) for i in range(1, len(kosme) + 1)]),
              ("First possible sequence of a certain length",
               [(True, b"\x00"), (True, b"\xc2\x80"), (True, b"\xe0\xa0\x80"),
                (True, b"\xf0\x90\x80\x80")]),
              ("First possible sequence length 5/6 (invalid code points)",
               [(False, b"\xf8\x88\x80\x80\x80"), (False, b"\xfc\x84\x80\x80\x80\x80")]),
              ("Last possible sequence of a certain length",
               [(True, b"\x7f"), (True, b"\xdf\xbf"), (True, b"\xef\xbf\xbf"),
                (True, b"\xf4\x8f\xbf\xbf")]),
              ("Last possible sequence length 4/5/6 (invalid code points)",
               [(False, b"\xf7\xbf\xbf\xbf"), (False, b"\xfb\xbf\xbf\xbf\xbf"),
                (False, b"\xfd\xbf\xbf\xbf\xbf\xbf")]),
              ("Other boundary conditions",
               [(True, b"\xed\x9f\xbf"), (True, b"\xee\x80\x80"), (True, b"\xef\xbf\xbd"),
                (True, b"\xf4\x8f\xbf\xbf"), (False, b"\xf4\x90\x80\x80")]),
              ("Unexpected continuation bytes",
               [(False, b"\x80"), (False, b"\xbf"), (False, b"\x80\xbf"),
                (False, b"\x80\xbf\x80"), (False, b"\x80\xbf\x80\xbf"),
                (False, b"\x80\xbf\x80\xbf\x80"), (False, b"\x80\xbf\x80\xbf\x80\xbf"),
                (False, bytes(range(0x80, 0xbf)))]),
              ("Lonely start characters",
               [(False, b"".join(bytes([c, 0x20]) for c in range(lo, hi)))
                for lo, hi in [(0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb),
                               (0xfc, 0xfd)]])]
    missing = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
               b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    groups += [("Sequences with last continuation byte missing", [(False, m) for m in missing]),
               ("Concatenation of incomplete sequences", [(False, b"".join(missing))]),
               ("Impossible bytes", [(False, b"\xfe"), (False, b"\xff"),
                                     (False, b"\xfe\xfe\xff\xff")]),
               ("Examples of an overlong ASCII character",
                [(False, b"\xc0\xaf"), (False, b"\xe0\x80\xaf"), (False, b"\xf0\x80\x80\xaf"),
                 (False, b"\xf8\x80\x80\x80\xaf"), (False, b"\xfc\x80\x80\x80\x80\xaf")]),
               ("Maximum overlong sequences",
                [(False, b"\xc1\xbf"), (False, b"\xe0\x9f\xbf"), (False, b"\xf0\x8f\xbf\xbf"),
                 (False, b"\xf8\x87\xbf\xbf\xbf"), (False, b"\xfc\x83\xbf\xbf\xbf\xbf")]),
               ("Overlong representation of the NUL character",
                [(False, b"\xc0\x80"), (False, b"\xe0\x80\x80"), (False, b"\xf0\x80\x80\x80"),
                 (False, b"\xf8\x80\x80\x80\x80"), (False, b"\xfc\x80\x80\x80\x80\x80")]),
               ("Single UTF-16 surrogates",
                [(False, bytes([0xed, b, c])) for b, c in [(0xa0, 0x80), (0xad, 0xbf),
                                                          (0xae, 0x80), (0xaf, 0xbf),
                                                          (0xb0, 0x80), (0xbe, 0x80),
                                                          (0xbf, 0xbf)]]),
               ("Paired UTF-16 surrogates",
                [(False, bytes([0xed, h1, h2, 0xed, l1, l2]))
                 for h1, h2 in [(0xa0, 0x80), (0xad, 0xbf), (0xae, 0x80), (0xaf, 0xbf)]
                 for l1, l2 in [(0xb0, 0x80), (0xbf, 0xbf)]])]
    nonchars = [(True, b"\xef\xbf\xbe"), (True, b"\xef\xbf\xbf")]
    for lead in (0xf0, 0xf1, 0xf2, 0xf3, 0xf4):
        for second in (0x8f, 0x9f, 0xaf, 0xbf):
            if lead == 0xf4 and second != 0x8f:
                continue  # beyond U+10FFFF
            for last in (0xbe, 0xbf):
                seq = bytes([lead, second, 0xbf, last])
                if seq not in (b"\xf0\x8f\xbf\xbe", b"\xf0\x8f\xbf\xbf"):  # overlong
                    nonchars.append((True, seq))
    groups += [("Non-character code points (valid UTF-8)", nonchars),
               ("Unicode specials (i.e. the replacement character)",
                [(True, bytes([0xef, 0xbf, c])) for c in range(0xb9, 0xc0)])]
    return groups


for _i, (_title, _seqs) in enumerate(utf8_sequences(), start=5):
    for _j, (_valid, _payload) in enumerate(_seqs, start=1):
        _id = f"6.{_i}.{_j}"
        if _valid:
            echo_case(_id, f"{_title}: send a text message with the valid UTF-8 payload "
                      f"{_payload.hex()} in one frame.", [msg(_payload)],
                      lambda s, p=_payload: s.send_message(p), kill=3)
        else:
            fail_case(_id, f"{_title}: send a text message with the invalid UTF-8 payload "
                      f"{_payload.hex()} in one frame.",
                      lambda s, p=_payload: s.send_message(p), code=1007, fatal=True)

# --- 7 Close handling ----------------------------------------------------------------------


def _wrong_code_fails(s, grade):
    behavior, close, result, result_close = grade
    if close == "WRONG CODE":
        return FAIL, close, result_close, result_close
    return grade


def close_case(case_id, description, expectation, send, codes=(1000,), clean=True, events=(),
               suppress=True):
    def play(s):
        s.suppress_close = suppress
        s.expected[PASS] = list(events)
        s.expected_close = {"closed_by_me": True, "codes": list(codes), "require_clean": clean}
        send(s)
        s.kill_after(2.0)
    return _case(case_id, description, expectation, play, finish=_wrong_code_fails)


close_case("7.1.1", "Send a message, then (once it is echoed) a close frame.",
           "The echo, then a clean close with 1000.",
           lambda s: s.send_frame(wire.TEXT, b"Hello World!"), events=[msg(b"Hello World!")],
           suppress=False)


def _close_then(*frames):
    def send(s):
        s.send_close(1000)
        for op, payload, fin in frames:
            s.send_frame(op, payload, fin=fin)
    return send


close_case("7.1.2", "Send two close frames.", "Clean close with 1000; the second close ignored.",
           _close_then((wire.CLOSE, b"", True)))
close_case("7.1.3", "Send a ping after the close frame.", "Clean close with 1000, no pong.",
           _close_then((wire.PING, b"", True)))
close_case("7.1.4", "Send a text message after the close frame.",
           "Clean close with 1000; the message ignored.",
           _close_then((wire.TEXT, b"Hello World!", True)))


def _fragment_close_fragment(s):
    s.send_frame(wire.TEXT, b"fragment1", fin=False)
    s.send_close(1000)
    s.send_frame(wire.CONTINUATION, b"fragment2", fin=True)


close_case("7.1.5", "Send a message's first fragment, then a close, then the last fragment.",
           "Clean close with 1000.", _fragment_close_fragment)


def _play_7_1_6(s):
    s.suppress_close = True
    s.expected[PASS] = [msg(b"Hello World!")]
    s.expected[NON_STRICT] = []
    s.expected_close = dict(OK_CLOSE)
    s.send_frame(wire.TEXT, b"BAsd7&jh23", payload_len=256 * 1024)
    s.send_frame(wire.TEXT, b"Hello World!")
    s.send_close(1000)
    s.send_frame(wire.PING, b"")
    s.kill_after(2.0)


def _finish_7_1_6(s, grade):
    got = [len(e[1]) for e in s.received if e[0] == "message"]
    return (INFO, grade[1], f"implementation-defined; messages echoed before the close: "
            f"{got or 'none'} bytes; the peer's close code {s.remote_code}", grade[3])


_case("7.1.6", "Send a 256 KiB text message, a small one, a close and a ping, back to back.",
      "Depends on the implementation's close behaviour (informational).", _play_7_1_6,
      finish=_finish_7_1_6)

close_case("7.3.1", "Send a close frame with payload length 0 (no code, no reason).",
           "Clean close with 1000 or no code.", lambda s: s.send_close(payload=b""))
close_case("7.3.2", "Send a close frame with payload length 1.",
           "Close with 1002 or a dropped TCP connection.", lambda s: s.send_close(payload=b"a"),
           codes=(1002,), clean=False)
close_case("7.3.3", "Send a close frame with payload length 2 (a code).", "Clean close with 1000.",
           lambda s: s.send_close(1000))
close_case("7.3.4", "Send a close frame with a code and a reason.", "Clean close with 1000.",
           lambda s: s.send_close(1000, b"Hello World!"))
close_case("7.3.5", "Send a close frame with a code and a reason of 123 bytes (the most).",
           "Clean close with 1000.", lambda s: s.send_close(1000, b"*" * 123))
close_case("7.3.6", "Send a close frame with a code and a reason of 124 bytes (payload 126).",
           "Close with 1002 or a dropped TCP connection.",
           lambda s: s.send_close(1000, b"*" * 124), codes=(1002,), clean=False)
close_case("7.5.1", "Send a close frame whose reason is not valid UTF-8.",
           "Close with 1002 or 1007, or a dropped TCP connection.",
           lambda s: s.send_close(1000, _BAD), codes=(1002, 1007), clean=False)
for _i, _code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999,
                            4000, 4999], start=1):
    close_case(f"7.7.{_i}", f"Send a close with the valid code {_code}.",
               "Clean close with 1000 or the code echoed.",
               lambda s, c=_code: s.send_close(c), codes=(1000, _code))
for _i, _code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999], start=1):
    close_case(f"7.9.{_i}", f"Send a close with the invalid code {_code}.",
               "Close with 1002 or a dropped TCP connection.",
               lambda s, c=_code: s.send_close(c), codes=(1002,), clean=False)


def _finish_info(s, grade):
    return (INFO, grade[1], f"undefined by the spec; the peer closed with {s.remote_code}"
            f"{', then closed the TCP connection' if not s.dropped_by_me else ''}", grade[3])


for _i, _code in enumerate([5000, 65535], start=1):
    def _play_7_13(s, c=_code):
        s.suppress_close = True
        s.expected[PASS] = []
        s.expected_close = {"closed_by_me": True, "codes": [1000, c, 1002],
                            "require_clean": False}
        s.send_close(c)
        s.kill_after(2.0)
    _case(f"7.13.{_i}", f"Send a close with the code {_code}.", "Undefined (informational).",
          _play_7_13, finish=_finish_info)

# --- 9 Limits/Performance ------------------------------------------------------------------


def _judge_echo(expected_payload, binary, count=1):
    """An on_message handler for the big-message cases: each echo must be byte-identical;
    after count echoes we close."""
    def on_message(s, payload, is_binary):
        s.echoes += 1
        if is_binary != binary:
            s.verdict = (FAIL, f"expected a {'binary' if binary else 'text'} echo, got "
                         f"{'binary' if is_binary else 'text'}")
        elif payload != (expected_payload(s) if callable(expected_payload) else
                         expected_payload):
            s.verdict = (FAIL, f"echo {s.echoes} differs from what was sent (length "
                         f"{len(payload)})")
        elif s.echoes < count:
            s.next_message(s)
            return
        else:
            s.verdict = (PASS, f"received {count} echo(es) of {len(payload)} bytes in "
                         f"{s.now():.3f}s")
        s.send_close(1000)
    return on_message


def _finish_verdict(s, grade):
    behavior, result = getattr(s, "verdict", (FAIL, "no echo before the case ended"))
    return behavior, grade[1], result, grade[3]


def big_case(case_id, description, payload, binary, fragment_size=None, chop=None, limit=30.0):
    def play(s):
        s.expected_close = dict(OK_CLOSE)
        s.echoes = 0
        s.on_message = _judge_echo(payload, binary)
        if fragment_size:
            s.send_message(payload, binary, fragment_size=fragment_size, compress=False)
        else:
            s.send_frame(wire.BINARY if binary else wire.TEXT, payload, chop=chop)
        s.close_after(limit - 3)
    return _case(case_id, description, "Receive the echo, byte for byte.", play,
                 finish=_finish_verdict, limit=limit)


def _repeat(pattern, n):
    return (pattern * (n // len(pattern) + 1))[:n]


for _g, (_binary, _pattern) in enumerate([(False, b"BAsd7&jh23"),
                                          (True, b"\x00\xfe\x23\xfa\xf0")], start=1):
    for _i, _n in enumerate([64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20], start=1):
        big_case(f"9.{_g}.{_i}", f"Send a {'binary' if _binary else 'text'} message of "
                 f"{_n >> 10} KiB.", _repeat(_pattern, _n), _binary)
for _g, (_binary, _byte) in enumerate([(False, b"*"), (True, b"\xfe")], start=3):
    for _i, _f in enumerate([64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20,
                             4 << 20], start=1):
        big_case(f"9.{_g}.{_i}", f"Send a {'binary' if _binary else 'text'} message of 4 MiB in "
                 f"fragments of {_f} bytes.", _byte * (4 << 20), _binary, fragment_size=_f)
for _g, (_binary, _pattern) in enumerate([(False, b"BAsd7&jh23"),
                                          (True, b"\x00\xfe\x23\xfa\xf0")], start=5):
    for _i, _c in enumerate([64, 128, 256, 512, 1024, 2048], start=1):
        big_case(f"9.{_g}.{_i}", f"Send a {'binary' if _binary else 'text'} message of 1 MiB in "
                 f"writes of {_c} bytes.", _repeat(_pattern, 1 << 20), _binary, chop=_c)


def _round_trips(n, binary):
    payload = (b"\xfe" if binary else b"*") * n

    def play(s):
        s.expected_close = dict(OK_CLOSE)
        s.echoes = 0
        s.next_message = lambda s: s.send_frame(wire.BINARY if binary else wire.TEXT, payload)
        s.on_message = _judge_echo(payload, binary, count=1000)
        s.next_message(s)
        s.close_after(25)
    return play


for _g, _binary in [(7, False), (8, True)]:
    for _i, _n in enumerate([0, 16, 64, 256, 1024, 4096], start=1):
        _case(f"9.{_g}.{_i}", f"Send 1000 {'binary' if _binary else 'text'} messages of {_n} "
              "bytes, one after the other's echo (round-trip time).",
              "All 1000 echoes, byte for byte.", _round_trips(_n, _binary),
              finish=_finish_verdict, limit=30.0)

# --- 10 Miscellaneous ----------------------------------------------------------------------


def _play_10_1_1(s):
    s.expected[PASS] = [msg(b"*" * 65536)]
    s.expected_close = dict(OK_CLOSE)
    s.send_message(b"*" * 65536, fragment_size=1300, compress=False)
    s.kill_after(10)


def _finish_10_1_1(s, grade):
    got = (s.tx_frames.get(wire.TEXT, 0), s.tx_frames.get(wire.CONTINUATION, 0))
    if got != (1, 65536 // 1300):
        return FAIL, grade[1], f"sent frames {got}, expected (1, {65536 // 1300})", grade[3]
    return grade


_case("10.1.1", "Send a text message of 65536 bytes auto-fragmented into frames of 1300.",
      "The echo, as sent; our frame counts as expected; clean close.", _play_10_1_1,
      finish=_finish_10_1_1)

# --- 12/13 permessage-deflate --------------------------------------------------------------

# (payload size, auto-fragment size) as Autobahn's MSG_SIZES.
MSG_SIZES = [(16, 0), (64, 0), (256, 0), (1024, 0), (4096, 0), (8192, 0), (16384, 0),
             (32768, 0), (65536, 0), (131072, 0), (8192, 256), (16384, 256), (32768, 256),
             (65536, 256), (131072, 256), (131072, 1024), (131072, 4096), (131072, 32768)]


def message_count(size):
    """Autobahn sends 1000 messages at every size; this suite sends 1000 up to 4 KiB, 50 up to
    32 KiB and 10 above (still several messages sharing one compression context), which keeps
    the whole suite within its time budget: at 1000 messages groups 12 and 13 alone would take
    well over 10 minutes per mode here."""
    return 1000 if size <= 4096 else 50 if size <= 32768 else 10


# The offer of every 12.x case and of 13.1: Autobahn's default PerMessageDeflateOffer.
DEFAULT_OFFER = [("client_no_context_takeover", None), ("client_max_window_bits", None)]
# 13.x: (our offers in server mode, the fuzzing server's accept list in client mode).
DEFLATE_PARAMS = [
    ([DEFAULT_OFFER], [(False, 0)]),
    ([DEFAULT_OFFER + [("server_no_context_takeover", None)]], [(True, 0)]),
    ([DEFAULT_OFFER + [("server_max_window_bits", "9")]], [(False, 9)]),
    ([DEFAULT_OFFER + [("server_max_window_bits", "15")]], [(False, 15)]),
    ([DEFAULT_OFFER + [("server_no_context_takeover", None), ("server_max_window_bits", "9")]],
     [(True, 9)]),
    ([DEFAULT_OFFER + [("server_no_context_takeover", None), ("server_max_window_bits", "15")]],
     [(True, 15)]),
    ([DEFAULT_OFFER + [("server_no_context_takeover", None), ("server_max_window_bits", "9")],
      DEFAULT_OFFER + [("server_no_context_takeover", None)], DEFAULT_OFFER],
     [(True, 9), (True, 0), (False, 0)]),
]


def _compression_play(key, size, fragment, count):
    data = corpora.corpus(key)
    binary = corpora.BINARY[key]

    def play(s):
        s.expected_close = dict(OK_CLOSE)
        if s.deflate is None:
            s.verdict = (FAIL, "permessage-deflate was not negotiated"
                         + (f" (the answer was {s.negotiated!r})" if s.negotiated else ""))
            s.send_close(1000)
            return
        s.echoes = 0
        s.pointer = 0

        def next_message(s):
            start = s.pointer
            end = (start + size) % len(data)
            piece = data[start:end] if end > start else data[start:] + data[:end]
            s.pointer = end
            s.sent = piece.encode() if isinstance(piece, str) else piece
            s.sent_sha1 = hashlib.sha1(s.sent).digest()
            s.send_message(s.sent, binary, fragment_size=fragment or None)

        def on_message(s, payload, is_binary):
            s.echoes += 1
            if is_binary != binary or hashlib.sha1(payload).digest() != s.sent_sha1:
                s.verdict = (FAIL, f"echo {s.echoes} differs from what was sent (binary "
                             f"{is_binary}, {len(payload)} bytes, SHA-1 "
                             f"{hashlib.sha1(payload).hexdigest()}, sent "
                             f"{s.sent_sha1.hex()})")
                s.send_close(1000)
            elif s.echoes < count:
                next_message(s)
            else:
                s.verdict = (PASS, f"{count} echoes in {s.now():.3f}s; negotiated "
                             f"{s.negotiated!r}")
                s.send_close(1000)
        s.on_message = on_message
        next_message(s)
        s.close_after(55)
    return play


def _add_compression_cases(group, sub, key, offers, accepts, what):
    for i, (size, fragment) in enumerate(MSG_SIZES, start=1):
        count = message_count(size)
        _case(f"{group}.{sub}.{i}",
              f"{what}: send {count} compressed messages of {size} bytes"
              + (f", auto-fragmented to {fragment} bytes" if fragment else "") + ".",
              "The echoes, by SHA-1.", _compression_play(key, size, fragment, count),
              finish=_finish_verdict, limit=60.0, offers=offers, accepts=accepts)


for _j, _key in enumerate(corpora.KEYS, start=1):
    _add_compression_cases(12, _j, _key, [DEFAULT_OFFER], [(False, 0)],
                           corpora.DESCRIPTION[_key])
for _j, (_offers, _accepts) in enumerate(DEFLATE_PARAMS, start=1):
    _add_compression_cases(13, _j, "json_data1", _offers, _accepts,
                           f"{corpora.DESCRIPTION['json_data1']}, offers "
                           f"{_offers} / accepts {_accepts}")

# --- wirekit's additions -------------------------------------------------------------------

MIB = 1 << 20
echo_case("limits.1", "With the default limit: a text message of exactly 1 MiB.",
          [msg(b"*" * MIB)], lambda s: s.send_frame(wire.TEXT, b"*" * MIB), kill=10,
          limits="default")
fail_case("limits.2", "With the default limit: a text message of 1 MiB + 1 byte.",
          lambda s: s.send_frame(wire.TEXT, b"*" * (MIB + 1)), code=1009, kill=5,
          limits="default")
fail_case("limits.3", "With the default limit: a binary message of 2 MiB in frames of 64 KiB.",
          lambda s: s.send_message(b"\xfe" * (2 * MIB), True, fragment_size=64 << 10), code=1009,
          kill=5, limits="default")
fail_case("limits.4", "With the default limit: a compressed text message of about 2 KiB "
          "that inflates to 2 MiB (a deflate bomb).",
          lambda s: s.send_message(b"a" * (2 * MIB), False) if s.deflate else s.drop(),
          code=1009, kill=5, limits="default", offers=[DEFAULT_OFFER], accepts=[(False, 0)])
fail_case("limits.5", "With the default limit: a 2 MiB text frame whose header alone says it "
          "is too big (only 1 KiB of the payload is sent).",
          lambda s: s.send_raw(wire.frame(wire.TEXT, b"*" * (2 * MIB),
                                          mask=s.mask_out)[:1024 + 14]),
          code=1009, kill=5, limits="default")

fail_case("strict.1", "A text frame of 5 bytes with its length in the 16-bit form (not "
          "minimal).", lambda s: s.send_frame(wire.TEXT, b"Hello", length_form=16))
fail_case("strict.2", "A text frame of 200 bytes with its length in the 64-bit form (not "
          "minimal).", lambda s: s.send_frame(wire.TEXT, b"*" * 200, length_form=64))
fail_case("strict.3", "A binary frame whose 64-bit length has its most significant bit set.",
          lambda s: s.send_frame(wire.BINARY, b"\xfe" * 16, length_form="msb"),
          code=(1002, 1009))
fail_case("strict.4", "An unmasked text frame from the client.",
          lambda s: s.send_frame(wire.TEXT, HELLO, mask=False), modes=("server",))
fail_case("strict.5", "A masked text frame from the server.",
          lambda s: s.send_frame(wire.TEXT, HELLO, mask=True), modes=("client",))
fail_case("strict.6", "With permessage-deflate: RSV1 on a continuation frame.",
          lambda s: [s.send_frame(wire.TEXT, b"abc", fin=False),
                     s.send_frame(wire.CONTINUATION, b"def", rsv=4)],
          offers=[DEFAULT_OFFER], accepts=[(False, 0)])
fail_case("strict.7", "With permessage-deflate: RSV1 on a ping.",
          lambda s: s.send_frame(wire.PING, b"", rsv=4), offers=[DEFAULT_OFFER],
          accepts=[(False, 0)])
fail_case("strict.8", "With permessage-deflate: a compressed text message that inflates to "
          "invalid UTF-8.", lambda s: s.send_message(_BAD), code=1007, fatal=True,
          offers=[DEFAULT_OFFER], accepts=[(False, 0)])
echo_case("strict.9", "With permessage-deflate: an uncompressed text message (RSV1 clear) is "
          "allowed and echoed.", [msg(HELLO)],
          lambda s: s.send_message(HELLO, compress=False), offers=[DEFAULT_OFFER],
          accepts=[(False, 0)])



def negotiation_case(case_id, description, offers=None, accepts=None, check=None, **kw):
    """permessage-deflate negotiated from an unusual offer (server mode) or answer (client
    mode): a compressible 4 KiB text message must come back, and check(answer) must hold."""
    payload = (corpora.corpus("json_data1")[:4096]).encode()

    def play(s):
        s.expected_close = dict(OK_CLOSE)
        if s.deflate is None:
            s.verdict = (FAIL, f"permessage-deflate was not negotiated (answer "
                         f"{s.negotiated!r})")
            s.send_close(1000)
            return
        problem = check(s.negotiated) if check else None
        if problem:
            s.verdict = (FAIL, f"answer {s.negotiated!r}: {problem}")
            s.send_close(1000)
            return
        s.echoes = 0
        s.on_message = _judge_echo(payload, False)
        s.send_message(payload)
        s.close_after(5)
    return _case(case_id, description, "Negotiated as the RFC requires; the echo.", play,
                 finish=_finish_verdict, offers=offers, accepts=accepts, **kw)


def _without(param):
    return lambda answer: f"it has {param}" if param in answer else None


negotiation_case("strict.10", "A bare permessage-deflate offer: the answer must not carry "
                 "client_max_window_bits, which was not offered.", offers="permessage-deflate",
                 check=_without("client_max_window_bits"), modes=("server",))
negotiation_case("strict.11", "Offers: one with an unknown parameter, then a plain one: the "
                 "first is declined, the second taken.",
                 offers="permessage-deflate; foo=1, permessage-deflate",
                 check=_without("foo"), modes=("server",))
negotiation_case("strict.12", "Offers: server_max_window_bits=8 (zlib cannot compress raw "
                 "deflate with 8), then =10: a window the server can honour is answered.",
                 offers="permessage-deflate; server_max_window_bits=8, "
                 "permessage-deflate; server_max_window_bits=10",
                 check=lambda a: None if "server_max_window_bits=" in a else
                 "no server_max_window_bits", modes=("server",))
negotiation_case("strict.13", "The server answers server_max_window_bits=10 and "
                 "server_no_context_takeover, which the client did not ask for (RFC 7692 "
                 "allows both): the client inflates with them.",
                 accepts="permessage-deflate; server_no_context_takeover; "
                 "server_max_window_bits=10", modes=("client",))
fail_case("strict.14", "The server answers permessage-deflate with an unknown parameter: the "
          "client must fail the connection (it must not echo our message).",
          lambda s: s.send_frame(wire.TEXT, HELLO), code=(1002, 1010),
          accepts="permessage-deflate; foo", modes=("client",))
fail_case("strict.15", "The server answers an extension the client never offered: the client "
          "must fail the connection.", lambda s: s.send_frame(wire.TEXT, HELLO),
          code=(1002, 1010), accepts="x-webkit-deflate-frame", modes=("client",))

GROUPS = ["1", "2", "3", "4", "5", "6", "7", "9", "10", "12", "13", "limits", "strict"]
CASES = {str(k): v for k, v in CASES.items()}
for _cases in CASES.values():
    _cases.sort(key=lambda c: sort_key(c.id))
