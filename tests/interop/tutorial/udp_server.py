import socket
import sys

PORT = int(sys.argv[1])

def start_udp_server():
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server_socket.bind(('localhost', PORT))
    print("UDP server is listening on port 12345")

    while True:
        message, address = server_socket.recvfrom(1024)
        print(f"Message from {address}: {message.decode('utf-8')}")
        server_socket.sendto(b"Message received", address)

if __name__ == "__main__":
    start_udp_server()
