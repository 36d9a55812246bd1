// Tutorial §3.1, the TCP client: print what the server sends.
//   ./tcp_client [PORT]
#include <cstdio>
#include <cstdlib>
#include <string>

#include <wirekit/net.hpp>

using namespace wirekit;

Task<void> connect_to_server(std::uint16_t port) {
  net::TcpStream client = co_await net::TcpStream::connect("localhost", port);
  std::byte message[1024];
  const std::size_t n = co_await client.read_some(message);
  std::printf("%.*s\n", static_cast<int>(n), reinterpret_cast<const char*>(message));
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 12345);
  try {
    run(connect_to_server(port));
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
