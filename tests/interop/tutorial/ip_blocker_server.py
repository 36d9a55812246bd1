import socket
import sys
from collections import defaultdict

PORT = int(sys.argv[1])

class IPBlocker:
    def __init__(self, max_attempts=5):
        self.ip_attempts = defaultdict(int)
        self.max_attempts = max_attempts

    def check_ip(self, ip):
        if self.ip_attempts[ip] >= self.max_attempts:
            return False
        self.ip_attempts[ip] += 1
        return True

def start_server():
    blocker = IPBlocker()
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.bind(('localhost', PORT))
    server_socket.listen(1)
    print("Server is listening on port 12345")

    while True:
        client_socket, address = server_socket.accept()
        ip = address[0]
        if blocker.check_ip(ip):
            print(f"Connection from {address} has been established!")
            client_socket.send(bytes("Welcome to the server!", "utf-8"))
        else:
            print(f"Connection from {address} has been blocked!")
            client_socket.send(bytes("You have been blocked due to too many attempts.", "utf-8"))
        client_socket.close()

if __name__ == "__main__":
    start_server()
