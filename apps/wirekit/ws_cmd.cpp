// wirekit ws echo / connect — a WebSocket echo server, and a client for any WebSocket server.
#include <cstdio>

#include "cli.hpp"

namespace wirekit::cli {

void add_websocket_flags(CLI::App& command, WebSocketFlags& flags) {
  command
      .add_option("--max-message-size", flags.max_message_size,
                  "Larger messages close the connection with 1009 (bytes)")
      ->capture_default_str();
  command.add_option("--ping-interval", flags.ping_interval, "Ping the peer this often; 0: never")
      ->capture_default_str();
  command
      .add_option("--ping-timeout", flags.ping_timeout,
                  "Close with 1011 when no pong comes back by then")
      ->capture_default_str();
  command.add_flag("--no-compression", flags.no_compression,
                   "Neither offer nor accept permessage-deflate");
}

void WebSocketFlags::apply(ws::ConnectionOptions& connection, ws::DeflateOptions& deflate) const {
  connection.max_message_size = max_message_size;
  connection.ping_interval = parse_duration(ping_interval);
  connection.ping_timeout = parse_duration(ping_timeout);
  if (no_compression) deflate.enabled = false;
}

namespace {

struct WsFlags {
  services::WsEchoOptions echo;
  WebSocketFlags websocket;
  std::size_t threads = 0;
  std::size_t max_connections = 10'000;

  std::string url;
  bool echo_back = false;
  std::vector<std::string> headers;
  std::vector<std::string> subprotocols;
  std::string origin;
  std::string proxy;
  std::string handshake_timeout = "10s";
  TlsClientFlags tls;
};

int ws_echo(const WsFlags& flags) {
  services::WsEchoOptions options = flags.echo;
  flags.websocket.apply(options.websocket.connection, options.websocket.handshake.deflate);
  services::RunOptions run;
  run.threads = flags.threads;
  run.serve.max_connections = flags.max_connections;
  return serve_one(
      services::make_ws_echo_service(options), std::move(run), [](const services::Service& s) {
        return "WebSocket echo server is listening on " + services::describe(s.listening());
      });
}

ws::ClientOptions client_options(const WsFlags& flags) {
  ws::ClientOptions options;
  flags.websocket.apply(options.connection, options.handshake.deflate);
  options.handshake.subprotocols = flags.subprotocols;
  if (!flags.origin.empty()) options.handshake.origin = flags.origin;
  for (const std::string& header : flags.headers) {
    const auto [name, value] = parse_header_flag(header);
    options.handshake.extra_headers.emplace_back(name, value);
  }
  if (!flags.proxy.empty()) options.proxy = flags.proxy;
  options.handshake_timeout = parse_duration(flags.handshake_timeout);
  options.tls = std::make_shared<const tls::ClientContext>(flags.tls.parse());
  return options;
}

// 1000 (normal) and 1001 (going away) end a session well; any other code is a failure.
int exit_status(std::uint16_t code) {
  if (code == ws::close_code::normal || code == ws::close_code::going_away ||
      code == ws::close_code::no_status) {
    return 0;
  }
  std::fprintf(stderr, "wirekit: the WebSocket closed with %u\n", static_cast<unsigned>(code));
  return exit_failure;
}

int ws_connect(const WsFlags& flags) {
  ws::ClientOptions options = client_options(flags);
  if (flags.echo_back) {
    std::uint16_t code = ws::close_code::abnormal;
    auto echo = [&code](ws::Connection& connection) -> Task<void> {
      co_await ws::echo(connection);
      code = connection.close_code();
    };
    run(ws::connect(flags.url, echo, std::move(options)));
    return exit_status(code);
  }
  LineInput input;
  return exit_status(
      run(services::ws_talk(flags.url, input, services::stdout_lines(), std::move(options))));
}

}  // namespace

void add_ws_commands(CLI::App& app, Action& action) {
  static WsFlags flags;
  CLI::App* group = app.add_subcommand("ws", "WebSocket tools: an echo server, a client");
  group->require_subcommand(1);

  CLI::App* echo = group->add_subcommand(
      "echo", "Serve WebSocket on every path and send each message back as it came");
  add_endpoint_flags(*echo, flags.echo.service.endpoint);
  echo->add_option("--max-connections", flags.max_connections, "Open connections at most")
      ->capture_default_str();
  add_websocket_flags(*echo, flags.websocket);
  add_threads_flag(*echo, flags.threads);
  echo->callback([&action] { action = [] { return ws_echo(flags); }; });

  CLI::App* connect = group->add_subcommand(
      "connect", "Connect to a WebSocket: standard input lines out, messages in, a line each");
  connect->add_option("url", flags.url, "ws:// or wss:// URL")->required();
  connect->add_flag("--echo", flags.echo_back,
                    "Send every message received back instead of reading standard input");
  connect->add_option("-H,--header", flags.headers, "Extra handshake header 'Name: value'");
  connect->add_option("--subprotocol", flags.subprotocols, "Offer this subprotocol (repeatable)");
  connect->add_option("--origin", flags.origin, "The Origin header to send");
  connect->add_option("-x,--proxy", flags.proxy, "Go through this HTTP proxy by CONNECT");
  connect
      ->add_option("--handshake-timeout", flags.handshake_timeout,
                   "Give up when the handshake takes longer")
      ->capture_default_str();
  add_websocket_flags(*connect, flags.websocket);
  add_tls_client_flags(*connect, flags.tls);
  connect->callback([&action] { action = [] { return ws_connect(flags); }; });
}

}  // namespace wirekit::cli
