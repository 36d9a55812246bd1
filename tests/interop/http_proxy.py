# A minimal HTTP proxy for the client tests: absolute-form requests are forwarded (one request
# per connection, "Connection: close"), CONNECT opens a tunnel; every request line is logged to
# stdout so tests can see which way the client went. Usage: http_proxy.py PORT
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def handle(reader, writer):
    head = await reader.readuntil(b"\r\n\r\n")
    request_line = head.split(b"\r\n", 1)[0].decode()
    print(request_line, flush=True)
    method, target, _ = request_line.split(" ", 2)
    if method == "CONNECT":
        host, port = target.rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        return
    rest = target.split("://", 1)[1]
    authority, _, path = rest.partition("/")
    host, _, port = authority.partition(":")
    up_reader, up_writer = await asyncio.open_connection(host, int(port or 80))
    lines = head.split(b"\r\n")
    lines[0] = f"{method} /{path} HTTP/1.1".encode()
    lines = [l for l in lines if not l.lower().startswith(b"connection:")]
    up_writer.write(b"\r\n".join(lines[:-2]) + b"\r\nConnection: close\r\n\r\n")
    await up_writer.drain()
    await pipe(up_reader, writer)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
