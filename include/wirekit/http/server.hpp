// The HTTP/1.1 server: keep-alive, pipelining, timeouts, limits, graceful shutdown.
//
//   http::Router router;
//   router.get("/", [](http::Request&) { return http::Response::text("Hello, World!"); });
//   http::serve(router, "localhost:8080");  // until Ctrl-C
//
// In a program that runs its own loops, the same with a Server and a TcpServer:
//
//   http::Server server{std::move(router)};
//   net::TcpServer tcp{"localhost:8080"};
//   co_await server.serve(tcp);
//
// Thread-safety: one Server serves on every loop of a Runtime at once, so its router, its
// middleware and their handlers run on several threads concurrently; what they share must be
// safe for that (the guard layer's blocker and limiter, the cache, are).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <wirekit/core.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/router.hpp>
#include <wirekit/net/server.hpp>
#include <wirekit/tls/context.hpp>

namespace wirekit::http {

// Timeouts and limits, with nginx's defaults where nginx has one.
struct ServerOptions {
  Limits limits;
  Duration header_timeout = std::chrono::seconds(60);     // the whole head; then 408
  Duration body_timeout = std::chrono::seconds(60);       // between two reads of the body
  Duration send_timeout = std::chrono::seconds(60);       // send_timeout
  Duration keepalive_timeout = std::chrono::seconds(75);  // keepalive_timeout
  std::size_t keepalive_requests = 10'000;  // then the connection closes (0: no limit)
  std::string server_header = "wirekit";    // empty: no Server header
  // HTTPS: every accepted connection does a TLS handshake first (within the context's
  // handshake_timeout); a failed handshake ends that connection only. With mutual TLS, the
  // client certificate's subject is the request attribute "tls.client_subject".
  std::optional<tls::ServerContext> tls;
};

class Server {
 public:
  explicit Server(Router router, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adds a middleware around the router; the first added is the outermost.
  Server& use(Middleware middleware);

  // Serves `tcp`'s connections on the current loop / on every loop of `runtime` until the
  // awaiting task is cancelled; then idle keep-alive connections close at once and requests in
  // flight get the TcpServer's shutdown grace.
  Task<void> serve(net::TcpServer& tcp);
  Task<void> serve(Runtime& runtime, net::TcpServer& tcp);

  // What serve() runs for each accepted connection: the TLS handshake when options().tls is
  // set, then serve_connection().
  Task<void> serve_accepted(net::TcpStream& stream, std::stop_token draining) const;

  // Serves one connection over any stream (TLS slots in here). `draining`, when requested,
  // ends the connection at its next idle moment.
  Task<void> serve_connection(net::Stream& stream, const net::SocketAddress& peer,
                              std::stop_token draining = {}) const;

  // Runs one request through the middleware and the router (what a connection does after
  // reading it): for tests and embedding.
  Task<Response> respond(Request& request) const;

  const ServerOptions& options() const noexcept { return options_; }
  const Router& router() const noexcept { return router_; }

 private:
  class Connection;
  void compose();

  Router router_;
  ServerOptions options_;
  std::vector<Middleware> middleware_;
  Handler chain_;  // middleware around the routed handler
};

// Serves `router` on `address` ("host:port", as net::TcpServer takes it) with one loop per
// core until SIGINT or SIGTERM, then shuts down gracefully; SIGHUP reloads options.tls. The
// blocking one-liner of the server, as http::get is of the client: call it from plain code
// (on a loop's thread it throws Error(errc::misuse)).
void serve(Router router, std::string_view address, ServerOptions options = {});

}  // namespace wirekit::http
