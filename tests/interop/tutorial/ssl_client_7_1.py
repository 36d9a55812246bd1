# Tutorial §7.1 (SSL/TLS), with the host, port and CA file as arguments instead of
# www.python.org (out of reach of the test machines) and the system store.
import socket
import ssl
import sys

host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def ssl_client():
    context = ssl.create_default_context(cafile=cafile)
    with socket.create_connection((host, port)) as sock:
        with context.wrap_socket(sock, server_hostname=host) as secure_sock:
            print(f"Connected to {secure_sock.version()}")
            secure_sock.send(b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\n\r\n")
            print(secure_sock.recv(1024))


if __name__ == "__main__":
    ssl_client()
