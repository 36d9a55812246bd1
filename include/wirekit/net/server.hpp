// TcpServer: listeners, one accept loop per event loop (SO_REUSEPORT), a cap on connections,
// and graceful shutdown. Every wirekit server (echo, HTTP, WebSocket...) stands on it.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include <wirekit/core.hpp>
#include <wirekit/net/tcp.hpp>

namespace wirekit::net {

struct ServeOptions {
  std::size_t max_connections = 10'000;  // beyond this, accepting pauses until one closes
  Duration shutdown_grace = std::chrono::seconds(10);  // open connections' time to finish
  ListenOptions listen;
  // Addresses this host cannot bind (no IPv6, say: "localhost" names ::1 too) are skipped, as
  // long as one address binds.
  bool skip_unavailable_addresses = true;
};

using ConnectionHandler = std::function<Task<void>(TcpStream)>;

// Where a server on `host` listens: "" or "*" every interface (IPv4 and IPv6), an address
// literal itself, a name every address it resolves to ("localhost": 127.0.0.1 and ::1).
Task<std::vector<SocketAddress>> listen_addresses(std::string_view host, std::uint16_t port);

class TcpServer {
 public:
  // Binds every address now, so that "Address already in use" surfaces before serving; with
  // `loops` > 1, one SO_REUSEPORT listener per address per loop. Port 0 picks one free port,
  // shared by all of an address's listeners.
  TcpServer(const std::vector<SocketAddress>& addresses, ServeOptions options = {},
            std::size_t loops = 1);
  // On "host:port" ("localhost:8080", "[::1]:8080", "*:8080"), as listen_addresses() says. A
  // name other than localhost is looked up here, blocking: in a coroutine, prefer
  // co_await listen_addresses() and the constructor above.
  explicit TcpServer(std::string_view host_port, ServeOptions options = {}, std::size_t loops = 1);

  // The bound addresses (ports filled in).
  std::vector<SocketAddress> local_addresses() const;

  // Serves on the current loop until the awaiting task is cancelled, then shuts down
  // gracefully: stop accepting, give open connections `shutdown_grace`, cancel the rest.
  Task<void> serve(ConnectionHandler handler);
  // The same on every loop of `runtime` (which must have the `loops` given above).
  Task<void> serve(Runtime& runtime, ConnectionHandler handler);

  std::size_t loops() const noexcept { return listeners_.size(); }

  // Requested on a loop when its shutdown begins, before the grace period: for handlers to end
  // idle connections at once (an HTTP keep-alive wait) while requests in flight finish. Call it
  // from a connection's own loop; it is requested on that loop's thread.
  std::stop_token draining() const noexcept;

 private:
  Task<void> serve_loop(std::size_t loop, const ConnectionHandler& handler);

  ServeOptions options_;
  std::vector<std::vector<TcpListener>> listeners_;  // [loop][address]
  // One per loop, sized in the constructor and filled by serve() before any loop starts: the
  // loops only read `loop` (draining() looks through all of them), and each requests its own
  // `draining` (std::stop_source is thread-safe).
  struct LoopState {
    EventLoop* loop = nullptr;
    std::stop_source draining;
  };
  std::vector<LoopState> loop_states_;
};

}  // namespace wirekit::net
