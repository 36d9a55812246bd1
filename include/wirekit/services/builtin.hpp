// The tutorial's servers as services (docs/tutorial.md maps each section to its command):
//
//   §8.1         echo     — every byte back to its sender
//   §3.1 / §7.2  welcome  — greet each connection and close it; block abusive clients
//   §3.2         udp      — print each datagram, answer "Message received"
//   §4.2 / §5.1  http     — the hello app, /healthz, static files, the services page at /
//   §10.1        chat     — the WebSocket chat room, and its page for browsers
//
// Each has its options, the connection handler a program can use on its own, and the Service
// that `wirekit serve` and the single-service commands run.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <wirekit/http.hpp>
#include <wirekit/services/endpoint.hpp>
#include <wirekit/services/service.hpp>
#include <wirekit/ws.hpp>

namespace wirekit::services {

// A TCP service: a handler for each connection, on every loop. The handler is made at bind
// time, from the context (its line sink).
class TcpService final : public Service {
 public:
  using MakeHandler = std::function<net::ConnectionHandler(const ServiceContext&)>;
  TcpService(std::string name, Endpoint endpoint, MakeHandler make_handler);
  std::string name() const override { return name_; }
  Task<void> bind(const ServiceContext& context) override;
  Task<void> serve(const ServiceContext& context) override;
  std::vector<Listening> listening() const override;

 private:
  std::string name_;
  Endpoint endpoint_;
  MakeHandler make_handler_;
  std::unique_ptr<net::TcpServer> tcp_;
  net::ConnectionHandler handler_;
};

// ---- §8.1 echo ------------------------------------------------------------------------------
struct EchoOptions {
  Endpoint endpoint{"localhost", 1234};
  Blocking blocking;
};
// Echoes every byte back until the peer closes.
Task<void> echo(net::TcpStream stream);
std::unique_ptr<Service> make_echo_service(const EchoOptions& options);

// ---- §3.1 / §7.2 welcome ----------------------------------------------------------------------
struct WelcomeOptions {
  Endpoint endpoint{"localhost", 12345};
  std::string message = "Welcome to the server!";
  std::string blocked_message = "You have been blocked due to too many attempts.";
  Blocking blocking;
};

// Thread-safe: one WelcomeService serves the connections of every loop (its blocker is).
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
std::unique_ptr<Service> make_welcome_service(const WelcomeOptions& options);

// ---- §3.2 UDP acknowledger ---------------------------------------------------------------------
struct UdpAckOptions {
  Endpoint endpoint{"localhost", 12345};
  std::string reply = "Message received";
  Blocking blocking;  // each datagram is an attempt; a blocked sender's are dropped unanswered
};
// Prints "Message from ('IP', PORT): TEXT" for each datagram and answers `reply`, until the
// task is cancelled.
Task<void> serve_udp_ack(net::UdpSocket& socket, const UdpAckOptions& options, LineSink lines);
// Served on the runtime's first loop (a datagram socket has no accept to spread).
std::unique_ptr<Service> make_udp_ack_service(const UdpAckOptions& options);

// ---- §4.2 / §5.1 HTTP -------------------------------------------------------------------------
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

struct HttpServiceOptions {
  Endpoint endpoint{"localhost", 8080};
  std::string name;  // what the registry calls it; empty: "http", or "https" with TLS
  http::ServerOptions http;
  HttpFeatures features;
  // GET / and GET /services.json: the running services and their addresses.
  bool services_page = false;
};

// An HTTP (or, with http.tls, HTTPS) server of `router`'s routes. SIGHUP reloads its
// certificates.
class HttpService final : public Service {
 public:
  HttpService(http::Router router, HttpServiceOptions options);
  ~HttpService() override;
  std::string name() const override {
    return !options_.name.empty() ? options_.name : options_.http.tls ? "https" : "http";
  }
  Task<void> bind(const ServiceContext& context) override;
  Task<void> serve(const ServiceContext& context) override;
  std::vector<Listening> listening() const override;
  bool reloads() const noexcept override { return options_.http.tls.has_value(); }
  void reload() override;

 private:
  http::Router router_;
  HttpServiceOptions options_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<net::TcpServer> tcp_;
};

// The integrated server's HTTP service: the hello app under /hello, /healthz, static files.
struct WebOptions {
  HttpServiceOptions service;
  bool hello = true;                       // /hello and /hello/{name}
  bool health = true;                      // /healthz → "ok"
  std::optional<std::string> static_root;  // files at / when set
  bool listing = true;
  // The services page at / unless the static root has an index.html of its own.
  bool services_page = true;
  bool chat = true;  // a chat room of its own (§10.1) and its page at /chat
};
http::Router web_routes(const WebOptions& options);
std::unique_ptr<Service> make_web_service(const WebOptions& options);

// ---- §10.1 chat ---------------------------------------------------------------------------------
// The tutorial's chat protocol: a client sends {"user": U, "message": M}; every client, the
// sender included, receives {"type": "message", "user": U, "message": M} as Python's json.dumps
// writes it. nullopt for a message that is not a JSON object with both keys.
std::optional<std::string> chat_broadcast(std::string_view message);

// One chat room across every loop. Thread-safe.
class ChatRoom {
 public:
  explicit ChatRoom(LineSink lines = stdout_lines());
  // The WebSocket handler: logs "New client connected. Total clients: N", broadcasts what the
  // client sends, logs "Client disconnected. Total clients: N". A message that is not chat JSON
  // is dropped with a log line; the connection stays open (the Python server's handler dies).
  Task<void> handle(ws::Connection& connection);
  std::size_t clients() const noexcept { return room_.size(); }

 private:
  ws::Room room_;
  LineSink lines_;
};

// The tutorial's §10.2 client: connects to `url`, asks "Enter your username: " on standard
// output when `user` is empty (reading the name from `input`), prints "Connected to chat server
// as NAME", sends each line of `input` as {"user": NAME, "message": LINE} and prints each
// broadcast as "\nUSER: MESSAGE"; prints "Connection to server closed" when the server closes
// the connection. At the end of the input it closes the connection with 1000.
Task<void> chat_join(std::string url, std::string user, LineInput& input, LineSink lines,
                     ws::ClientOptions options = {});

// The page a browser opens to chat: self-contained HTML and JavaScript that connect to the
// WebSocket at the page's own URL.
std::string_view chat_page();

// The room's route: its WebSocket, and its page for a request without Upgrade.
http::Handler chat_route(std::shared_ptr<ChatRoom> room, const ws::ServerOptions& options);

struct ChatOptions {
  HttpServiceOptions service{.endpoint = {"localhost", 8765}};
  ws::ServerOptions websocket;
};
// The room's WebSocket and the page, both at /.
std::unique_ptr<Service> make_chat_service(const ChatOptions& options);

// ---- wirekit ws: an echo server, and a client for any WebSocket server ------------------------
struct WsEchoOptions {
  HttpServiceOptions service{.endpoint = {"127.0.0.1", 9001}, .name = "ws-echo"};
  ws::ServerOptions websocket;
};
// ws::echo on every path.
std::unique_ptr<Service> make_ws_echo_service(const WsEchoOptions& options);

// Talks to the WebSocket at `url`: each line of `input` goes out as a text message, each message
// received is written to `lines` (a binary one as "[binary message, N bytes]"), and at the end
// of the input the connection closes with 1000. Returns the code it closed with
// (ws::Connection::close_code()); a refused handshake throws.
Task<std::uint16_t> ws_talk(std::string url, LineInput& input, LineSink lines,
                            ws::ClientOptions options = {});

// The page at / of `wirekit serve`: every running service and its addresses, as HTML (with
// links to the HTTP ones) and as JSON.
std::string services_html(std::span<const std::unique_ptr<Service>> services);
std::string services_json(std::span<const std::unique_ptr<Service>> services);

}  // namespace wirekit::services
