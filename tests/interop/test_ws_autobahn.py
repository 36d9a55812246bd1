"""WebSocket interop with python3-autobahn 22.7 (asyncio): its client against `wirekit ws echo`
and `wirekit chat serve` with permessage-deflate offers of every kind, and its server against
`wirekit ws connect --echo`."""
import asyncio
import json
import os
import re

import pytest

from conftest import WIREKIT, require_module
from test_chat import expected, start_chat

ECHO_LISTENING = re.compile(r"^WebSocket echo server is listening on 127\.0\.0\.1:(\d+)$")
SIZES = [0, 1, 125, 126, 127, 128, 1000, 65535, 65536, 300_000]
WORDS = "gr\u00fc\u00dfe \u5f20\u4e09 \U0001F600 websocket deflate ".encode()


def text(n):
    """Compressible UTF-8 text of exactly n bytes (padded with ASCII at the end)."""
    body = (WORDS * (n // len(WORDS) + 1))[:n].decode(errors="ignore")  # whole characters
    return body + "x" * (n - len(body.encode()))


def messages():
    """(payload, is_binary) pairs: compressible text and random binary of every size."""
    out = []
    for n in SIZES:
        out.append((text(n), False))
        out.append((os.urandom(n), True))
    return out


def compressed(octets_on_the_wire, octets, sent):
    """Whether deflate took at least 80% off the text of sent (the random binary stays)."""
    text_octets = sum(len(p.encode()) for p, is_binary in sent if not is_binary)
    return octets_on_the_wire < octets - 0.8 * text_octets


def start_echo(spawn, *flags):
    server = spawn([WIREKIT, "ws", "echo", "--host", "127.0.0.1", "--port", "0", *flags])
    match = ECHO_LISTENING.match(server.line())
    assert match
    return server, int(match.group(1))


def extension(header):
    """A Sec-WebSocket-Extensions answer as (name, {param: value or True}), or None."""
    if header is None:
        return None
    name, *params = [p.strip() for p in header.split(";")]
    parsed = {}
    for p in params:
        key, eq, value = p.partition("=")
        assert key.strip() not in parsed, header
        parsed[key.strip()] = value.strip() if eq else True
    return name, parsed


def autobahn():
    require_module("autobahn", "python3-autobahn")
    from autobahn.websocket import compress
    from autobahn.asyncio import websocket
    return compress, websocket


RawOffer = None  # made on first use: autobahn pickles the offers, so it lives at module level


def offer(**kw):
    """An autobahn PerMessageDeflateOffer; "raw" writes the offer's text as given (for what
    autobahn itself will not offer: window 8, an unknown parameter, a client window's value)."""
    global RawOffer
    compress, _ = autobahn()
    if "raw" in kw:
        if RawOffer is None:
            class RawOffer(compress.PerMessageDeflateOffer):
                def __init__(self, raw):
                    super().__init__()
                    self.raw = raw

                def get_extension_string(self):
                    return self.raw

            RawOffer.__qualname__ = "RawOffer"
        return RawOffer(kw["raw"])
    return compress.PerMessageDeflateOffer(
        accept_no_context_takeover=kw.get("client_no_context_takeover", False),
        accept_max_window_bits=kw.get("client_max_window_bits", False),
        request_no_context_takeover=kw.get("server_no_context_takeover", False),
        request_max_window_bits=kw.get("server_max_window_bits", 0))


async def client_session(port, offers, outgoing, replies_per_message=1):
    """An autobahn client: offers, then each message in turn and its replies. Returns the
    Sec-WebSocket-Extensions it was answered, the deflate it uses, the replies, its traffic
    statistics and how it was closed."""
    compress, websocket = autobahn()
    loop = asyncio.get_running_loop()
    opened, closed, inbox = loop.create_future(), loop.create_future(), asyncio.Queue()

    class Client(websocket.WebSocketClientProtocol):
        def onConnect(self, response):
            self.answer = response.headers.get("sec-websocket-extensions")
            self.in_use = response.extensions

        def onOpen(self):
            opened.set_result(self)

        def onMessage(self, payload, is_binary):
            inbox.put_nowait((payload, is_binary))

        def onClose(self, was_clean, code, reason):
            if not opened.done():
                opened.set_exception(ConnectionError(f"closed before open: {code} {reason}"))
            if not closed.done():
                closed.set_result((was_clean, code))

    def accept(response):
        if isinstance(response, compress.PerMessageDeflateResponse):
            return compress.PerMessageDeflateResponseAccept(response)
        return None

    factory = websocket.WebSocketClientFactory(f"ws://127.0.0.1:{port}/")
    factory.protocol = Client
    factory.setProtocolOptions(perMessageCompressionOffers=offers,
                               perMessageCompressionAccept=accept, openHandshakeTimeout=5)
    await loop.create_connection(factory, "127.0.0.1", port)
    client = await asyncio.wait_for(opened, 10)
    replies = []
    for payload, is_binary in outgoing:
        client.sendMessage(payload.encode() if isinstance(payload, str) else payload, is_binary)
        replies += [await asyncio.wait_for(inbox.get(), 10) for _ in range(replies_per_message)]
    client.sendClose(1000)
    how = await asyncio.wait_for(closed, 10)
    return client.answer, client.in_use, replies, client.trafficStats, how


# wirekit's server compresses with a window of 12 bits at most, and asks as much of a client
# that offered client_max_window_bits: Python websockets 10.4's server defaults.
W = 12


def answer(server_bits=W, client_bits=None, **flags):
    """The parameters of the answer: server_max_window_bits (always below 15, so always said),
    client_max_window_bits when the client offered it, and the no_context_takeover flags."""
    out = {"server_max_window_bits": str(server_bits)}
    if client_bits is not None:
        out["client_max_window_bits"] = str(client_bits)
    out.update({flag: True for flag, on in flags.items() if on})
    return out


# Offers (offer()'s parameters) -> the answer wirekit's server gives with its defaults.
OFFERS = {
    "bare": ([dict()], answer()),
    "client_max_window_bits": ([dict(client_max_window_bits=True)], answer(client_bits=W)),
    **{f"server_max_window_bits={n}": ([dict(server_max_window_bits=n)],
                                       answer(server_bits=min(n, W))) for n in range(9, 16)},
    "client_max_window_bits=10": ([dict(raw="permessage-deflate; client_max_window_bits=10")],
                                  answer(client_bits=10)),
    "client_no_context_takeover": ([dict(client_no_context_takeover=True)],
                                   answer(client_no_context_takeover=True)),
    "server_no_context_takeover": ([dict(server_no_context_takeover=True)],
                                   answer(server_no_context_takeover=True)),
    "autobahn's default": ([dict(client_no_context_takeover=True, client_max_window_bits=True)],
                           answer(client_bits=W, client_no_context_takeover=True)),
    "all at once": ([dict(client_no_context_takeover=True, client_max_window_bits=True,
                          server_no_context_takeover=True, server_max_window_bits=10)],
                    answer(server_bits=10, client_bits=W, client_no_context_takeover=True,
                           server_no_context_takeover=True)),
    "first of two": ([dict(server_max_window_bits=10), dict()], answer(server_bits=10)),
    "window 8 declined, then 11": ([dict(raw="permessage-deflate; server_max_window_bits=8"),
                                    dict(server_max_window_bits=11)], answer(server_bits=11)),
    "unknown parameter declined, then bare": (
        [dict(raw="permessage-deflate; x_unknown=1"), dict()], answer()),
    "only window 8: declined": ([dict(raw="permessage-deflate; server_max_window_bits=8")],
                                None),
}


@pytest.mark.parametrize("case", OFFERS)
def test_autobahn_client_echoes_through_ws_echo_with_deflate_offers(spawn, case):
    offers, answer = [offer(**kw) for kw in OFFERS[case][0]], OFFERS[case][1]
    _, port = start_echo(spawn)
    sent = messages()
    header, in_use, replies, stats, how = asyncio.run(client_session(port, offers, sent))
    assert how == (True, 1000)
    assert replies == [(p.encode() if isinstance(p, str) else p, b) for p, b in sent]
    if answer is None:
        assert header is None and in_use == []
        assert stats.incomingOctetsWebSocketLevel == stats.incomingOctetsAppLevel
        return
    assert extension(header) == ("permessage-deflate", answer)
    [pmce] = in_use  # what autobahn now compresses and inflates with
    assert pmce.server_max_window_bits == int(answer.get("server_max_window_bits", 15))
    assert pmce.client_max_window_bits == int(answer.get("client_max_window_bits", 15))
    assert pmce.server_no_context_takeover == ("server_no_context_takeover" in answer)
    assert pmce.client_no_context_takeover == ("client_no_context_takeover" in answer)
    # Compressed both ways: the text is, on the wire, a fraction of its size.
    assert compressed(stats.incomingOctetsWebSocketLevel, stats.incomingOctetsAppLevel, sent)
    assert compressed(stats.outgoingOctetsWebSocketLevel, stats.outgoingOctetsAppLevel, sent)


def test_autobahn_client_is_answered_without_deflate_by_a_server_that_refuses_it(spawn):
    _, port = start_echo(spawn, "--no-compression")
    sent = messages()
    header, in_use, replies, stats, how = asyncio.run(
        client_session(port, [offer(client_no_context_takeover=True, client_max_window_bits=True)],
                       sent))
    assert (header, in_use, how) == (None, [], (True, 1000))
    assert replies == [(p.encode() if isinstance(p, str) else p, b) for p, b in sent]
    assert stats.incomingOctetsWebSocketLevel == stats.incomingOctetsAppLevel


@pytest.mark.parametrize("case", ["bare", "autobahn's default", "server_max_window_bits=12",
                                  "all at once", "window 8 declined, then 11"])
def test_autobahn_client_chats_through_wirekits_chat_server(spawn, case):
    offers, answer = [offer(**kw) for kw in OFFERS[case][0]], OFFERS[case][1]
    _, port = start_chat(spawn)
    chat = [(json.dumps({"user": "autobahn \U0001F916", "message": text(n)}), False)
            for n in (5, 200, 5000, 100_000)]
    header, _, replies, _, how = asyncio.run(client_session(port, offers, chat))
    assert extension(header) == ("permessage-deflate", answer)
    assert how == (True, 1000)
    assert replies == [(expected("autobahn \U0001F916", text(n)).encode(), False)
                       for n in (5, 200, 5000, 100_000)]


# --- autobahn's server, wirekit's client -----------------------------------------------------

async def server_session(spawn, accept_kind, client_flags):
    """An autobahn echo-checking server: it sends every message of messages() to the client
    `wirekit ws connect --echo` and collects what comes back, then closes with 1000."""
    compress, websocket = autobahn()
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    sent = messages()
    seen = {}

    class Server(websocket.WebSocketServerProtocol):
        def onConnect(self, request):
            seen["offer"] = request.headers.get("sec-websocket-extensions")

        def onOpen(self):
            seen["in_use"] = list(self.websocket_extensions_in_use)
            self.replies = []
            for payload, is_binary in sent:
                self.sendMessage(payload.encode() if isinstance(payload, str) else payload,
                                 is_binary)

        def onMessage(self, payload, is_binary):
            self.replies.append((payload, is_binary))
            if len(self.replies) == len(sent):
                seen["stats"] = self.trafficStats
                self.sendClose(1000)

        def onClose(self, was_clean, code, reason):
            if not done.done():
                done.set_result((getattr(self, "replies", []), was_clean, code))

    def accept(offers):
        for o in offers:
            if not isinstance(o, compress.PerMessageDeflateOffer):
                continue
            if accept_kind == "decline":
                return None
            if accept_kind == "client window 10":
                return compress.PerMessageDeflateOfferAccept(o, request_max_window_bits=10)
            if accept_kind == "no context takeover":
                return compress.PerMessageDeflateOfferAccept(
                    o, request_no_context_takeover=True, no_context_takeover=True)
            return compress.PerMessageDeflateOfferAccept(o)
        return None

    factory = websocket.WebSocketServerFactory()
    factory.protocol = Server
    factory.setProtocolOptions(perMessageCompressionAccept=accept)
    server = await loop.create_server(factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = spawn([WIREKIT, "ws", "connect", f"ws://127.0.0.1:{port}/", "--echo",
                    *client_flags])
    try:
        replies, was_clean, code = await asyncio.wait_for(done, 20)
        exit_code = await asyncio.to_thread(client.wait, 10)
    finally:
        server.close()
    return sent, replies, was_clean, code, exit_code, seen


@pytest.mark.parametrize("accept_kind,client_flags,answer", [
    ("accept", [], {}),
    ("client window 10", [], {"client_max_window_bits": "10"}),
    ("no context takeover", [], {"server_no_context_takeover": True,
                                 "client_no_context_takeover": True}),
    ("decline", [], None),
    ("accept", ["--no-compression"], None),
])
def test_wirekits_client_echoes_to_an_autobahn_server(spawn, accept_kind, client_flags, answer):
    sent, replies, was_clean, code, exit_code, seen = asyncio.run(
        server_session(spawn, accept_kind, client_flags))
    assert replies == [(p.encode() if isinstance(p, str) else p, b) for p, b in sent]
    assert (was_clean, code, exit_code) == (True, 1000, 0)
    stats = seen["stats"]
    if client_flags:  # --no-compression: nothing offered
        assert seen["offer"] is None
    else:  # offered as Python websockets 10.4 offers it
        assert extension(seen["offer"]) == ("permessage-deflate",
                                            {"client_max_window_bits": True})
    if answer is None:
        assert seen["in_use"] == []
        assert stats.incomingOctetsWebSocketLevel == stats.incomingOctetsAppLevel
        return
    [pmce] = seen["in_use"]
    assert pmce.client_max_window_bits == int(answer.get("client_max_window_bits", 15))
    assert pmce.client_no_context_takeover == ("client_no_context_takeover" in answer)
    assert pmce.server_no_context_takeover == ("server_no_context_takeover" in answer)
    # wirekit's client compressed what it sent back, and autobahn inflated it byte for byte.
    assert compressed(stats.incomingOctetsWebSocketLevel, stats.incomingOctetsAppLevel, sent)
