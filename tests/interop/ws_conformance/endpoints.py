"""The two ends of the opening handshake on raw sockets: connecting to a server under test
with any permessage-deflate offer (and checking its 101 strictly), and accepting a client
under test in the fuzzing server (checking its request, answering per case)."""
import base64
import binascii
import socket
import time

from . import wire


class HandshakeError(Exception):
    pass


def offer_string(offers):
    """offers: [[(param, value or None)]] -> one Sec-WebSocket-Extensions value (a string is
    sent as it is)."""
    if isinstance(offers, str):
        return offers
    items = []
    for params in offers:
        items.append("; ".join(["permessage-deflate"] + [
            name if value is None else f"{name}={value}" for name, value in params]))
    return ", ".join(items)


def _read_head(sock, deadline):
    data = bytearray()
    while True:
        split = wire.split_head(data)
        if split:
            return split
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise HandshakeError(f"no complete HTTP head in time (got {bytes(data)!r})")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            raise HandshakeError(f"connection closed during the handshake (got {bytes(data)!r})")
        data += chunk
        if len(data) > 65536:
            raise HandshakeError("HTTP head larger than 64 KiB")


def check_deflate_answer(value, offers):
    """The server's Sec-WebSocket-Extensions against our offers (RFC 7692 §7): one
    permessage-deflate, valid parameters, honouring at least one offer. Returns
    (DeflateParams or None, index of the first offer it honours). Raises HandshakeError."""
    if value is None:
        return None, None
    try:
        extensions = wire.parse_extensions(value)
    except ValueError as e:
        raise HandshakeError(f"malformed Sec-WebSocket-Extensions {value!r}: {e}") from None
    if not offers:
        raise HandshakeError(f"the server answered extensions {value!r} nobody offered")
    if len(extensions) != 1 or extensions[0][0] != "permessage-deflate":
        raise HandshakeError(f"the server answered {value!r}: not one permessage-deflate")
    try:
        params, names = wire.DeflateParams.from_params(extensions[0][1])
    except ValueError as e:
        raise HandshakeError(f"the server answered {value!r}: {e}") from None
    if isinstance(offers, str):
        offers = [params for _, params in wire.parse_extensions(offers)]
    for index, offer in enumerate(offers):
        asked = dict(offer)
        if "server_no_context_takeover" in asked and not params.server_no_context_takeover:
            continue
        if "server_max_window_bits" in asked and (
                "server_max_window_bits" not in names or
                params.server_max_window_bits > int(asked["server_max_window_bits"])):
            continue
        if "client_max_window_bits" in names and "client_max_window_bits" not in asked:
            continue
        if "client_max_window_bits" in names and asked.get("client_max_window_bits") and (
                params.client_max_window_bits > int(asked["client_max_window_bits"])):
            continue
        return params, index
    raise HandshakeError(f"the server answered {value!r}, which honours none of the offers "
                         f"{offer_string(offers)!r}")


def connect(port, path="/", offers=None, timeout=10.0):
    """Opens a WebSocket to 127.0.0.1:port as a strict client. Returns (socket, leftover
    bytes, DeflateParams or None, the answer's Sec-WebSocket-Extensions, offer index)."""
    deadline = time.monotonic() + timeout
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        key = wire.make_key()
        sock.sendall(wire.client_request(f"127.0.0.1:{port}", path, key,
                                         offer_string(offers) if offers else None))
        head, leftover = _read_head(sock, deadline)
        start, headers = wire.parse_head(head)
        parts = start.split(" ", 2)
        if len(parts) < 2 or parts[0] != "HTTP/1.1" or parts[1] != "101":
            raise HandshakeError(f"the server answered {start!r} instead of 101")
        if wire.tokens(wire.header(headers, "upgrade")) != ["websocket"]:
            raise HandshakeError(f"Upgrade: {wire.header(headers, 'upgrade')!r}")
        if "upgrade" not in wire.tokens(wire.header(headers, "connection")):
            raise HandshakeError(f"Connection: {wire.header(headers, 'connection')!r}")
        if wire.header(headers, "sec-websocket-accept") != wire.accept_key(key):
            raise HandshakeError(
                f"Sec-WebSocket-Accept {wire.header(headers, 'sec-websocket-accept')!r}, "
                f"expected {wire.accept_key(key)!r}")
        answer = wire.header(headers, "sec-websocket-extensions")
        params, index = check_deflate_answer(answer, offers)
        return sock, leftover, params, answer, index
    except BaseException:
        sock.close()
        raise


# --- the fuzzing server's side -------------------------------------------------------------

def parse_offer(params):
    """A client's permessage-deflate offer (RFC 7692 §7.1) as a dict, or None when the offer
    is one a server must decline (unknown or repeated parameter, bad value)."""
    seen = {}
    for name, value in params:
        if name in seen:
            return None
        seen[name] = value
    offer = {"server_no_context_takeover": False, "client_no_context_takeover": False,
             "server_max_window_bits": None, "client_max_window_bits": None}
    for name, value in seen.items():
        if name in ("server_no_context_takeover", "client_no_context_takeover"):
            if value is not None:
                return None
            offer[name] = True
        elif name == "server_max_window_bits":
            if value is None or not value.isdigit() or not 8 <= int(value) <= 15:
                return None
            offer[name] = int(value)
        elif name == "client_max_window_bits":
            if value is None:
                offer[name] = True
            elif not value.isdigit() or not 8 <= int(value) <= 15:
                return None
            else:
                offer[name] = int(value)
        else:
            return None
    return offer


def answer_offers(offers, accepts):
    """The fuzzing server's choice, as Autobahn's accept functions make it: accepts is a list
    of (client_no_context_takeover, client_max_window_bits or 0) tried in order, each against
    the client's offers in order. Returns (response value, DeflateParams) or (None, None)."""
    for client_nct, client_bits in accepts:
        for params in offers:
            offer = parse_offer(params)
            if offer is None:
                continue
            if client_bits and not offer["client_max_window_bits"]:
                continue
            agreed = wire.DeflateParams(
                server_no_context_takeover=offer["server_no_context_takeover"],
                client_no_context_takeover=client_nct,
                server_max_window_bits=offer["server_max_window_bits"] or 15,
                client_max_window_bits=client_bits or 15)
            parts = ["permessage-deflate"]
            if offer["server_no_context_takeover"]:
                parts.append("server_no_context_takeover")
            if offer["server_max_window_bits"]:
                parts.append(f"server_max_window_bits={offer['server_max_window_bits']}")
            if client_nct:
                parts.append("client_no_context_takeover")
            if client_bits:
                parts.append(f"client_max_window_bits={client_bits}")
            return "; ".join(parts), agreed
    return None, None


class FuzzingServer:
    """Listens on 127.0.0.1 for the clients under test, one connection per case."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()

    def accept(self, accepts, timeout=10.0, alive=None):
        """Waits for a client (alive(): False once the client process has died), checks its
        request as a strict server would and answers 101, negotiating permessage-deflate
        with accepts (None: decline every offer). Returns (socket, leftover, DeflateParams or
        None, the request's offer, our answer)."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.05)
        while True:
            try:
                sock, _ = self.sock.accept()
                break
            except socket.timeout:
                if time.monotonic() > deadline:
                    raise HandshakeError(f"no client connected within {timeout}s") from None
                if alive is not None and not alive():
                    raise HandshakeError("the client exited without connecting") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            head, leftover = _read_head(sock, deadline)
            start, headers = wire.parse_head(head)
            parts = start.split(" ")
            problems = []
            if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
                problems.append(f"request line {start!r}")
            if not wire.header(headers, "host"):
                problems.append("no Host")
            if "websocket" not in wire.tokens(wire.header(headers, "upgrade")):
                problems.append(f"Upgrade: {wire.header(headers, 'upgrade')!r}")
            if "upgrade" not in wire.tokens(wire.header(headers, "connection")):
                problems.append(f"Connection: {wire.header(headers, 'connection')!r}")
            if wire.header(headers, "sec-websocket-version") != "13":
                problems.append(f"Sec-WebSocket-Version: "
                                f"{wire.header(headers, 'sec-websocket-version')!r}")
            key = wire.header(headers, "sec-websocket-key") or ""
            try:
                if len(base64.b64decode(key, validate=True)) != 16:
                    problems.append(f"Sec-WebSocket-Key {key!r} is not 16 bytes in base64")
            except binascii.Error:
                problems.append(f"Sec-WebSocket-Key {key!r} is not base64")
            offer_value = wire.header(headers, "sec-websocket-extensions")
            try:
                offers = [params for name, params in wire.parse_extensions(offer_value)
                          if name == "permessage-deflate"]
            except ValueError as e:
                problems.append(f"malformed Sec-WebSocket-Extensions: {e}")
                offers = []
            if problems:
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                raise HandshakeError("the client's upgrade request is wrong: " +
                                     "; ".join(problems))
            if isinstance(accepts, str):  # a case's own answer, verbatim
                answer, agreed = accepts, None
                try:
                    (name, params), = wire.parse_extensions(accepts)
                    if name == "permessage-deflate":
                        agreed = wire.DeflateParams.from_params(params)[0]
                except ValueError:
                    pass
            else:
                answer, agreed = answer_offers(offers, accepts) if accepts else (None, None)
            lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket",
                     "Connection: Upgrade", f"Sec-WebSocket-Accept: {wire.accept_key(key)}"]
            if answer:
                lines.append(f"Sec-WebSocket-Extensions: {answer}")
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            return sock, leftover, agreed, offer_value, answer
        except BaseException:
            sock.close()
            raise
