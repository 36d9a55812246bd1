"""Abusive TLS clients of the slow-client soak (bench/slow_clients.py), on loopback only:

  /usr/bin/python3 bench/tls_abuse.py hold PORT COUNT SECONDS --send nothing|half-hello
      COUNT connections that send nothing, or the first half of a ClientHello, then stay; a
      connection the server closes is opened again (COUNT x 5 connections at most), so that
      COUNT are pending for SECONDS. Reports how many the server closed, and when the first.
  /usr/bin/python3 bench/tls_abuse.py sni PORT LENGTH [--seconds S] [--count N] [--threads T]
      ClientHellos whose server_name is LENGTH bytes (labels of 63 'a's; past 16 KiB the
      handshake message spans several records), each on a new connection, for S seconds or N
      hellos; reports the server's answers: server_hello, alert:<name>, eof, reset or timeout.

Each prints one JSON object.
"""
import argparse
import json
import os
import selectors
import socket
import struct
import threading
import time

ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
          40: "handshake_failure", 47: "illegal_parameter", 50: "decode_error",
          70: "protocol_version", 80: "internal_error", 86: "inappropriate_fallback",
          100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension",
          112: "unrecognized_name"}
MAX_RECORD = 16384


def extension(kind, data):
    return struct.pack("!HH", kind, len(data)) + data


def client_hello(server_name):
    """A TLS 1.2 ClientHello (ECDHE AEAD suites, P-256/X25519) as records of at most 16 KiB."""
    name = server_name.encode()
    suites = bytes.fromhex("c02bc02fc02cc030cca9cca8")
    extensions = b"".join([
        extension(0x0000, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name),
        extension(0x000a, bytes.fromhex("0004001d0017")),
        extension(0x000b, bytes.fromhex("0100")),
        extension(0x000d, bytes.fromhex("000a04030804040105030805")),
        extension(0xff01, b"\x00"),
    ])
    body = (b"\x03\x03" + os.urandom(32) + b"\x00" + struct.pack("!H", len(suites)) + suites
            + b"\x01\x00" + struct.pack("!H", len(extensions)) + extensions)
    message = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"".join(b"\x16\x03\x01" + struct.pack("!H", len(message[i:i + MAX_RECORD]))
                    + message[i:i + MAX_RECORD] for i in range(0, len(message), MAX_RECORD))


def long_name(length):
    labels = []
    while sum(len(label) + 1 for label in labels) < length + 1:
        labels.append("a" * 63)
    name = ".".join(labels)[:length]
    return name[:-1] + "a" if name.endswith(".") else name


def answer_of(sock):
    """The server's first answer to a ClientHello."""
    try:
        header = b""
        while len(header) < 6:
            chunk = sock.recv(6 - len(header))
            if not chunk:
                return "eof"
            header += chunk
        if header[0] == 0x16 and header[5] == 0x02:
            return "server_hello"
        if header[0] == 0x15:
            rest = sock.recv(1)
            return "alert:" + (ALERTS.get(rest[0], str(rest[0])) if rest else "short")
        return f"record:{header[0]}"
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return "error:" + type(e).__name__


def sni(args):
    hello_name = long_name(args.length)
    answers, latencies = {}, []
    lock = threading.Lock()
    end = time.monotonic() + args.seconds
    sent = [0]

    def worker():
        while time.monotonic() < end:
            with lock:
                if sent[0] >= args.count:
                    return
                sent[0] += 1
            began = time.monotonic()
            try:
                sock = socket.create_connection(("127.0.0.1", args.port), timeout=5)
            except OSError as e:
                answer = "connect:" + type(e).__name__
            else:
                try:
                    sock.sendall(client_hello(hello_name))
                    answer = answer_of(sock)
                except OSError as e:
                    answer = "send:" + type(e).__name__
                finally:
                    sock.close()
            with lock:
                answers[answer] = answers.get(answer, 0) + 1
                latencies.append((time.monotonic() - began) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    print(json.dumps({"name_bytes": len(hello_name), "hello_bytes": len(client_hello(hello_name)),
                      "hellos": sum(answers.values()), "answers": answers,
                      "median_ms": round(latencies[len(latencies) // 2], 3) if latencies else None}))


def hold(args):
    payload = b""
    if args.send == "half-hello":
        hello = client_hello("localhost")
        payload = hello[:len(hello) // 2]
    selector = selectors.DefaultSelector()
    opened = closed_by_server = refused = 0
    first_close = None
    start = time.monotonic()

    def open_one():
        nonlocal opened
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", args.port))
        opened += 1
        selector.register(sock, selectors.EVENT_WRITE, "connecting")

    for _ in range(args.count):
        open_one()
    end = start + args.seconds
    while time.monotonic() < end:
        for key, _ in selector.select(timeout=0.2):
            sock = key.fileobj
            if key.data == "connecting":
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    refused += 1
                    selector.unregister(sock)
                    sock.close()
                    continue
                if payload:
                    sock.send(payload)
                selector.modify(sock, selectors.EVENT_READ, "held")
                continue
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if data:
                continue  # an alert before the close; the close follows
            closed_by_server += 1
            if first_close is None:
                first_close = time.monotonic() - start
            selector.unregister(sock)
            sock.close()
        while len(selector.get_map()) < args.count and opened < args.count * 5:
            open_one()
    held = len(selector.get_map())
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    print(json.dumps({"send": args.send, "opened": opened, "closed_by_server": closed_by_server,
                      "refused": refused, "held_at_end": held,
                      "first_close_s": round(first_close, 2) if first_close is not None else None}))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    h = commands.add_parser("hold")
    h.add_argument("port", type=int)
    h.add_argument("count", type=int)
    h.add_argument("seconds", type=float)
    h.add_argument("--send", choices=["nothing", "half-hello"], default="nothing")
    s = commands.add_parser("sni")
    s.add_argument("port", type=int)
    s.add_argument("length", type=int)
    s.add_argument("--seconds", type=float, default=10)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    hold(args) if args.command == "hold" else sni(args)


if __name__ == "__main__":
    main()
