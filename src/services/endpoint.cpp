#include <wirekit/services/endpoint.hpp>

namespace wirekit::services {

Task<std::unique_ptr<net::TcpServer>> bind_tcp(const Endpoint& endpoint,
                                               const net::ServeOptions& options,
                                               std::size_t loops) {
  co_return std::make_unique<net::TcpServer>(
      co_await net::listen_addresses(endpoint.host, endpoint.port), options, loops);
}

std::vector<Listening> listening_of(const net::TcpServer* server) {
  std::vector<Listening> out;
  if (server != nullptr) {
    for (const auto& address : server->local_addresses()) out.push_back({"tcp", address});
  }
  return out;
}

Task<std::vector<net::UdpSocket>> bind_udp(const Endpoint& endpoint) {
  std::vector<net::UdpSocket> sockets;
  std::exception_ptr first_skipped;
  for (const auto& address : co_await net::listen_addresses(endpoint.host, endpoint.port)) {
    try {
      sockets.push_back(net::UdpSocket::bind(address));
    } catch (const Error& e) {
      // As for TCP: "localhost" also names ::1, which a host without IPv6 cannot bind.
      if (e.code() != std::errc::address_not_available &&
          e.code() != std::errc::address_family_not_supported) {
        throw;
      }
      if (!first_skipped) first_skipped = std::current_exception();
    }
  }
  if (sockets.empty() && first_skipped) std::rethrow_exception(first_skipped);
  co_return sockets;
}

std::shared_ptr<guard::IpBlocker> make_blocker(const Blocking& blocking) {
  if (blocking.after == 0 && blocking.deny.empty()) return nullptr;
  guard::IpBlockerOptions options;
  // With only a deny list, count nothing: no client is ever blocked for its attempts.
  options.max_attempts = blocking.after != 0 ? blocking.after : UINT32_MAX;
  options.window = blocking.window;
  for (const std::string& n : blocking.allow) options.allow.push_back(net::IpNetwork::parse(n));
  for (const std::string& n : blocking.deny) options.deny.push_back(net::IpNetwork::parse(n));
  return std::make_shared<guard::IpBlocker>(std::move(options));
}

net::ConnectionHandler guarded(std::shared_ptr<guard::IpBlocker> blocker,
                               net::ConnectionHandler handler) {
  if (!blocker) return handler;
  // The server keeps this handler alive until its last connection ends, so the coroutine may
  // use the captures.
  return [blocker = std::move(blocker),
          handler = std::move(handler)](net::TcpStream stream) -> Task<void> {
    if (!guard::admitted(blocker->check(stream.peer_address().ip()))) {
      log().debug("refused {}: blocked", stream.peer_address().to_string());
      co_return;
    }
    co_await handler(std::move(stream));
  };
}

}  // namespace wirekit::services
