// wirekit echo — tutorial §8.1 (Twisted's echo server).
#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct EchoFlags {
  services::EchoOptions echo;
  BlockingFlags blocking;
  std::size_t threads = 0;
  std::size_t max_connections = 10'000;
};

int echo(const EchoFlags& flags) {
  services::EchoOptions options = flags.echo;
  options.blocking = flags.blocking.parse();
  services::RunOptions run;
  run.threads = flags.threads;
  run.serve.max_connections = flags.max_connections;
  return serve_one(services::make_echo_service(options), std::move(run),
                   [](const services::Service& s) {
                     return "Echo server is listening on " + services::describe(s.listening());
                   });
}

}  // namespace

void add_echo_command(CLI::App& app, Action& action) {
  static EchoFlags flags;
  CLI::App* e = app.add_subcommand("echo", "Echo every byte back to its sender (§8.1)");
  add_endpoint_flags(*e, flags.echo.endpoint);
  e->add_option("--max-connections", flags.max_connections, "Open connections at most")
      ->capture_default_str();
  add_threads_flag(*e, flags.threads);
  add_blocking_flags(*e, flags.blocking);
  e->callback([&action] { action = [] { return echo(flags); }; });
}

}  // namespace wirekit::cli
