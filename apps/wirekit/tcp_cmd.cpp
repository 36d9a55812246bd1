// wirekit tcp serve | connect — tutorial §3.1 (and §7.2's blocker through --block-after).
#include <cstdio>

#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct TcpServeFlags {
  services::WelcomeOptions welcome;
  BlockingFlags blocking;
  std::size_t threads = 1;
};

struct TcpConnectFlags {
  std::string target;
  std::optional<std::string> send;
  bool half_close = false;
  std::string timeout = "10s";
  std::optional<std::string> idle;
};

int tcp_serve(const TcpServeFlags& flags) {
  services::WelcomeOptions options = flags.welcome;
  options.blocking = flags.blocking.parse();
  services::RunOptions run;
  run.threads = flags.threads;
  return serve_one(services::make_welcome_service(options), std::move(run),
                   [](const services::Service& s) {
                     return "Server is listening on port " +
                            std::to_string(s.listening().front().address.port());
                   });
}

int tcp_connect(const TcpConnectFlags& flags) {
  const net::HostPort target = net::parse_host_port(flags.target);
  const Duration timeout = parse_duration(flags.timeout);
  const Duration idle = flags.idle ? parse_duration(*flags.idle) : Duration{};
  auto main = [&]() -> Task<void> {
    net::TcpStream stream =
        co_await net::TcpStream::connect(target.host, target.port, {.timeout = timeout});
    if (flags.send) co_await stream.write(*flags.send);
    if (flags.half_close) co_await stream.shutdown_write();
    // Print what the server sends, as it arrives, until it closes (or stays silent for
    // --idle); end with a newline as Python's print() does.
    std::byte buffer[16384];
    char last = '\n';
    for (;;) {
      std::size_t n = 0;
      try {
        n = co_await stream.read_some(buffer).timeout(idle);
      } catch (const Error& e) {
        if (e.code() != errc::timed_out) throw;
      }
      if (n == 0) break;
      std::fwrite(buffer, 1, n, stdout);
      std::fflush(stdout);
      last = static_cast<char>(buffer[n - 1]);
    }
    if (last != '\n') std::fputc('\n', stdout);
  };
  run(main());
  return 0;
}

}  // namespace

void add_tcp_commands(CLI::App& app, Action& action) {
  CLI::App* tcp = app.add_subcommand("tcp", "TCP server and client (tutorial §3.1)");
  tcp->require_subcommand(1);

  static TcpServeFlags serve;
  CLI::App* s = tcp->add_subcommand(
      "serve", "Greet each connection with a message and close it (§3.1; §7.2 with --block-after)");
  add_endpoint_flags(*s, serve.welcome.endpoint);
  s->add_option("--message", serve.welcome.message, "What each client is sent")
      ->capture_default_str();
  add_blocking_flags(*s, serve.blocking);
  add_threads_flag(*s, serve.threads);
  s->callback([&action] { action = [] { return tcp_serve(serve); }; });

  static TcpConnectFlags connect;
  CLI::App* c = tcp->add_subcommand("connect", "Connect and print what the server sends (§3.1)");
  c->add_option("target", connect.target, "HOST:PORT")->required();
  c->add_option("--send", connect.send, "Send TEXT once connected");
  c->add_flag("--half-close", connect.half_close,
              "Shut down writing after --send (the server reads end of stream)");
  c->add_option("--idle", connect.idle,
                "Stop after the server is silent this long (default: wait until it closes)");
  c->add_option("--timeout", connect.timeout, "Give up connecting after this long")
      ->capture_default_str();
  c->callback([&action] { action = [] { return tcp_connect(connect); }; });
}

}  // namespace wirekit::cli
