// Tutorial §3.1, the TCP server: greet each client and close the connection.
//   ./tcp_server [PORT]      (the tutorial's port is 12345)
#include <cstdio>
#include <cstdlib>

#include <wirekit/net.hpp>

using namespace wirekit;

Task<void> start_server(std::uint16_t port) {
  net::TcpListener server = net::TcpListener::bind({net::IpAddress::v4(0x7f000001), port});
  std::printf("Server is listening on port %u\n", server.local_address().port());
  std::fflush(stdout);
  for (;;) {
    net::TcpStream client = co_await server.accept();
    std::printf("Connection from %s has been established!\n",
                client.peer_address().python_repr().c_str());
    std::fflush(stdout);
    co_await client.write("Welcome to the server!");
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 12345);
  try {
    run(start_server(port), {.threads = 1, .handle_signals = true});
  } catch (const Error& e) {
    if (e.code() == errc::cancelled) return 0;  // Ctrl-C
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
