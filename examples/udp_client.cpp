// Tutorial §3.2, the UDP client: send one message and print the answer.
//   ./udp_client [PORT]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <wirekit/net.hpp>

using namespace wirekit;

Task<void> send_udp_message(std::uint16_t port) {
  const net::SocketAddress server{net::IpAddress::v4(0x7f000001), port};
  net::UdpSocket client = net::UdpSocket::for_peer(server);
  co_await client.send_to("Hello, UDP Server!", server);
  std::byte response[1024];
  const net::Datagram d = co_await client.receive_from(response).timeout(std::chrono::seconds(5));
  std::printf("Response from server: %.*s\n", static_cast<int>(d.size),
              reinterpret_cast<const char*>(response));
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 12345);
  try {
    run(send_udp_message(port));
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
