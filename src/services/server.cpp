#include <wirekit/services.hpp>

namespace wirekit::services {

Task<void> run_server(Runtime& runtime, const ServerConfig& config, LineSink lines) {
  const net::ServeOptions serve{.max_connections = config.max_connections,
                                .shutdown_grace = config.shutdown_grace};
  // Everything is bound before anything is served: a port in use stops the start-up whole.
  std::vector<std::unique_ptr<net::TcpServer>> tcp_servers;
  std::vector<net::ConnectionHandler> handlers;
  std::vector<net::UdpSocket> udp_sockets;

  if (config.echo) {
    tcp_servers.push_back(co_await bind_tcp(config.echo->endpoint, serve, runtime.size()));
    handlers.push_back(guarded(make_blocker(config.echo->blocking), echo));
    lines("echo: listening on " + describe(tcp_servers.back()->local_addresses()));
  }
  if (config.welcome) {
    auto welcome = std::make_shared<WelcomeService>(*config.welcome, lines);
    tcp_servers.push_back(co_await bind_tcp(config.welcome->endpoint, serve, runtime.size()));
    handlers.push_back([welcome](net::TcpStream s) { return welcome->handle(std::move(s)); });
    lines("welcome: listening on " + describe(tcp_servers.back()->local_addresses()));
  }
  std::unique_ptr<http::Server> web;
  if (config.web) {
    web = std::make_unique<http::Server>(web_routes(*config.web), config.web->http);
    apply(*web, config.web->features, lines);
    tcp_servers.push_back(co_await bind_tcp(config.web->endpoint, serve, runtime.size()));
    lines(std::string(config.web->http.tls ? "https" : "http") + ": listening on " +
          describe(tcp_servers.back()->local_addresses()));
  }
  if (config.udp) {
    udp_sockets = co_await bind_udp(config.udp->endpoint);
    std::vector<net::SocketAddress> bound;
    for (const auto& socket : udp_sockets) bound.push_back(socket.local_address());
    lines("udp: listening on " + describe(bound));
  }

  std::vector<Task<void>> running;
  running.reserve(tcp_servers.size() + udp_sockets.size());
  for (std::size_t i = 0; i < handlers.size(); ++i) {
    running.push_back(tcp_servers[i]->serve(runtime, handlers[i]));
  }
  if (web) running.push_back(web->serve(runtime, *tcp_servers.back()));
  for (auto& socket : udp_sockets) running.push_back(serve_udp_ack(socket, *config.udp, lines));
  if (running.empty()) {
    throw Error(errc::invalid_argument, "no service is enabled in the configuration");
  }
  co_await when_all(std::move(running));
}

}  // namespace wirekit::services
