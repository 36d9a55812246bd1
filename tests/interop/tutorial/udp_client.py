import socket
import sys

PORT = int(sys.argv[1])

def send_udp_message():
    client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client_socket.sendto(b"Hello, UDP Server!", ('localhost', PORT))
    response, _ = client_socket.recvfrom(1024)
    print(f"Response from server: {response.decode('utf-8')}")
    client_socket.close()

if __name__ == "__main__":
    send_udp_message()
