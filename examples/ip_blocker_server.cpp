// Tutorial §7.2, the TCP server with an IP blocker: after 5 connections (here: within a
// sliding minute) an address is told it is blocked.
//   ./ip_blocker_server [PORT]
#include <cstdio>
#include <cstdlib>

#include <wirekit/guard.hpp>
#include <wirekit/net.hpp>

using namespace wirekit;

Task<void> start_server(std::uint16_t port) {
  guard::IpBlocker blocker{{.max_attempts = 5}};
  net::TcpListener server = net::TcpListener::bind({net::IpAddress::v4(0x7f000001), port});
  std::printf("Server is listening on port %u\n", server.local_address().port());
  std::fflush(stdout);
  for (;;) {
    net::TcpStream client = co_await server.accept();
    const std::string address = client.peer_address().python_repr();
    if (guard::admitted(blocker.check(client.peer_address().ip()))) {
      std::printf("Connection from %s has been established!\n", address.c_str());
      co_await client.write("Welcome to the server!");
    } else {
      std::printf("Connection from %s has been blocked!\n", address.c_str());
      co_await client.write("You have been blocked due to too many attempts.");
    }
    std::fflush(stdout);
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
