// Tutorial §8.1, Twisted's echo server, in the same Protocol/Factory style.
//   ./echo_server [PORT]      (the tutorial's port is 1234)
#include <cstdio>
#include <cstdlib>

#include <wirekit/net.hpp>

using namespace wirekit;

class Echo : public net::Protocol {
 public:
  void data_received(std::span<const std::byte> data) override { transport().write(data); }
};

Task<void> serve(std::uint16_t port) {
  net::TcpServer endpoint{{{net::IpAddress::v4(0x7f000001), port}}};
  std::printf("Echo server is listening on port %u\n", endpoint.local_addresses()[0].port());
  std::fflush(stdout);
  net::SimpleFactory<Echo> factory;
  co_await net::listen_tcp(endpoint, factory);
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 1234);
  try {
    // Ctrl-C stops accepting and closes the connections gracefully.
    run(serve(port), {.threads = 1, .handle_signals = true});
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
