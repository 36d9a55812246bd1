// wirekit services: the tutorial's ready-made servers as library pieces, and the integrated
// server that `wirekit serve` runs from wirekit.toml. The CLI only parses options and calls
// these; a program can run the same services itself.
//
//   §3.1 / §7.2  WelcomeService  — greet each connection and close it; block abusive clients
//   §3.2         UdpAckService   — print each datagram, answer "Message received"
//   §8.1         echo            — every byte back to its sender
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/core.hpp>
#include <wirekit/guard.hpp>
#include <wirekit/http.hpp>
#include <wirekit/net.hpp>

namespace wirekit::services {

// Where a service writes its human-readable lines (the tutorial's print()). The default
// writes to stdout and flushes, line by line.
using LineSink = std::function<void(const std::string&)>;
LineSink stdout_lines();

// Where a service listens: a host (every address it resolves to: "localhost" is 127.0.0.1 and
// ::1; "" or "*" is every interface) and a port.
struct Endpoint {
  std::string host = "localhost";
  std::uint16_t port = 0;
};
Task<std::vector<net::SocketAddress>> listen_addresses(const Endpoint& endpoint);

// A TCP server bound to every address of `endpoint`, one listener per loop (of `loops`).
// Binding happens here, so "Address already in use" surfaces before serving starts.
Task<std::unique_ptr<net::TcpServer>> bind_tcp(const Endpoint& endpoint,
                                               const net::ServeOptions& options, std::size_t loops);
// UDP sockets bound to every address of `endpoint` this host can bind.
Task<std::vector<net::UdpSocket>> bind_udp(const Endpoint& endpoint);
// "127.0.0.1:1234, [::1]:1234"
std::string describe(const std::vector<net::SocketAddress>& addresses);

// Per-IP blocking for a server's connections (--block-after N --block-window 60s).
struct Blocking {
  std::uint32_t after = 0;  // 0: off
  Duration window = std::chrono::seconds(60);
  std::vector<std::string> allow;  // CIDR networks never blocked
  std::vector<std::string> deny;   // CIDR networks always refused
};
// The blocker `blocking` describes, or null when it is off.
std::shared_ptr<guard::IpBlocker> make_blocker(const Blocking& blocking);

// ---- §8.1 echo ------------------------------------------------------------------------------
struct EchoOptions {
  Endpoint endpoint{"localhost", 1234};
  Blocking blocking;
};
// Echoes every byte back until the peer closes.
Task<void> echo(net::TcpStream stream);

// ---- §3.1 / §7.2 welcome ----------------------------------------------------------------------
struct WelcomeOptions {
  Endpoint endpoint{"localhost", 12345};
  std::string message = "Welcome to the server!";
  std::string blocked_message = "You have been blocked due to too many attempts.";
  Blocking blocking;
};

class WelcomeService {
 public:
  explicit WelcomeService(WelcomeOptions options, LineSink lines = stdout_lines());
  // Logs "Connection from ('IP', PORT) has been established!", sends the message, closes;
  // a blocked client is told so instead.
  Task<void> handle(net::TcpStream stream);
  const WelcomeOptions& options() const noexcept { return options_; }

 private:
  WelcomeOptions options_;
  LineSink lines_;
  std::shared_ptr<guard::IpBlocker> blocker_;
};

// ---- §3.2 UDP acknowledger ---------------------------------------------------------------------
struct UdpAckOptions {
  Endpoint endpoint{"localhost", 12345};
  std::string reply = "Message received";
  Blocking blocking;  // each datagram is an attempt; a blocked sender's are dropped unanswered
};
// Prints "Message from ('IP', PORT): TEXT" for each datagram and answers `reply`, until the
// task is cancelled.
Task<void> serve_udp_ack(net::UdpSocket& socket, const UdpAckOptions& options, LineSink lines);

// Closes connections the blocker refuses; hands the others to `handler`.
net::ConnectionHandler guarded(std::shared_ptr<guard::IpBlocker> blocker,
                               net::ConnectionHandler handler);

// ---- §5.1 hello (the aiohttp app) and §4.2 static files ---------------------------------------
// GET {prefix} (or /) → "Hello, Anonymous!", GET {prefix}/{name} → "Hello, {name}!" (text/plain).
void add_hello_routes(http::Router& router, std::string_view prefix = "");

// What every HTTP service can switch on around its routes.
struct HttpFeatures {
  std::optional<http::LogFormat> access_log;  // lines go to the service's LineSink
  bool compression = true;
  Blocking blocking;                                  // per request: 403 once blocked
  std::optional<guard::RateLimitOptions> rate_limit;  // 429 with Retry-After
  std::optional<http::CorsOptions> cors;
};
// Adds the middleware `features` asks for to `server`, outermost first: access log, blocking,
// rate limit, CORS, compression.
void apply(http::Server& server, const HttpFeatures& features, LineSink lines);

struct WebOptions {
  Endpoint endpoint{"localhost", 8080};
  bool hello = true;                       // /hello and /hello/{name}
  bool health = true;                      // /healthz → "ok"
  std::optional<std::string> static_root;  // files at / when set
  bool listing = true;
  http::ServerOptions http;
  HttpFeatures features;
};
// The router of the integrated server's HTTP service.
http::Router web_routes(const WebOptions& options);

// ---- the integrated server (`wirekit serve`) ---------------------------------------------------
struct ServerConfig {
  std::size_t threads = 0;  // event loops; 0: one per core
  Duration shutdown_grace = std::chrono::seconds(10);
  std::size_t max_connections = 10'000;
  std::optional<EchoOptions> echo = EchoOptions{};
  std::optional<WelcomeOptions> welcome = WelcomeOptions{};
  std::optional<UdpAckOptions> udp = UdpAckOptions{};
  std::optional<WebOptions> web = WebOptions{};
};

// Reads wirekit.toml (docs/configuration.md). A missing section turns its service off; an
// unknown key or a value of the wrong type is an Error naming the file, line and key.
ServerConfig load_server_config(const std::string& path);
ServerConfig parse_server_config(std::string_view toml_text, const std::string& source_name);

// Binds every configured service (failing fast on a port in use), announces them through
// `lines`, and serves until the runtime's stop token is requested; then shuts down gracefully.
Task<void> run_server(Runtime& runtime, const ServerConfig& config, LineSink lines);

}  // namespace wirekit::services
