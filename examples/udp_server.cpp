// Tutorial §3.2, the UDP server: print each message and acknowledge it.
//   ./udp_server [PORT]
#include <cstdio>
#include <cstdlib>

#include <wirekit/net.hpp>

using namespace wirekit;

Task<void> start_udp_server(std::uint16_t port) {
  net::UdpSocket server = net::UdpSocket::bind({net::IpAddress::v4(0x7f000001), port});
  std::printf("UDP server is listening on port %u\n", server.local_address().port());
  std::fflush(stdout);
  std::byte message[1024];
  for (;;) {
    const net::Datagram d = co_await server.receive_from(message);
    std::printf("Message from %s: %.*s\n", d.from.python_repr().c_str(), static_cast<int>(d.size),
                reinterpret_cast<const char*>(message));
    std::fflush(stdout);
    co_await server.send_to("Message received", d.from);
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 12345);
  try {
    run(start_udp_server(port), {.threads = 1, .handle_signals = true});
  } catch (const Error& e) {
    if (e.code() == errc::cancelled) return 0;  // Ctrl-C
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
