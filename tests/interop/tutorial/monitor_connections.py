import psutil

def monitor_connections():
    for conn in psutil.net_connections():
        print(f"Local address: {conn.laddr}")
        print(f"Remote address: {conn.raddr}")
        print(f"Status: {conn.status}")
        print("---")

if __name__ == "__main__":
    monitor_connections()
