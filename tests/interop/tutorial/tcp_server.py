import socket
import sys

PORT = int(sys.argv[1])

def start_server():
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.bind(('localhost', PORT))
    server_socket.listen(1)
    print("Server is listening on port 12345")

    while True:
        client_socket, address = server_socket.accept()
        print(f"Connection from {address} has been established!")
        client_socket.send(bytes("Welcome to the server!", "utf-8"))
        client_socket.close()

if __name__ == "__main__":
    start_server()
