// Where a service listens and whom it refuses: endpoints, binding, per-IP blocking.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <wirekit/core.hpp>
#include <wirekit/guard.hpp>
#include <wirekit/net.hpp>
#include <wirekit/services/service.hpp>

namespace wirekit::services {

// A host and a port to listen on (the addresses of net::listen_addresses: "localhost" is
// 127.0.0.1 and ::1; "" or "*" is every interface).
struct Endpoint {
  std::string host = "localhost";
  std::uint16_t port = 0;
};

// A TCP server bound to every address of `endpoint`, one listener per loop (of `loops`).
// Binding happens here, so "Address already in use" surfaces before serving starts.
Task<std::unique_ptr<net::TcpServer>> bind_tcp(const Endpoint& endpoint,
                                               const net::ServeOptions& options, std::size_t loops);
// Where `server` listens (nothing before it is bound).
std::vector<Listening> listening_of(const net::TcpServer* server);
// UDP sockets bound to every address of `endpoint` this host can bind.
Task<std::vector<net::UdpSocket>> bind_udp(const Endpoint& endpoint);

// Per-IP blocking for a server's connections (--block-after N --block-window 60s).
struct Blocking {
  std::uint32_t after = 0;  // 0: off
  Duration window = std::chrono::seconds(60);
  std::vector<std::string> allow;  // CIDR networks never blocked
  std::vector<std::string> deny;   // CIDR networks always refused
};
// The blocker `blocking` describes, or null when it is off.
std::shared_ptr<guard::IpBlocker> make_blocker(const Blocking& blocking);

// Closes connections the blocker refuses; hands the others to `handler`.
net::ConnectionHandler guarded(std::shared_ptr<guard::IpBlocker> blocker,
                               net::ConnectionHandler handler);

}  // namespace wirekit::services
