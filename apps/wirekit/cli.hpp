// Shared pieces of the command groups: option helpers and how a command runs.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include <CLI/CLI.hpp>

#include <wirekit/services.hpp>

namespace wirekit::cli {

// Exit codes (docs/errors.md): 0 done, 1 the operation failed, 2 bad usage or input,
// 130 interrupted.
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_interrupted = 130;

// A parsed command: what runs after CLI11 has filled the options in.
using Action = std::function<int()>;

// Each group adds its subcommands to `app` and sets `action` when one of them is chosen.
void add_tcp_commands(CLI::App& app, Action& action);
void add_udp_commands(CLI::App& app, Action& action);
void add_echo_command(CLI::App& app, Action& action);
void add_chat_command(CLI::App& app, Action& action);
void add_ws_commands(CLI::App& app, Action& action);  // ws echo, ws connect
void add_serve_command(CLI::App& app, Action& action);
void add_http_commands(CLI::App& app, Action& action);
void add_hello_command(CLI::App& app, Action& action);
void add_token_commands(CLI::App& app, Action& action);         // fernet, jwt
void add_http_client_commands(CLI::App& http, Action& action);  // http get, http post
void add_fetch_command(CLI::App& app, Action& action);
void add_tls_commands(CLI::App& app, Action& action);  // tls probe, tls selfsigned
// With the capture layer (WIREKIT_WITH_CAPTURE) only:
void add_conns_command(CLI::App& app, Action& action);
void add_capture_commands(CLI::App& app, Action& action);  // sniff, pcap stats/list/creds

// --block-after N --block-window D --allow CIDR --deny CIDR, for every server command.
struct BlockingFlags {
  std::uint32_t after = 0;
  std::string window = "60s";
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  services::Blocking parse() const;
};
void add_blocking_flags(CLI::App& command, BlockingFlags& flags);

// The middleware switches every HTTP server command takes.
struct HttpFlags {
  std::string access_log = "off";
  bool no_compress = false;
  BlockingFlags blocking;
  double rate_limit = 0;
  double burst = 0;
  std::vector<std::string> cors;
  std::size_t max_connections = 10'000;
  // HTTPS: --tls-cert/--tls-key pairs (the first the default, others chosen by SNI),
  // --tls-client-ca FILE [--tls-require-client-cert] for mutual TLS.
  std::vector<std::string> tls_certs;
  std::vector<std::string> tls_keys;
  std::string tls_client_ca;
  bool tls_require_client_cert = false;
  std::string tls_handshake_timeout = "10s";
  services::HttpFeatures parse() const;
  // The server's options: TLS loaded from the files (errors name them), or none.
  http::ServerOptions server_options() const;
};
void add_http_flags(CLI::App& command, HttpFlags& flags);

// --insecure, --ca FILE, --cert FILE --key FILE: how a client command checks servers and
// which certificate it presents.
struct TlsClientFlags {
  bool insecure = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  tls::ClientOptions parse() const;
};
void add_tls_client_flags(CLI::App& command, TlsClientFlags& flags);

// --max-message-size, --ping-interval, --ping-timeout, --no-compression: the WebSocket
// connection options of every command that speaks WebSocket.
struct WebSocketFlags {
  std::size_t max_message_size = ws::ConnectionOptions{}.max_message_size;
  std::string ping_interval = "20s";
  std::string ping_timeout = "20s";
  bool no_compression = false;
  // Sets the connection options and switches permessage-deflate off when asked: of a server
  // (ws::ServerOptions) or a client (ws::ClientOptions) alike.
  void apply(ws::ConnectionOptions& connection, ws::DeflateOptions& deflate) const;
};
void add_websocket_flags(CLI::App& command, WebSocketFlags& flags);

// A -H 'Name: value' option as its name and value (spaces after the colon dropped); throws
// Error(invalid_argument) for text without a name and a colon.
std::pair<std::string_view, std::string_view> parse_header_flag(std::string_view text);

// --host and --port of a server command, defaulting to `endpoint`'s.
void add_endpoint_flags(CLI::App& command, services::Endpoint& endpoint);

// --threads N (default: one event loop per core).
void add_threads_flag(CLI::App& command, std::size_t& threads);

// Input and output of the commands that read data: bounded (256 MiB), one-line errors.
std::string read_file(const std::string& path, std::string_view what);
std::string read_stdin();
void write_stdout(std::string_view data);

// A Runtime with `threads` loops (0: one per core) and SIGINT/SIGTERM handling.
RuntimeOptions runtime_options(std::size_t threads);

// What a single-service command prints once it is bound (the Python program's own line).
using Announcement = std::function<std::string(const services::Service&)>;
// Runs `service` as `wirekit serve` runs its services, with `announcement` instead of
// "NAME: listening on ...".
int serve_one(std::unique_ptr<services::Service> service, services::RunOptions options,
              Announcement announcement);

}  // namespace wirekit::cli
