import socket
import sys

PORT = int(sys.argv[1])

def connect_to_server():
    client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client_socket.connect(('localhost', PORT))
    message = client_socket.recv(1024)
    print(message.decode("utf-8"))
    client_socket.close()

if __name__ == "__main__":
    connect_to_server()
